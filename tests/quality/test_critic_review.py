"""The critic's review queue on the real local Label Studio: push suspects, review through the API, learn."""

from __future__ import annotations

import numpy as np
import pytest

from ner.bio import tags_spans
from ner.errors import UserError
from ner.quality.critic.suspects import Item, score_items
from ner.quality.critic.model import train_critic
from ner.quality.critic.review import MODEL_VERSION, learn, push_review
from ner.records import Sentence
from ner.schema import Schema
from tests.quality.test_critic import LABELS, tags_of, templated

pytestmark = pytest.mark.labelstudio


@pytest.fixture(scope="module")
def planted():
    words, tags, probs = templated(200, seed=9)
    tags[3] = tags_of(7, (0, 1, "PER"), (3, 4, "LOC"), (5, 6, "LOC"))                     # ORG typed LOC
    tags[7] = tags_of(7, (0, 1, "PER"), (2, 3, "ORG"), (3, 4, "ORG"), (5, 6, "LOC"))      # spurious "в"
    tags[11] = tags_of(7, (3, 4, "ORG"), (5, 6, "LOC"))                                    # dropped PER
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    items = [Item("x.conll", Sentence(w, t, 1 + 8 * k), "x") for k, (w, t) in enumerate(zip(words, tags))]
    suspects = [s for s in score_items(items, LABELS, probs, critic) if s.kind != "token"][:3]
    assert {s.item for s in suspects} == {3, 7, 11}
    return items, critic, suspects


def critic_tasks(ls_client, title):
    project = ls_client.project(title)
    return {t["data"]["ner_critic_kind"]: t for t in ls_client.iter_tasks(project["id"])}


def test_suspects_go_to_review_and_verdicts_refit_the_critic(ls_client, ls_project, planted):
    items, critic, suspects = planted
    title = ls_project(Schema.auto(LABELS))
    assert push_review(ls_client, title, items, LABELS, suspects) == 3
    assert push_review(ls_client, title, items, LABELS, suspects) == 0      # nothing twice
    tasks = critic_tasks(ls_client, title)
    assert set(tasks) == {"type", "spurious", "missing"}
    for kind, task in tasks.items():
        s = next(x for x in suspects if x.kind == kind)
        (prediction,) = task["predictions"]
        assert prediction["model_version"] == MODEL_VERSION and prediction["score"] == pytest.approx(s.score)
        assert task["data"]["ner_critic_score"] == pytest.approx(s.score, abs=1e-4)
        assert task["data"]["ner_critic_where"] == f"x.conll:{items[s.item].line_of(s.start)}"
        shown = sorted((r["value"]["text"], r["value"]["labels"][0]) for r in task["annotations"][0]["result"])
        words = items[s.item].sentence.words
        assert shown == sorted((words[i], lab) for i, _, lab in tags_spans(items[s.item].sentence.tags))
    # nothing reviewed yet: learning refuses
    with pytest.raises(UserError, match="no reviewed critic tasks"):
        learn(ls_client, title, critic)
    sdk = ls_client._sdk
    # the reviewer accepts the suggested type (corrected) and re-submits the spurious span unchanged (kept);
    # the missing PER stays unreviewed
    typed = tasks["type"]
    sdk.annotations.update(id=typed["annotations"][0]["id"], result=typed["predictions"][0]["result"])
    spurious = tasks["spurious"]
    sdk.annotations.update(id=spurious["annotations"][0]["id"], result=spurious["annotations"][0]["result"])
    new, summary = learn(ls_client, title, critic, weight=200)
    assert summary.startswith(f"2 verdicts from {title!r}: 1 kept, 1 corrected, 0 deleted")
    assert list(new.verdict_y) == [1.0, 0.0] or list(new.verdict_y) == [0.0, 1.0]
    by_kind = {s.kind: np.array([s.features]) for s in suspects}
    assert new.score(by_kind["spurious"])[0] < critic.score(by_kind["spurious"])[0]   # kept: less suspect now
    assert new.score(by_kind["type"])[0] >= critic.score(by_kind["type"])[0] - 1e-9
    # deleting the span of the missing-entity task adds nothing: kept; deleting the spurious one: deleted
    sdk.annotations.update(id=spurious["annotations"][0]["id"],
                           result=[r for r in spurious["annotations"][0]["result"] if r["value"]["text"] != "в"])
    _, summary = learn(ls_client, title, critic)
    assert summary.startswith(f"2 verdicts from {title!r}: 0 kept, 1 corrected, 1 deleted")


def test_a_project_is_read_per_annotator(ls_client, ls_project):
    from ner.labelstudio.sync import push
    from ner.quality.critic.suspects import project_items
    from ner.records import Document

    title = ls_project(Schema.auto(LABELS))
    sentences = (Sentence(("Иван", "в", "Москве"), ("B-PER", "O", "B-LOC")),
                 Sentence(("Анна", "спит"), ("B-PER", "O")))
    push(ls_client, title, [Document("d1", sentences)])
    items, labels = project_items(ls_client, title, "auto", {"PER": "PER"})
    assert labels == ["PER"]
    assert [it.sentence.words for it in items] == [s.words for s in sentences]
    assert [it.sentence.tags for it in items] == [("B-PER", "O", "O"), ("B-PER", "O")]   # --map kept PER only
    assert {it.annotator for it in items} == {str(ls_client.user.id)}   # the export names users by id
    assert [it.line_of(0) for it in items] == [1, 2] and items[0].path == f"project:{title}/d1"
