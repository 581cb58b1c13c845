"""The ML backend against the real local Label Studio server: it is called for predictions, and
"Start Training" reaches its retrainer."""

from __future__ import annotations

from pathlib import Path

import pytest

from ner.backend.app import Backend
from ner.schema import load_schema
from tests.backend.serving import serving
from tests.tagger.test_labelstudio import TEXTS, _predictions, _project

pytestmark = pytest.mark.labelstudio


def _add_backend(ls_client, project_id: int, url: str):
    """Connect the backend to the project through the API, as the Model settings page does."""
    try:
        return ls_client._sdk.ml.create(project=project_id, url=url, title="ner", is_interactive=False)
    except Exception as e:  # Label Studio refuses backends on local addresses by default
        pytest.fail(f"Label Studio refused the ML backend at {url} ({str(e)[-160:]}); the local server must run "
                    f"with ML_BLOCK_LOCAL_IP=false and SSRF_PROTECTION_ENABLED=false", pytrace=False)


@pytest.fixture
def served(tagger):
    """The ML backend on a real port, as Label Studio reaches it."""
    backend = Backend(tagger)
    with serving(backend) as url:
        yield backend, url


def test_label_studio_calls_the_backend_and_shows_its_predictions(ls_client, ls_project, served, tagger):
    backend, url = served
    project = _project(ls_client, ls_project)
    sdk = ls_client._sdk
    ml = _add_backend(ls_client, project["id"], url)
    # Label Studio called /health and /setup while adding the backend
    assert str(project["id"]) in backend.setups
    assert sdk.ml.get(id=ml.id).model_version == tagger.version
    sdk.projects.update(id=project["id"], evaluate_predictions_automatically=True)
    for task in ls_client.iter_tasks(project["id"]):
        sdk.tasks.get(id=str(task["id"]))  # opening a task makes Label Studio call /predict
    found = _predictions(ls_client, project["id"])
    analysis = list(tagger.analyze_many(TEXTS))
    for text, tagged in zip(TEXTS, analysis):
        assert len(found[text]) == 1
        prediction = found[text][0]
        assert prediction["model_version"] == tagger.version
        assert prediction["score"] == pytest.approx(tagged.score, abs=0.05)
        assert sorted(r["value"]["text"] for r in prediction["result"]) == sorted(e.text for e in tagged.entities)
    assert ("ChatGPT", 4, 11) in [(r["value"]["text"], r["value"]["start"], r["value"]["end"])
                                  for r in found[TEXTS[0]][0]["result"]]


@pytest.mark.slow
def test_start_training_in_label_studio_retrains_and_serves_the_better_model(
        ls_client, ls_project, labelstudio, tagger, model_dir, tmp_path):
    """Label Studio's "Start Training" reaches the backend, which trains and then switches or keeps by dev F1."""
    from ner.formats.conll import read_conll
    from ner.labelstudio.client import Connection
    from ner.labelstudio.layout import Layout
    from ner.labelstudio.sync import push
    from ner.backend.retrain import Retrainer
    from tests.conftest import SEED

    title = ls_project(load_schema(), prefix="retrain")
    push(ls_client, title, list(read_conll(SEED)), layout=Layout(5, 0))
    project = ls_client.project(title)
    trainer = Retrainer(model_dir, work_dir=tmp_path, connection=Connection(labelstudio.url, labelstudio.api_key),
                        overrides={"epochs": 2, "patience": 2})
    backend = Backend(tagger, trainer=trainer)
    with serving(backend) as url:
        ml = _add_backend(ls_client, project["id"], url)
        ls_client._sdk.ml.train(id=ml.id)
        assert backend.idle.wait(300)
        pid = str(project["id"])
        last = backend.projects[pid].last
        assert backend.trainings == 1 and backend.training_error is None
        assert (last["event"], last["project"]) == ("START_TRAINING", pid)
        # The switch rule, exactly: the new model replaces the served one when its dev F1 is not lower.
        assert last["status"] == ("switched" if last["dev_f1"] >= last["served_f1"] else "kept")
        served, _ = backend.served(pid)
        assert served.version == last["model_version"] and backend.tagger.version == tagger.version
        assert Path(last["model_dir"]).is_relative_to(tmp_path)  # the work directory, not models/
        # Label Studio asks /setup again when the backend is saved, and then shows what the project is served.
        ls_client._sdk.ml.update(id=ml.id, url=url, project=project["id"])
        assert ls_client._sdk.ml.get(id=ml.id).model_version == served.version
