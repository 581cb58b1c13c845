"""Places reviewers checked: not listed again while their words and tags stand as the reviewer left them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ner.labelstudio.review import FIXED, KEPT, Reviewed
from ner.quality.critic.model import Critic, train_critic
from ner.quality.critic.review import push_line
from ner.quality.critic.reviewed import KEY, checked, merged, sentence_key, set_aside
from ner.quality.critic.suspects import Item, Suspect, listing
from ner.records import Sentence
from tests.quality.test_critic import LABELS, templated

WORDS = ("Модель", "GPT", "обучена", "в", "OpenAI", "в", "2020")
TAGS = ("O", "B-PER", "O", "O", "B-ORG", "O", "B-LOC")
W = sentence_key(WORDS)


def item(tags=TAGS, words=WORDS) -> Item:
    return Item("x.conll", Sentence(words, tuple(tags), 1), "x")


def suspect(start, end, fix=None, n=0, kind="type", score=0.9) -> Suspect:
    return Suspect(n, start, end, kind, "ORG", "PER", fix, score)


def queue_task(span, after_tags=TAGS, fix=None, verdict=KEPT, key="k", before_tags=TAGS) -> Reviewed:
    extra = {"span": list(span), "fix": fix, "features": [0.0], "file": "x.conll", "line": 1}
    return Reviewed(key, 1, verdict, True, Sentence(WORDS, tuple(before_tags), 1),
                    Sentence(WORDS, tuple(after_tags), 1), "", extra)


def with_tag(tags, i, tag):
    return tuple(tag if n == i else t for n, t in enumerate(tags))


def test_a_kept_suspect_is_set_aside_only_where_its_tokens_meet_the_checked_span():
    places = checked([queue_task((4, 5, "ORG"))])
    assert places == [["k", W, 4, 5, ["O", "B-ORG", "O"], ["O", "B-ORG", "O"], 1]]   # kept: as sent, line 1
    suspects = [suspect(4, 5), suspect(3, 4), suspect(5, 6), suspect(3, 5), suspect(1, 2, fix=(1, 5, "PER"))]
    left, met = set_aside([item()], suspects, places)
    assert met == 1 and left == [suspects[1], suspects[2]]      # touching its ends is not meeting it


def test_a_correction_is_checked_in_the_sentence_as_the_reviewer_left_it():
    after = with_tag(TAGS, 4, "B-PER")
    places = checked([queue_task((4, 5, "ORG"), after, fix=[4, 5, "PER"], verdict=FIXED)])
    # not written into the file yet: the place stands as it was, the suspect is listed
    assert set_aside([item()], [suspect(4, 5)], places) == ([suspect(4, 5)], 0)
    # written: the critic does not propose to undo it
    assert set_aside([item(after)], [suspect(4, 5)], places)[1] == 1
    # a word changed by hand since: read afresh; an entity grown into the place: read afresh
    assert set_aside([item(after, WORDS[:6] + ("2021",))], [suspect(4, 5)], places)[1] == 0
    assert set_aside([item(with_tag(after, 5, "I-PER"))], [suspect(4, 5)], places)[1] == 0


def test_a_kept_suspect_stays_checked_when_another_of_its_sentence_is_corrected():
    """Two tasks on one sentence: the second's correction, written, changed the sentence the first was keyed
    on (the first version keyed places by the whole sentence's tags)."""
    fixed = with_tag(TAGS, 6, "O")
    places = checked([queue_task((1, 2, "PER"), key="a"),
                      queue_task((6, 7, "LOC"), fixed, fix=None, verdict=FIXED, key="b")])
    left, met = set_aside([item(fixed)], [suspect(1, 2), suspect(6, 7, kind="missing")], places)
    assert (left, met) == ([], 2)


def test_a_task_reviewed_again_replaces_its_place():
    """Kept first, then reopened and corrected: until the correction is written, the suspect is listed (the
    first version kept both places, and the first one set it aside)."""
    first = checked([queue_task((4, 5, "ORG"), key="a")])
    after = with_tag(TAGS, 4, "B-PER")
    second = merged(first, checked([queue_task((4, 5, "ORG"), after, verdict=FIXED, key="a")]))
    assert len(second) == 1
    assert set_aside([item()], [suspect(4, 5)], second) == ([suspect(4, 5)], 0)
    assert merged([["a", W, 0, 1, []], ["b", W, 1, 2, []]], None, [["a", W, 0, 2, []]]) == [
        ["b", W, 1, 2, []], ["a", W, 0, 2, []]]


def test_a_suspect_ticked_fixed_and_left_unchanged_stays_listed():
    assert merged(checked([queue_task((4, 5, "ORG"), verdict=FIXED)])) == []
    kept = checked([queue_task((4, 5, "ORG"), verdict=KEPT)])
    assert kept == [["k", W, 4, 5, ["O", "B-ORG", "O"], ["O", "B-ORG", "O"], 1]]
    # kept first, then reopened and ticked fixed with nothing changed: the place it had goes (it stayed)
    again = merged(kept, checked([queue_task((4, 5, "ORG"), verdict=FIXED)]))
    assert again == [] and set_aside([item()], [suspect(4, 5)], again) == ([suspect(4, 5)], 0)


def test_a_reviewer_change_beyond_the_suspect_widens_the_checked_place():
    after = with_tag(TAGS, 0, "B-ORG")          # the reviewer also marked the first word
    assert checked([queue_task((4, 5, "ORG"), after, verdict=FIXED)]) == [["k", W, 0, 5, list(after[:6]),
                                                                          list(TAGS[:6]), 1]]


def test_an_audited_sentence_is_checked_whole_and_a_flagged_word_stays():
    r = Reviewed("audit-x", 1, KEPT, False, Sentence(WORDS, TAGS, 1), Sentence(WORDS, TAGS, 1), "",
                 {"audit": "top 2%", "file": "x.conll", "line": 1})
    places = checked([r])
    assert places == [["audit-x", W, 0, 7, list(TAGS), list(TAGS), 1]]
    other = item(words=WORDS[:6] + ("2021",))
    assert set_aside([item(), other], [suspect(6, 7), suspect(6, 7, n=1)], places) == ([suspect(6, 7, n=1)], 1)
    token = Suspect(0, 1, 2, "token", "PER", "GPT", None, 0.9)     # the queue changes labels, not words
    assert set_aside([item()], [token], places) == ([token], 0)


def test_the_places_are_left_out_before_overlapping_suspects_are_thinned():
    """A set-aside boundary suspect hid, in the thinning, a missing one next to it that nobody had seen."""
    places = checked([queue_task((4, 5, "ORG"))])
    boundary = Suspect(0, 4, 5, "boundary", "ORG", "ORG", (4, 7, "ORG"), 0.8)
    missing = Suspect(0, 5, 7, "missing", "", "ORG", (5, 7, "ORG"), 0.6)
    shown, note = listing([item()], [boundary, missing], places, 30, 0.5)
    assert shown == [missing]
    assert note == "1 suspect(s) left out: reviewers checked them, and their places are as the reviewers left them " \
        "(--recheck lists them)"
    assert listing([item()], [boundary, missing], [], 30, 0.5) == ([boundary], "")


def test_the_note_counts_the_suspects_a_listing_would_have_shown():
    """The places met by any candidate, far below the list, were counted: 15 of 16 audited places "left out"."""
    places = checked([queue_task((4, 5, "ORG")), queue_task((1, 2, "PER"), key="b")])
    top, low = suspect(4, 5, score=0.9), suspect(1, 2, score=0.01)
    others = [suspect(k, k + 1, n=1, score=0.5 - k / 100) for k in (0, 2, 3)]
    items = [item(), item(words=WORDS[:6] + ("2021",))]
    shown, note = listing(items, [top, *others, low], places, 2, 0.95)
    assert shown == others and note.startswith("1 suspect(s) left out")        # the low one was not listed
    assert listing(items, [top, *others, low], places, 10, 0.95)[1].startswith("2 suspect(s) left out")
    assert listing(items, [*others, low], places, 2, 0.95) == (others, "")


def test_the_note_says_which_listed_suspects_wait_for_a_reviewers_correction_to_be_written():
    """After --learn, the suspects reviewers corrected topped the list (the critic had learned they are errors), and
    nothing said that their corrections were made and only not written into the file (the trial)."""
    fixed = with_tag(TAGS, 4, "B-LOC")                                  # OpenAI: ORG -> LOC by the reviewer
    places = checked([queue_task((4, 5, "ORG"), after_tags=fixed, verdict=FIXED)])
    there = suspect(4, 5, score=0.95)
    elsewhere = suspect(1, 2, score=0.9)
    shown, note = listing([item()], [there, elsewhere], places, 30, 0.5)
    assert shown == [there, elsewhere]                                   # not set aside: the file is as it was
    assert note == ("1 of the suspects listed (#1) sit where reviewers corrected the annotation and the corpus does "
                    "not hold the correction yet: --learn P --apply FILE writes it")
    # named by their rows in the table (the trial could not tell which of its rows were reviewed ones)
    assert listing([item()], [elsewhere, there], places, 30, 0.5)[1].startswith("1 of the suspects listed (#2) sit")
    assert listing([item(fixed)], [elsewhere], places, 30, 0.5) == ([elsewhere], "")   # written: nothing waits
    assert listing([item()], [there, elsewhere], places, 30, 0.5, applying=True)[1] == ""   # this run writes it
    assert listing([item()], [there, elsewhere], places, 1, 0.99)[1] == note       # the first one, listed by --top
    assert listing([item()], [elsewhere, suspect(4, 5, score=0.1)], places, 1, 0.99)[1] == ""   # not listed
    # the review's false alarms: what --apply would not write is not waiting for it
    moved = [Item("x.conll", Sentence(WORDS, TAGS, 99), "x")]          # the same words at another line
    assert listing(moved, [there], places, 30, 0.5)[1] == ""
    jsonl = [Item("x.jsonl", Sentence(WORDS, TAGS, 1), "x", per_line=False)]
    assert listing(jsonl, [there], places, 30, 0.5)[1] == ""
    edited = with_tag(TAGS, 4, "B-PER")                                 # the file edited by hand since
    assert listing([item(edited)], [there], places, 30, 0.5)[1] == ""
    kept = checked([queue_task((4, 5, "ORG"))])                         # kept, then edited by hand
    assert listing([item(fixed)], [suspect(4, 5, score=0.95)], kept, 30, 0.5) == ([suspect(4, 5, score=0.95)], "")
    assert listing([item()], [there], [p[:5] for p in places], 30, 0.5)[1] == ""   # a place saved before: unknown
    # a push prints the suspects it sends, an audit none: no row numbers that point at nothing (the trial)
    assert listing([item()], [there, elsewhere], places, 30, 0.5, numbered=False)[1] == note.replace(
        "1 of the suspects listed (#1) sit", "1 suspect(s) sit")


def test_a_note_quotes_the_text_the_reviewer_reads_not_the_conll_tokens():
    """A CoNLL sentence's task text is rebuilt as a person writes it ('Llama-3-8B', "Face'а"); the note quoted the
    tokens joined by spaces («Llama-3-8 B», «Hugging Face ' а»), words the reviewer could not find (the trial)."""
    from ner.quality.critic.review import note

    words = ("Скачали", "Llama-3-8", "B", "с", "Hugging", "Face", "'", "а", ".")
    sentence = Sentence(words, ("O", "B-PER", "I-PER", "O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "O"), 1)
    assert note(sentence, Suspect(0, 1, 3, "type", "PER", "ORG", (1, 3, "ORG"), 0.61)) == \
        "Подозрение 61%: «Llama-3-8B»: PER или ORG?"
    assert note(sentence, Suspect(0, 4, 8, "boundary", "ORG", "ORG", (4, 6, "ORG"), 0.5)) == \
        "Подозрение 50%: «Hugging Face'а» (ORG): границы «Hugging Face»?"
    # a text of its own (JSONL, a project): its blanks inside a span are one space in the note (the review)
    text = "Компания Open\n  AI  выпустила\tGPT-4 ."
    own = Sentence(("Компания", "Open", "AI", "выпустила", "GPT-4", "."), ("O", "B-ORG", "I-ORG", "O", "B-ORG", "O"),
                   1, source_text=text, offsets=((0, 8), (9, 13), (16, 18), (20, 29), (30, 35), (36, 37)))
    assert note(own, Suspect(0, 1, 3, "boundary", "ORG", "ORG", (1, 5, "ORG"), 0.5)) == \
        "Подозрение 50%: «Open AI» (ORG): границы «Open AI выпустила GPT-4»? Заменит «GPT-4» (ORG)."


def test_places_of_another_form_are_dropped_not_fatal():
    """A critic saved by the first version of this (three fields a place) crashed every later run."""
    old = [["a" * 16, 4, 5]]
    assert merged(old, checked([queue_task((4, 5, "ORG"))])) == checked([queue_task((4, 5, "ORG"))])
    assert set_aside([item()], [suspect(4, 5)], old) == ([suspect(4, 5)], 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 3), st.booleans()), max_size=5),
       st.lists(st.tuples(st.integers(0, 6), st.integers(1, 3), st.booleans()), max_size=8))
def test_set_aside_keeps_exactly_the_suspects_whose_tokens_meet_no_standing_place(places, cands):
    """Against a plain reading: tokens as sets, a place standing when the sentence's tags around it are
    the ones it holds (here some places hold another tag)."""
    places = [[f"t{n}", W, a, min(a + k, 7), list(TAGS[max(a - 1, 0):a + k + 1]) if stands else ["B-X"]]
              for n, (a, k, stands) in enumerate(places)]
    suspects = [suspect(a, min(a + k, 7), fix=(max(a - 1, 0), min(a + k, 7), "PER") if f else None)
                for a, k, f in cands]
    left, met = set_aside([item()], suspects, places)
    tokens = lambda s: set(range(s.start, s.end)) | (set(range(s.fix[0], s.fix[1])) if s.fix else set())  # noqa
    standing = [set(range(a, b)) for _, _, a, b, tags in places if tags != ["B-X"]]
    assert left == [s for s in suspects if not any(tokens(s) & p for p in standing)]
    assert met == len({tuple(sorted(p)) for p in standing if any(tokens(s) & p for s in suspects)})


def test_places_are_saved_and_carried_by_a_replay(tmp_path):
    words, tags, probs = templated(40, seed=3)
    old = train_critic(words, tags, probs, LABELS, seed=2)
    old = old.refit(old.x[:2], [0, 1], keys=["k1", "k2"])
    old.info[KEY] = checked([queue_task((4, 5, "ORG"))])
    old.save(tmp_path / "c")
    loaded = Critic.load(tmp_path / "c")
    assert loaded.info[KEY] == old.info[KEY]
    fresh = train_critic(words, tags, probs, LABELS, seed=2)
    assert fresh.replayed(loaded, 5.0, 2).info[KEY] == old.info[KEY]


def test_a_second_push_says_how_many_were_there_already():
    suspects = [suspect(4, 5), suspect(1, 2), Suspect(0, 3, 4, "token", "", "в", None, 0.9)]   # a token: not sent
    assert push_line(2, suspects, "Q") == "2 suspect(s) sent to project 'Q' as open tasks; its tab 'Review " \
        "queue' lists them most suspect first"
    assert push_line(0, suspects, "Q").startswith("0 suspect(s) sent to project 'Q' as open tasks; 2 of the 2 were "
                                                  "there already; ")


def test_a_saved_critic_of_the_same_corpus_and_settings_is_used_as_it_is(tmp_path):
    """Each run trained the critic again and replayed its verdicts (59 s of a rerun on the written corpus, which now
    takes 5-6 s); the one saved for this corpus and these settings scores the same."""
    import numpy as np

    from ner.quality.critic.folds import FoldConfig
    from ner.quality.critic.suspects import CriticConfig, fitted_critic

    words, tags, probs = templated(120, seed=9)
    items = [Item("x.conll", Sentence(w, t, 1 + 8 * k), "x") for k, (w, t) in enumerate(zip(words, tags))]
    config = CriticConfig(FoldConfig(folds=2, epochs=1, hidden=8), seed=2)
    said = []
    first = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said == []                                                      # nothing saved: trained
    first.refit(first.x[:3], [1, 0, 1], 5.0, 2, keys=["a", "b", "c"]).save(tmp_path / "critic")
    kept = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said[-1] == f"critic from {tmp_path / 'critic'}: fitted on this corpus with these settings, holding 3 " \
        "of the review queue (weight 5 each)"
    fresh = train_critic(words, tags, probs, LABELS, seed=2).replayed(Critic.load(tmp_path / "critic"), 5.0, 2)
    rows = first.x[:200]
    assert np.allclose(kept.score(rows), fresh.score(rows)) and len(kept.verdict_y) == 3
    # another verdict weight, another seed, a changed corpus: trained again, the verdicts replayed
    for weight, cfg, its in ((7.0, config, items), (5.0, CriticConfig(config.folds, seed=3), items),
                             (5.0, config, [Item("x.conll", Sentence(WORDS, TAGS, 1), "x")] + items[1:])):
        fitted_critic(its, LABELS, probs, cfg, tmp_path, weight, said.append)
        assert said[-1].startswith(f"critic refitted with the verdicts learned before ({tmp_path / 'critic'})")
    # verdicts refitted at another seed (--learn P --seed 3 without FILES), a critic of other training code
    first.refit(first.x[:3], [1, 0, 1], 5.0, 3, keys=["a", "b", "c"]).save(tmp_path / "critic")
    fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said[-1].startswith("critic refitted with the verdicts learned before")
    other = first.refit(first.x[:3], [1, 0, 1], 5.0, 2, keys=["a", "b", "c"])
    other.info["code"] = "another version"
    other.save(tmp_path / "critic")
    fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said[-1].startswith("critic refitted with the verdicts learned before")


def test_a_critic_fitted_with_other_signals_is_trained_again_keeping_the_places_checked(tmp_path):
    """A critic saved by a version of ner with other signals stopped every run ("run 'ner critic' again to refit",
    which stopped again) until its directory was deleted, places and all."""
    import json

    import numpy as np

    from ner.quality.critic.folds import FoldConfig
    from ner.quality.critic.model import INFO_FILE, ROWS_FILE
    from ner.quality.critic.suspects import CriticConfig, fitted_critic

    words, tags, probs = templated(120, seed=9)
    items = [Item("x.conll", Sentence(w, t, 1 + 8 * k), "x") for k, (w, t) in enumerate(zip(words, tags))]
    config = CriticConfig(FoldConfig(folds=2, epochs=1, hidden=8), seed=2)
    first = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0)
    first = first.refit(first.x[:3], [1, 0, 1], 5.0, 2, keys=["a", "b", "c"])
    first.info[KEY] = checked([queue_task((4, 5, "ORG"))])
    first.save(tmp_path / "critic")
    info = json.loads((tmp_path / "critic" / INFO_FILE).read_text())     # no projects named: refitted by hand
    info["features"] = info["features"][:-1]                       # an older version, one signal fewer
    (tmp_path / "critic" / INFO_FILE).write_text(json.dumps(info))
    rows = dict(np.load(tmp_path / "critic" / ROWS_FILE))
    np.savez_compressed(tmp_path / "critic" / ROWS_FILE, **{k: v[:, :-1] if k in ("x", "vx") else v
                                                            for k, v in rows.items()})
    said = []
    again = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said == [f"critic in {tmp_path / 'critic'} was fitted by another version of ner (its signals differ from "
                    "this one's): trained again; its 3 verdict(s) were read with those signals and are not carried "
                    "over: learn their projects again (ner critic x.conll --learn P, with this run's --work and fold "
                    "settings; this critic did not record which projects it learned); the 1 place(s) reviewers "
                    "checked still stand"]
    assert again.info[KEY] == first.info[KEY] and len(again.verdict_y) == 0
    assert np.allclose(again.score(first.x[:50]), fitted_critic(items, LABELS, probs, config, tmp_path / "new",
                                                                5.0).score(first.x[:50]))
    again.save(tmp_path / "critic")                                # the next run uses it as it is, and reminds
    fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said[-2:] == [f"critic from {tmp_path / 'critic'}: fitted on this corpus with these settings",
                         "verdicts learned by another version of ner are not in the critic (its signals changed): "
                         "learn their projects again (ner critic x.conll --learn P, with this run's --work and fold "
                         "settings; this critic did not record which projects it learned)"]
    info = json.loads((tmp_path / "critic" / INFO_FILE).read_text())
    del info["features"]                                          # no names at all: not this version's either
    (tmp_path / "critic" / INFO_FILE).write_text(json.dumps(info))
    fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said[-1].startswith(f"critic in {tmp_path / 'critic'} was fitted by another version of ner")


def test_verdicts_an_upgrade_left_out_are_named_on_every_run_until_their_projects_are_learned_again(tmp_path):
    """"Not carried over: learn their projects again" was said once, by the run that trained the critic again, and
    named no project (the critic did not record them); the next save forgot it."""
    import json

    from ner.quality.critic.folds import FoldConfig
    from ner.quality.critic.model import INFO_FILE
    from ner.quality.critic.suspects import CriticConfig, fitted_critic
    from ner.quality.critic.upgrade import relearned

    words, tags, probs = templated(120, seed=9)
    items = [Item("x.conll", Sentence(w, t, 1 + 8 * k), "x") for k, (w, t) in enumerate(zip(words, tags))]
    config = CriticConfig(FoldConfig(folds=2, epochs=1, hidden=8), seed=2)
    first = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0)
    first = first.refit(first.x[:3], [1, 0, 1], 5.0, 2, keys=["a", "b", "c"])
    assert relearned(first, "ML review") == relearned(first, "ML audit") == ""    # nothing owed: nothing to say
    first.save(tmp_path / "critic")
    info = json.loads((tmp_path / "critic" / INFO_FILE).read_text())
    info["features"] = info["features"][:-1]
    (tmp_path / "critic" / INFO_FILE).write_text(json.dumps(info))
    said = []
    again = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said[-1].endswith("its 3 verdict(s) were read with those signals and are not carried over: learn "
                             "'ML audit', 'ML review' again (ner critic x.conll --learn P for each, with this run's --work and "
                             "fold settings)")
    owed = ("verdicts learned by another version of ner are not in the critic (its signals changed): learn {} again "
            "(ner critic x.conll --learn {}, with this run's --work and fold settings)")
    for _ in range(2):                                             # each run, saved or trained on a changed corpus
        again.save(tmp_path / "critic")
        again = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
        assert said[-1] == owed.format("'ML audit', 'ML review'", "P for each")
    n = len(said)                                                  # a run learning one of them is not told to
    fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append, learning="ML audit")
    assert len(said) == n + 1 and said[-1].startswith(f"critic from {tmp_path / 'critic'}: fitted")
    fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append, learning="elsewhere")
    assert said[-1] == owed.format("'ML audit', 'ML review'", "P for each")
    n = len(said)       # --learn A --push-review --project B learns both: one of them owed is not asked of it
    fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append, learning=("elsewhere", "ML review"))
    assert len(said) == n + 1 and said[-1].startswith(f"critic from {tmp_path / 'critic'}: fitted")
    again.info[KEY] = checked([queue_task((4, 5, "ORG"))])     # a place checked since
    again.save(tmp_path / "critic")
    changed = items[:-1]
    again = fitted_critic(changed, LABELS, probs[:-1], config, tmp_path, 5.0, said.append)
    assert said[-1] == owed.format("'ML audit', 'ML review'", "P for each")
    assert again.info[KEY] == checked([queue_task((4, 5, "ORG"))])   # trained on a changed corpus: it stands
    assert relearned(again, "elsewhere") == ""                     # a project it did not owe pays nothing
    assert relearned(again, "ML review") == "  'ML review' learned again after an upgrade of ner; " + owed.format(
        "'ML audit'", "'ML audit'").replace("x.conll", "FILES")
    again.save(tmp_path / "critic")
    fitted_critic(changed, LABELS, probs[:-1], config, tmp_path, 5.0, said.append)
    assert said[-1] == owed.format("'ML audit'", "'ML audit'")
    assert relearned(again, "ML audit") == "  'ML audit' learned again after an upgrade of ner"
    again.save(tmp_path / "critic")
    n = len(said)
    fitted_critic(changed, LABELS, probs[:-1], config, tmp_path, 5.0, said.append)
    assert len(said) == n + 1 and said[-1].startswith(f"critic from {tmp_path / 'critic'}: fitted on this corpus")
    assert json.loads((tmp_path / "critic" / INFO_FILE).read_text())["learned"] == ["ML audit", "ML review",
                                                                                     "elsewhere"]
    other = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)   # trained on another corpus
    assert len(said) == n + 1 and other.info["learned"] == ["ML audit", "ML review", "elsewhere"]



def test_an_upgrade_names_what_an_earlier_one_left_and_verdicts_of_projects_no_critic_named(tmp_path):
    """A second upgrade before the projects were learned again said only "trained again"; a critic that held
    verdicts from before names were recorded, then learned a named project, named only that one."""
    import json

    from ner.quality.critic.folds import FoldConfig
    from ner.quality.critic.model import INFO_FILE
    from ner.quality.critic.suspects import CriticConfig, fitted_critic
    from ner.quality.critic.upgrade import relearned

    def older_signals():
        info = json.loads((tmp_path / "critic" / INFO_FILE).read_text())
        info["features"] = info["features"][:-1]
        (tmp_path / "critic" / INFO_FILE).write_text(json.dumps(info))

    words, tags, probs = templated(120, seed=9)
    items = [Item("x.conll", Sentence(w, t, 1 + 8 * k), "x") for k, (w, t) in enumerate(zip(words, tags))]
    config = CriticConfig(FoldConfig(folds=2, epochs=1, hidden=8), seed=2)
    first = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0)
    held = first.refit(first.x[:3], [1, 0, 1], 5.0, 2, keys=["a", "b", "c"])   # learned by an older ner: unnamed
    more = held.refit(held.x[3:5], [1, 0], 5.0, 2, keys=["d", "e"])            # then project B, by this one
    assert relearned(more, "B", len(held.verdict_y)) == ""
    more.save(tmp_path / "critic")
    older_signals()
    said = []
    again = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said[-1].endswith("its 5 verdict(s) were read with those signals and are not carried over: learn 'B' "
                             "again (ner critic x.conll --learn B, with this run's --work and fold settings), and the "
                             "projects it learned before ner recorded their names")
    again.save(tmp_path / "critic")
    older_signals()                                   # upgraded again before anything was learned again
    again = fitted_critic(items, LABELS, probs, config, tmp_path, 5.0, said.append)
    assert said[-1] == (f"critic in {tmp_path / 'critic'} was fitted by another version of ner (its signals differ "
                        "from this one's): trained again; verdicts it lacked since an earlier upgrade are still not "
                        "in it: learn 'B' again (ner critic x.conll --learn B, with this run's --work and fold "
                        "settings), and the projects it learned before ner recorded their names")
    assert again.info["not_carried"] == {"projects": ["B"], "unnamed": True}


def test_the_commands_a_reminder_prints_name_what_the_run_read():
    from ner.quality.critic.upgrade import source_of

    assert source_of(["b.conll", "a b.conll", "b.conll"]) == "'a b.conll' b.conll"
    assert source_of(["project:ML review/d1", "project:ML review/d2"]) == "--project 'ML review'"


def test_a_suspect_is_an_error_only_where_the_reviewer_changed_its_tokens_or_its_suggestions():
    """The trial: a reviewer kept «OpenAI Five» as the Model it was (the suspect said Organization), added the
    missing «Dota 2» beside it and ticked "fixed"; the critic learned the declined retype as an error and put it
    first on the next push, over the threshold."""
    from ner.quality.critic.review import verdicts

    def verdict(span, after, fix=None, verdict=FIXED):
        return [v[2:] for v in verdicts([queue_task(span, after, fix=fix, verdict=verdict)])]

    elsewhere = with_tag(TAGS, 2, "B-PER")               # «обучена» tagged, two tokens away from the suspect
    assert verdict((4, 5, "ORG"), elsewhere, [4, 5, "PER"]) == [(0, "kept")]
    assert verdict((4, 5, "ORG"), with_tag(TAGS, 4, "B-PER"), [4, 5, "PER"]) == [(1, "corrected")]
    assert verdict((4, 5, "ORG"), with_tag(TAGS, 4, "O")) == [(1, "deleted")]
    assert verdict((4, 5, "ORG"), TAGS, [4, 5, "PER"]) == [(1, "corrected")]    # ticked fixed, left as it was
    assert verdict((4, 5, "ORG"), elsewhere, [4, 5, "PER"], KEPT) == [(0, "kept")]
    # a name the suspect says is missing: added there (with any label) an error, added elsewhere not
    assert verdict((2, 3, ""), elsewhere, [2, 3, "ORG"]) == [(1, "corrected")]
    assert verdict((3, 4, ""), elsewhere, [3, 4, "ORG"]) == [(0, "kept")]
    # a boundary: the span grown to the token its suggestion adds is a change of its suggestion's tokens
    grown = with_tag(with_tag(TAGS, 3, "B-ORG"), 4, "I-ORG")
    assert verdict((4, 5, "ORG"), grown, [3, 5, "ORG"]) == [(1, "corrected")]
    # grown to the right: no tag of its tokens changes, yet the span is no longer there as it was (the review)
    right = with_tag(TAGS, 5, "I-ORG")
    assert verdict((4, 5, "ORG"), right, [4, 5, "PER"]) == [(1, "corrected")]
    assert verdict((4, 5, "ORG"), right) == [(1, "corrected")]
    # a missing name the reviewer adds by growing a span next to it over its token
    assert verdict((5, 6, ""), right, [5, 6, "ORG"]) == [(1, "corrected")]


def test_a_push_learns_nothing_twice_and_is_not_refused_for_verdicts_it_cannot_read():
    """Before a push (``pushed``): a critic holding every verdict as it is comes back as it is, said so; verdicts
    of another version of ner's signals that cannot be read again in the corpus are said, not refused after the
    whole training (the review)."""
    import pytest

    from ner.errors import UserError
    from ner.quality.critic.review import learn

    words, tags, probs = templated(60, seed=9)
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    task = queue_task((4, 5, "ORG"))
    task.extra["features"] = list(critic.x[0])
    once, _ = learn(None, "Q", critic, reviewed=[task], pushed=True)
    again, said = learn(None, "Q", once, reviewed=[task], pushed=True)
    assert again is once and said == "'Q' is pushed again: the critic holds its 1 verdict(s) already, as they are"
    stale = queue_task((4, 5, "ORG"))                    # sent with other signals; its sentence is not in the corpus
    stale.extra.update(features=[0.0], signals="another")
    corpus = ([Item("x.conll", Sentence(w, t, 1 + 8 * k), "x") for k, (w, t) in enumerate(zip(words, tags))],
              LABELS, probs)
    with pytest.raises(UserError, match="none of its verdicts could be read"):
        learn(None, "Q", critic, reviewed=[stale], corpus=corpus)
    kept, said = learn(None, "Q", critic, reviewed=[stale], corpus=corpus, pushed=True)
    assert kept is critic and said.startswith("'Q' is pushed again, its verdicts not learned: project 'Q': none of")
