"""Labels and the project's labeling config (``ner ls init`` on a project with work, push), against the real
local Label Studio."""

from __future__ import annotations

import pytest

from ner.cli import main
from ner.errors import UserError
from ner.formats.conll import parse_conll_string
from ner.labelstudio.sync import push
from ner.schema import Schema

pytestmark = pytest.mark.labelstudio

CORPUS = "Яндекс\tB-Organization\nвыложил\tO\nBERT\tB-Model\nна\tO\nNEREL\tB-Dataset\n\n"


def test_init_refuses_a_config_that_drops_labels_the_annotations_use(labelstudio, ls_client, ls_project,
                                                                     tmp_path, capsys):
    """Label Studio's own guard counts only labels made in its editor, not imported annotations."""
    title = ls_project(Schema.auto(["Dataset", "Model", "Organization", "Task"]))
    assert push(ls_client, title, parse_conll_string(CORPUS, path="a.conll")).created == 1
    before = ls_client.project(title)["label_config"]
    only_model = tmp_path / "model.conll"
    only_model.write_text("BERT\tB-Model\n\n", encoding="utf-8")
    argv = ["ls", "init", "--project", title, "--url", labelstudio.url, "--api-key", labelstudio.api_key]
    assert main([*argv, "--labels", "auto", str(only_model)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Dataset (1), Organization (1)" in err[0] and "Task" not in err[0]
    assert ls_client.project(title)["label_config"] == before
    # A label no annotation uses may go.
    three = tmp_path / "three.conll"
    three.write_text(CORPUS, encoding="utf-8")
    assert main([*argv, "--labels", "auto", str(three)]) == 0
    assert "with 3 labels: Dataset, Model, Organization" in capsys.readouterr().out


def test_push_without_tags_does_not_ask_for_their_labels_in_the_config(ls_client, ls_project):
    """``--as none`` sends only the texts: a corpus tagged in another schema is no reason to refuse them."""
    title = ls_project(Schema.auto(["Model"]))
    docs = parse_conll_string(CORPUS, path="a.conll")
    with pytest.raises(UserError, match="lacks the label"):
        push(ls_client, title, docs)
    assert push(ls_client, title, docs, tags_as=None).created == 1
    [task] = ls_client.iter_tasks(ls_client.project(title)["id"])
    assert task["annotations"] == [] and task["predictions"] == []


def test_the_key_and_server_hints_name_a_script_that_runs_from_any_directory(tmp_path, monkeypatch, capsys):
    """Issue 18: 'eval "$(scripts/labelstudio.sh env)"' works only in the repository root."""
    from ner.labelstudio.client import Client, Connection
    from tests.conftest import ROOT

    script = ROOT / "scripts" / "labelstudio.sh"
    assert script.is_file()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    assert main(["ls", "pull", "--project", "x", "out.conll"]) == 2
    err = capsys.readouterr().err
    assert f'for the local server: eval "$({script} env)"' in err and len(err.strip().splitlines()) == 1
    with pytest.raises(UserError, match=f"start the local one with {script}, or set LABEL_STUDIO_URL"):
        Client(Connection("http://127.0.0.1:9", "k", retries=0))
