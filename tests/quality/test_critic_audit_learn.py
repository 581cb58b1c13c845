"""``ner critic FILES --learn P`` on a reviewed audit sample: every candidate of a reviewed sentence a verdict.

The rows are checked against what the reviewer changed, sentence by sentence; the weights against the
strata; the refit against the synthetic critic. The command end to end, against the real Label Studio,
is in ``test_critic_audit.py``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ner.errors import UserError
from ner.labelstudio.review import FIXED, KEPT, Reviewed
from ner.quality.critic.audit_learn import audit_rows, learn_audit, match_sample
from ner.quality.critic.model import Critic, train_critic
from ner.quality.critic.review import held, learn, verdicts_or_refuse
from ner.quality.critic.suspects import Item
from ner.records import Sentence
from tests.quality.test_critic import CLEAN, LABELS, planted_toy, tags_of


def reviewed(items, n, after, stratum, size, task, verdict=None):
    s = items[n].sentence
    extra = {"audit": stratum, "size": size, "sample": "s1", "file": items[n].path, "line": s.line}
    verdict = verdict or (KEPT if tuple(after) == tuple(s.tags) else FIXED)
    return Reviewed(f"audit-{n}", task, verdict, False, s, Sentence(s.words, tuple(after), s.line), "r", extra)


def sample(items):
    """Sentences 10 (its PER dropped) and 20 (its ORG typed LOC) corrected, 100 and 101 kept (from the top 2% of
    6 and the other 90% of 270), one ticked fixed but left as it was, one no longer in the corpus."""
    gone = Item("x.conll", Sentence(("Нет", "такого", "."), ("O", "O", "O"), 9999), "x")
    return [reviewed(items, 10, CLEAN, "top 2%", 6, 1), reviewed(items, 20, CLEAN, "top 2%", 6, 2),
            reviewed(items, 100, items[100].sentence.tags, "other 90%", 270, 3),
            reviewed(items, 101, items[101].sentence.tags, "other 90%", 270, 4),
            reviewed(items, 30, items[30].sentence.tags, "next 8%", 24, 5, verdict=FIXED),
            reviewed([gone], 0, ("O", "B-ORG", "O"), "other 90%", 270, 6)]


def test_every_candidate_of_a_reviewed_sentence_is_a_verdict_weighing_its_stratum():
    words, tags, probs, items = planted_toy()
    cands, y, w, used, skipped = audit_rows(sample(items), items, LABELS, probs)
    assert sorted(used) == [10, 20, 100, 101]
    assert {c.item for c in cands} == {10, 20, 100, 101}
    verdict = {(c.item, c.start, c.end, c.label): (v, weight) for c, v, weight in zip(cands, y, w)}
    assert verdict[(10, 0, 1, "")] == (1, 3.0)          # the dropped PER, a missing place: changed
    assert verdict[(10, 3, 4, "ORG")] == (0, 3.0)       # its ORG kept
    assert verdict[(20, 3, 4, "LOC")] == (1, 3.0)       # the retype: changed
    assert verdict[(20, 0, 1, "PER")] == (0, 3.0)
    assert {v for (item, *_), (v, _) in verdict.items() if item in (100, 101)} == {0}
    assert {weight for (item, *_), (_, weight) in verdict.items() if item in (100, 101)} == {135.0}   # 270 / 2
    assert int(y.sum()) == 2
    assert skipped == ["x.conll:241 (task 5): ticked fixed, left unchanged (open the task, correct it, or untick it "
                       "if the tick was a slip, Submit, learn again)", "x.conll:9999 (task 6): not in the corpus given"]


def test_a_correction_already_written_into_the_file_teaches_the_same():
    """``--audit-report P --apply FILE`` first, ``--learn P`` after: the sentence is read as it was sent."""
    words, tags, probs, items = planted_toy()
    before = audit_rows(sample(items), items, LABELS, probs)
    fixed = list(items)
    for n in (10, 20):
        fixed[n] = Item("x.conll", items[n].sentence.with_tags(CLEAN), "x")
    after = audit_rows(sample(items), fixed, LABELS, probs)
    assert [(c.item, c.start, c.end, c.label) for c in after[0]] == [(c.item, c.start, c.end, c.label)
                                                                      for c in before[0]]
    assert after[1].tolist() == before[1].tolist() and after[2].tolist() == before[2].tolist()


def test_two_sentences_with_the_same_words_are_told_apart_by_their_line():
    words, tags, probs, items = planted_toy()
    twin = len(items)
    items = items + [Item("x.conll", Sentence(items[10].sentence.words, items[10].sentence.tags, 5000), "x")]
    probs = list(probs) + [probs[10]]
    r = reviewed(items, twin, CLEAN, "top 2%", 6, 1)
    _, _, _, used, _ = audit_rows([r], items, LABELS, probs)
    assert list(used) == [twin]


def corrected(items):
    """The toy's tags with the reviewers' versions of sentences 10 and 20 (those ``sample`` changes)."""
    return [CLEAN if n in (10, 20) else it.sentence.tags for n, it in enumerate(items)]


def test_the_refit_raises_what_the_reviewer_changed_and_keeps_each_rows_weight(tmp_path):
    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    with pytest.raises(UserError, match='learns from it with the corpus it was drawn from.*'
                                        'ner critic x.conll --learn "A"'):
        learn(None, "A", critic, reviewed=sample(items))
    with pytest.raises(UserError, match='ner critic x.conll --learn "A"'):
        verdicts_or_refuse(sample(items), "A")
    assert verdicts_or_refuse(sample(items), "A", items) == []
    other = [Item("y.conll", Sentence(("Другой", "текст"), ("O", "O"), 1), "y")]
    with pytest.raises(UserError, match="its audit sample was drawn from x.conll; the FILES given lack x.conll: give "
                                        "it, or a copy of the same name"):
        verdicts_or_refuse(sample(items), "A", other)
    with pytest.raises(UserError, match="the FILES given lack x.conll"):   # the same words in another file
        verdicts_or_refuse(sample(items), "A", [Item("z.conll", it.sentence, "z") for it in items])
    copy = [Item(str(tmp_path / "x.conll"), it.sentence, "x") for it in items]   # a teammate's copy: as --apply takes
    assert verdicts_or_refuse(sample(items), "A", copy) == []
    with pytest.raises(UserError, match="the FILES given lack y.conll"):   # a sample of two files, one given
        two = sample(items)[:4] + [reviewed(other, 0, ("O", "B-ORG"), "other 90%", 270, 9)]
        verdicts_or_refuse(two, "A", items)
    ticked = [reviewed(items, n, items[n].sentence.tags, "top 2%", 6, n, verdict=FIXED) for n in (10, 20)]
    with pytest.raises(UserError, match=r"no reviewed audit sentence to learn from in the FILES given \(x.conll:81 "
                                        r"\(task 10\): ticked fixed, left unchanged"):
        verdicts_or_refuse(ticked, "A", items)
    new, summary = learn(None, "A", critic, seed=2, reviewed=sample(items), corpus=(items, LABELS, probs))
    cands, y, w, _, _ = audit_rows(sample(items), items, LABELS, probs)
    x = np.array([c.features for c in cands])
    assert new.score(x[y == 1]).mean() > critic.score(x[y == 1]).mean()
    assert new.verdict_w.tolist() == w.tolist() and new.verdict_y.tolist() == y.tolist()
    assert summary.startswith(f"4 audited sentences from 'A' (2 changed): {len(y)} candidates, 2 of them pointing "
                              "at a change; each weighs the sentences its stratum holds per one drawn there "
                              "(3.0-135.0)")
    assert "left out: x.conll:241 (task 5): ticked fixed, left unchanged" in summary
    assert new.info["learned"] == ["A"] and "not_carried" not in new.info and "learned again" not in summary
    critic.info["not_carried"] = {"projects": ["A", "B"], "unnamed": False}   # owed since an upgrade of ner
    again, summary = learn(None, "A", critic, seed=2, reviewed=sample(items), corpus=(items, LABELS, probs))
    assert again.info["not_carried"] == {"projects": ["B"], "unnamed": False}
    assert summary.endswith("\n  'A' learned again after an upgrade of ner; verdicts learned by another version of "
                            "ner are not in the critic (its signals changed): learn 'B' again (ner critic FILES "
                            "--learn B, with this run's --work and fold settings)")
    del critic.info["not_carried"]
    # an entity added where no candidate points is named: nothing was learned there
    n = next(n for n in range(102, 300) if probs[n][1, 0] > 0.9)      # the model sure of O on its second word
    extra = sample(items) + [reviewed(items, n, tags_of(7, (0, 1, "PER"), (1, 2, "ORG"), (3, 4, "ORG"), (5, 6, "LOC")),
                                      "other 90%", 270, 7)]
    for r in extra:
        r.extra["sentences"] = 280                           # the file had 20 sentences fewer when the sample was drawn
    text = learn(None, "A", critic, seed=2, reviewed=extra, corpus=(items, LABELS, probs))[1]
    assert f"changed where no candidate points (nothing learned there): x.conll:{items[n].sentence.line} (task 7)" in text
    assert "the sample was drawn from 280 sentences, the corpus given has 300: the weights are the sample's" in text
    # the synthetic rows come from the corpus with the reviewers' versions: as it stands, the two errors were
    # "clean" rows of every corrupted copy, against their verdicts
    fixed = train_critic(words, corrected(items), probs, LABELS, seed=2)
    assert np.array_equal(new.y, fixed.y) and not np.array_equal(new.y, critic.y)
    # saved and replayed, each row keeps its weight and key
    new.save(tmp_path / "c")
    old = Critic.load(tmp_path / "c")
    assert np.array_equal(old.verdict_w, new.verdict_w) and old.own_keys().tolist() == new.own_keys().tolist()
    assert np.allclose(fixed.replayed(old, 5.0, 2).score(x), new.score(x))


def test_the_review_queues_weight_holds_when_an_audit_is_learned():
    """``--verdict-weight 50`` replayed the queue's verdicts at 50, then the audit's refit fitted them at 5."""
    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    rows = critic.x[:3]
    queue = critic.refit(rows, np.ones(3), 50.0, 2, keys=["s1", "s2", "s3"])
    new, summary = learn(None, "A", queue, 50.0, 2, reviewed=sample(items), corpus=(items, LABELS, probs))
    cands, y, w, used, _ = audit_rows(sample(items), items, LABELS, probs)
    fixed = train_critic(words, corrected(items), probs, LABELS, seed=2)
    want = fixed.refit(rows, np.ones(3), 50.0, 2, keys=["s1", "s2", "s3"]).refit(
        np.array([c.features for c in cands]), y, 50.0, 2, weights=w, keys=[used[c.item].key for c in cands])
    assert np.allclose(new.score(rows), want.score(rows)) and new.info["verdict_weight"] == 50.0
    assert np.isnan(new.own_weights()[:3]).all()


def test_the_weight_is_the_strata_design_where_the_draws_are_recorded():
    """A stratum of 270 with 2 of its 40 drawn sentences reviewed: each stands for 270 / 40, not 270 / 2."""
    words, tags, probs, items = planted_toy()
    drawn = [reviewed(items, n, items[n].sentence.tags, "other 90%", 270, n) for n in (100, 101)]
    for r in drawn:
        r.extra["drawn"] = 40
    _, _, w, _, _ = audit_rows(drawn, items, LABELS, probs)
    assert set(w.tolist()) == {270 / 40}


def test_an_exact_place_is_matched_before_a_moved_sentence_takes_it():
    words, tags, probs, items = planted_toy()
    s = items[10].sentence
    twins = [Item("x.conll", Sentence(s.words, s.tags, line), "x") for line in (10, 20)]
    moved = reviewed(twins, 0, CLEAN, "top 2%", 6, 1)
    moved.extra["line"] = 5                                  # sent from a line the file no longer has
    exact = reviewed(twins, 0, CLEAN, "top 2%", 6, 2)
    exact.extra["file"] = "./x.conll"                        # as typed another time: the same file
    used, skipped = match_sample([moved, exact], twins)
    assert used == {0: exact, 1: moved} and skipped == []


def test_a_reviewers_verdict_weighs_what_each_run_is_told():
    """Queue verdicts carry no weight of their own: ``--verdict-weight`` at a later run still sets theirs."""
    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    rows = critic.x[:3]
    once = critic.refit(rows, np.ones(3), 5.0, 2)
    assert np.isnan(once.own_weights()).all()
    replayed = critic.refit(once.verdict_x, once.verdict_y, 50.0, 2, once.own_weights())
    direct = critic.refit(rows, np.ones(3), 50.0, 2)
    assert np.allclose(replayed.score(critic.x[:50]), direct.score(critic.x[:50]))
    legacy = Critic(critic.estimator, critic.x, critic.y, once.verdict_x, once.verdict_y)   # saved before weights
    assert np.isnan(legacy.own_weights()).all() and len(legacy.own_weights()) == 3


def test_nothing_to_learn_is_refused_with_what_was_left_out():
    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    only = sample(items)[4:]
    with pytest.raises(UserError, match="no reviewed audit sentence of the corpus given has a candidate to learn from "
                                        r"\(x.conll:241 \(task 5\): ticked fixed"):
        learn_audit(only, "A", critic, (items, LABELS, probs))


def test_a_sample_learned_twice_is_held_once_and_a_second_review_replaces_the_first():
    """Before keys, each ``--learn`` of the same project added its verdicts again (a queue's too): a sample
    learned twice weighed twice."""
    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    corpus = (items, LABELS, probs)
    once, _ = learn(None, "A", critic, seed=2, reviewed=sample(items), corpus=corpus)
    twice, _ = learn(None, "A", once, seed=2, reviewed=sample(items), corpus=corpus)
    assert len(twice.verdict_y) == len(once.verdict_y) and twice.verdict_y.sum() == 2
    # the reviewer reopens sentence 20 and keeps it as it was: its rows now say kept, the others stay
    again = [r if r.task != 2 else reviewed(items, 20, items[20].sentence.tags, "top 2%", 6, 2) for r in sample(items)]
    third, _ = learn(None, "A", twice, seed=2, reviewed=again[1:2], corpus=corpus)
    assert len(third.verdict_y) == len(once.verdict_y) and third.verdict_y.sum() == 1
    # a reviewer's queue verdicts, learned twice, are held once as well
    rows = critic.x[:3]
    queue = critic.refit(rows, np.ones(3), 5.0, 2, keys=["s1", "s2", "s3"])
    assert len(queue.refit(rows[:1], np.zeros(1), 5.0, 2, keys=["s1"]).verdict_y) == 3
    assert len(queue.refit(rows[:1], np.zeros(1), 5.0, 2).verdict_y) == 4          # no key: nothing to match


def test_a_queue_learned_twice_is_held_once_also_from_a_critic_saved_before_keys(tmp_path):
    from ner.quality.critic.signals import FEATURES

    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    s = items[20].sentence
    queue = [Reviewed(f"q{n}", n, KEPT, True, s, s, "r", {"span": [3, 4, "LOC"], "features": list(critic.x[n])})
             for n in range(3)]
    once, _ = learn(None, "Q", critic, 5.0, 2, reviewed=queue)
    twice, summary = learn(None, "Q", once, 5.0, 2, reviewed=queue)
    assert len(twice.verdict_y) == 3
    assert "the critic now holds 3 of the review queue (weight 5 each); 3 of these it held already, as they are\n" \
        in summary
    once.save(tmp_path / "c")
    rows = dict(np.load(tmp_path / "c" / "critic_rows.npz"))
    np.savez_compressed(tmp_path / "c" / "critic_rows.npz", **{k: v for k, v in rows.items() if k not in ("vw", "vk")})
    legacy = Critic.load(tmp_path / "c")
    assert legacy.own_keys().tolist() == ["", "", ""] and len(FEATURES) == legacy.verdict_x.shape[1]
    assert len(learn(None, "Q", legacy, 5.0, 2, reviewed=queue)[0].verdict_y) == 3


def test_two_samples_of_one_corpus_weigh_half_each():
    """Each audit speaks for the whole corpus: learned one after the other, the first kept its full weight and
    the corpus counted twice."""
    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    corpus = (items, LABELS, probs)
    first = sample(items)[:2]
    second = [reviewed(items, n, items[n].sentence.tags, "other 90%", 270, 10 + n) for n in (150, 160)]
    for r in second:
        r.extra["sample"] = "s2"
    one, _ = learn(None, "A", critic, seed=2, reviewed=first, corpus=corpus)
    two, summary = learn(None, "B", one, seed=2, reviewed=second, corpus=corpus)
    w1, w2 = audit_rows(first, items, LABELS, probs)[2], audit_rows(second, items, LABELS, probs)[2]
    assert one.verdict_w.tolist() == w1.tolist()
    assert sorted(two.verdict_w.tolist()) == sorted((w1 / 2).tolist() + (w2 / 2).tolist())
    assert "the critic holds 2 audit samples of x.conll: each speaks for the whole corpus, so each weighs 1/2 of " \
        "it" in summary
    # the first learned again: replaced, still half
    again, _ = learn(None, "A", two, seed=2, reviewed=first, corpus=corpus)
    assert sorted(again.verdict_w.tolist()) == sorted(two.verdict_w.tolist())
    # a review queue's verdicts keep the run's weight
    queue = two.refit(critic.x[:2], np.ones(2), 5.0, 2, keys=["q1", "q2"])
    third = [reviewed(items, 170, items[170].sentence.tags, "other 90%", 270, 99)]
    third[0].extra["sample"] = "s3"
    three, _ = learn(None, "C", queue, seed=2, reviewed=third, corpus=corpus)
    assert np.isnan(three.own_weights()).sum() == 2
    assert sorted(three.own_weights()[~np.isnan(three.own_weights())].tolist()) == sorted(
        (w1 / 3).tolist() + (w2 / 3).tolist() + (audit_rows(third, items, LABELS, probs)[2] / 3).tolist())


def test_samples_of_other_files_keep_their_weight_and_keys_saved_without_a_sample_are_replaced():
    """A sample of another corpus is no second look at this one; a critic saved when audit keys named the sentence
    only (``audit-<sentence>``) counted the same sample, learned again, twice."""
    words, tags, probs, items = planted_toy()
    items[150] = Item("dev.conll", items[150].sentence, "dev")            # the other corpus, given as well
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    corpus = (items, LABELS, probs)
    first = sample(items)[:2]
    other = [reviewed(items, 150, items[150].sentence.tags, "other 90%", 270, 50)]
    other[0].extra.update(sample="s9", file="dev.conll")
    one, _ = learn(None, "A", critic, seed=2, reviewed=first, corpus=corpus)
    two, summary = learn(None, "D", one, seed=2, reviewed=other, corpus=corpus)
    w1, w9 = audit_rows(first, items, LABELS, probs)[2], audit_rows(other, items, LABELS, probs)[2]
    assert sorted(two.verdict_w.tolist()) == sorted(w1.tolist() + w9.tolist()) and "1/2" not in summary
    legacy = replace(one, verdict_k=np.array([k.partition("@")[0] for k in one.own_keys()], dtype=object))
    again, summary = learn(None, "A", legacy, seed=2, reviewed=first, corpus=corpus)
    assert len(again.verdict_y) == len(one.verdict_y) and again.verdict_w.tolist() == w1.tolist()
    assert "1/2" not in summary and "rows of 2 audited sentences" in held(again, 5.0)


def test_a_sentence_is_looked_for_in_the_file_it_was_sent_from_only():
    """Its line moved (a sentence added above it): found again by its words, but in its own file; the first
    version took the first sentence of the same words in any file given, and taught the reviewer's verdict there."""
    words, tags, probs, items = planted_toy()
    other = Item("other.conll", items[10].sentence, "other")           # the same words in another file, first
    moved = Item("x.conll", Sentence(items[10].sentence.words, items[10].sentence.tags, 7777), "x")
    r = reviewed(items, 10, CLEAN, "top 2%", 6, 1)
    assert match_sample([r], [other, moved])[0] == {1: r}
    assert match_sample([r], [other]) == ({}, ["x.conll:81 (task 1): not in the corpus given"])


def test_a_queue_verdict_sent_by_a_version_with_other_signals_is_read_again_in_the_corpus():
    """Its features were computed with the signals of the version that sent it: a refit read them as rows of
    this version's (a shape error, or rows of shifted columns), and without the corpus nothing can read them."""
    from ner.quality.critic.review import review_items
    from ner.quality.critic.signals import FEATURES
    from ner.quality.critic.suspects import score_items

    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    suspects = [s for s in score_items(items, LABELS, probs, critic) if s.kind != "token"][:3]
    queue = review_items(items, suspects)
    tasks = []
    for n, (q, s) in enumerate(zip(queue, suspects)):
        extra = {**q.extra, "features": list(q.extra["features"])[:-1]}    # one signal fewer
        after = q.versions[0].tags if n == 0 else items[s.item].sentence.tags
        tasks.append(Reviewed(q.key, n + 1, FIXED if n == 0 else KEPT, True, items[s.item].sentence,
                              Sentence(items[s.item].sentence.words, tuple(after), items[s.item].sentence.line),
                              "r", extra))
    tasks[1].extra.update(features=[0.0] * len(FEATURES), signals="other names")   # as many signals, not the same
    gone = replace(tasks[2], key="gone", extra={**tasks[2].extra, "line": 1, "file": "elsewhere.conll"},
                   before=Sentence(("Нет", "."), ("O", "O"), 1), after=Sentence(("Нет", "."), ("O", "O"), 1))
    with pytest.raises(UserError, match="holds 3 task\\(s\\) sent by another version of ner .* ner critic x.conll --learn \"Q\" \\(with the --work"):
        learn(None, "Q", critic, reviewed=tasks)
    new, summary = learn(None, "Q", critic, reviewed=tasks + [gone], corpus=(items, LABELS, probs))
    assert len(new.verdict_y) == 3 and new.verdict_y.tolist() == [1, 0, 0]
    assert np.allclose(new.verdict_x, [s.features for s in suspects])
    assert summary.startswith("3 verdicts from 'Q'") and summary.endswith(
        "\n  3 of them sent by another version of ner (other signals): read again in the corpus"
        "\n  not learned (1, sent by another version of ner and not read again): elsewhere.conll:1 (task 3): not in "
        "the corpus given")
    assert new.info["learned"] == ["Q"] and "not_carried" not in new.info
    # a critic trained again after an upgrade owes its verdicts until their project is learned again: this says so
    critic.info["not_carried"] = {"projects": ["Q"], "unnamed": False}
    new, again = learn(None, "Q", critic, reviewed=tasks + [gone], corpus=(items, LABELS, probs))
    assert again == summary + ("\n  'Q' learned again after an upgrade of ner (1 of its tasks not learned: above)")
    assert "not_carried" not in new.info
    critic.info["not_carried"] = {"projects": [], "unnamed": True}   # an older critic kept no names
    new, again = learn(None, "Q", critic, reviewed=tasks + [gone], corpus=(items, LABELS, probs))
    assert again.endswith("\n  'Q' learned; which projects the critic held before an upgrade of ner is not recorded, "
                          "so it stops asking: learn each of them again (1 of its tasks not learned: above)")
    assert "not_carried" not in new.info


def test_learning_an_audit_fits_the_trees_once_and_a_replay_once(tmp_path, monkeypatch):
    """The audit's critic was fitted on the reviewers' versions, again with the verdicts held, again with the audit's
    (38-49 s each on the written corpus); a run that trained the critic again fitted it, then again with its verdicts.
    Each now fits once, and scores as the fit-then-refit did (``test_the_review_queues_weight_holds_when_an_audit_is_
    learned``, and below)."""
    from ner.quality.critic import model
    from ner.quality.critic.folds import FoldConfig
    from ner.quality.critic.suspects import CriticConfig, fitted_critic

    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    queue = critic.refit(critic.x[:3], np.ones(3), 5.0, 2, keys=["s1", "s2", "s3"])
    fits = []
    real_fit = model._Split.fit
    monkeypatch.setattr(model._Split, "fit", lambda self, *a, **k: fits.append(1) or real_fit(self, *a, **k))
    learn(None, "A", queue, 5.0, 2, reviewed=sample(items), corpus=(items, LABELS, probs))
    assert len(fits) == 1
    queue.info.update(corpus="another corpus")          # saved for other files: trained again, verdicts replayed
    queue.save(tmp_path / "critic")
    fits.clear()
    config = CriticConfig(FoldConfig(folds=2, epochs=1, hidden=8), seed=2)
    again = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0)
    assert len(fits) == 1
    want = train_critic(words, tags, probs, LABELS, seed=2).refit(queue.verdict_x, queue.verdict_y, 5.0, 2,
                                                                  keys=["s1", "s2", "s3"])
    assert np.allclose(again.score(critic.x[:200]), want.score(critic.x[:200])) and len(again.verdict_y) == 3


def test_a_copy_is_found_among_files_of_the_same_name_by_the_path_it_was_sent_from():
    """Two files of one name (train/ and dev/) in another checkout: the one whose path ends as the sent one's; the
    first version kept one per name, whichever a set's order gave last."""
    from ner.quality.critic.reviewed import source_finder

    for files in (["a/train/data.conll", "a/dev/data.conll"], ["a/dev/data.conll", "a/train/data.conll"]):
        find = source_finder(set(files))
        assert find({"abspath": "/old/checkout/dev/data.conll", "file": "dev/data.conll"}) == "a/dev/data.conll"
        assert find({"abspath": "/old/checkout/train/data.conll", "file": "x/data.conll"}) == "a/train/data.conll"
        assert find({"abspath": "/old/data.conll", "file": "data.conll"}) == "a/dev/data.conll"   # a tie: the first
        assert find({"abspath": "/old/other.conll", "file": "other.conll"}) is None


def test_tasks_on_one_sentence_sent_with_different_tags_are_each_read_again_as_sent(tmp_path):
    """A suspect pushed, its sentence corrected (--apply), another suspect of it pushed later: each is read again in
    the tags it was sent with (one reading in the last task's tags lost the first task's span)."""
    from ner.quality.critic.review import read_again
    from ner.quality.critic.signals import candidates

    words, tags, probs, items = planted_toy()
    n = 20                                              # its ORG typed LOC
    fixed = list(CLEAN)
    first = Reviewed("a", 1, KEPT, True, items[n].sentence, items[n].sentence, "r",
                     {"span": [3, 4, "LOC"], "kind": "type", "features": [0.0], "file": "x.conll",
                      "line": items[n].sentence.line})
    later = Sentence(items[n].sentence.words, tuple(fixed), items[n].sentence.line)
    second = Reviewed("b", 2, KEPT, True, later, later, "r",
                      {"span": [3, 4, "ORG"], "kind": "type", "features": [0.0], "file": "x.conll",
                       "line": items[n].sentence.line})
    items[n] = Item("x.conll", later, "x")             # the file as it stands: corrected
    found = [("a", [0.0], 0, "kept"), ("b", [0.0], 0, "kept")]
    out, again, left = read_again(found, [first, second], "Q", (items, LABELS, probs))
    assert left == [] and again == 2
    as_sent = [t if k != n else tags[n] for k, t in enumerate(it.sentence.tags for it in items)]
    want_a = next(c for c in candidates(words, as_sent, probs, LABELS) if (c.item, c.start, c.label) == (n, 3, "LOC"))
    want_b = next(c for c in candidates(words, [it.sentence.tags for it in items], probs, LABELS)
                  if (c.item, c.start, c.label) == (n, 3, "ORG"))
    assert out == [("a", list(want_a.features), 0, "kept"), ("b", list(want_b.features), 0, "kept")]


def test_a_critic_not_fitted_yet_neither_scores_nor_is_saved(tmp_path):
    words, tags, probs, items = planted_toy()
    rows = train_critic(words, tags, probs, LABELS, seed=2, fit=False)
    for call in (lambda: rows.score(rows.x[:2]), lambda: rows.save(tmp_path / "c")):
        with pytest.raises(RuntimeError, match="not fitted"):
            call()
    assert not (tmp_path / "c").exists()


def test_a_path_sent_as_given_is_not_read_against_the_current_directory_when_the_absolute_one_is_known(tmp_path,
                                                                                                        monkeypatch):
    """Sent from /old/train as 'data.conll', now run from new/dev with both files: the relative name resolved here
    named dev's file; the absolute path's tail names train's."""
    from ner.quality.critic.reviewed import source_finder

    (tmp_path / "new" / "dev").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "new" / "dev")
    find = source_finder({"../train/data.conll", "data.conll"})
    assert find({"abspath": "/old/train/data.conll", "file": "data.conll"}) == "../train/data.conll"
    assert find({"abspath": "", "file": "data.conll"}) == "data.conll"     # not found when sent: the path as given


def test_an_unreadable_critic_says_to_delete_it_and_a_missing_one_to_run_the_critic(tmp_path):
    words, tags, probs, items = planted_toy()
    with pytest.raises(UserError, match="no critic there; run 'ner critic FILES' on the corpus first"):
        Critic.load(tmp_path / "c")
    train_critic(words, tags, probs, LABELS, seed=2).save(tmp_path / "c")
    (tmp_path / "c" / "critic.json").write_text("[]")
    with pytest.raises(UserError, match=r"no usable critic there .*; delete .* and run 'ner critic FILES'"):
        Critic.load(tmp_path / "c")


def test_tasks_sent_at_two_times_are_read_again_beside_the_corpus_of_their_own_time():
    """Two sentences, each pushed, corrected, pushed again: a task is read in a corpus holding the other sentence as
    it stood when the task was sent (taken in the order the tasks came, one layer mixed the two times)."""
    from ner.quality.critic.review import read_again
    from ner.quality.critic.signals import candidates

    words, tags, probs, items = planted_toy()

    def task(n, sent, span, number):
        s = Sentence(items[n].sentence.words, tuple(sent), items[n].sentence.line)
        return Reviewed(f"t{number}", number, KEPT, True, s, s, "r",
                        {"span": list(span), "kind": "type", "features": [0.0], "file": "x.conll", "line": s.line})

    a0, b0 = tags[20], tags[60]                        # ORG typed LOC; PER typed ORG
    tasks = [task(20, a0, (3, 4, "LOC"), 1), task(60, CLEAN, (0, 1, "PER"), 4), task(60, b0, (0, 1, "ORG"), 2),
             task(20, CLEAN, (3, 4, "ORG"), 3)]
    found = [(t.key, [0.0], 0, "kept") for t in tasks]
    out, again, left = read_again(found, tasks, "Q", (items, LABELS, probs))
    first = [list(a0) if k == 20 else list(b0) if k == 60 else list(t) for k, t in enumerate(tags)]
    second = [list(CLEAN) if k in (20, 60) else list(t) for k, t in enumerate(tags)]
    item = {"t1": 20, "t2": 60, "t3": 20, "t4": 60}
    want = {}
    for corpus, keys in ((first, ("t1", "t2")), (second, ("t3", "t4"))):
        cands = {(c.item, c.start, c.label): c.features for c in candidates(words, corpus, probs, LABELS)}
        for t in (t for t in tasks if t.key in keys):
            want[t.key] = list(cands[(item[t.key], t.extra["span"][0], t.extra["span"][2])])
    assert left == [] and again == 4 and {k: f for k, f, *_ in out} == want
