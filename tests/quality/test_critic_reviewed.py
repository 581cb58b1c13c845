"""Places reviewers checked: not listed again while their sentence stands as the reviewer left it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ner.labelstudio.review import FIXED, KEPT, Reviewed
from ner.quality.critic.model import train_critic
from ner.quality.critic.reviewed import KEY, checked, merged, sentence_key, set_aside
from ner.quality.critic.suspects import Item, Suspect
from ner.records import Sentence
from tests.quality.test_critic import LABELS, templated

WORDS = ("Модель", "GPT", "обучена", "в", "OpenAI", "в", "2020")
TAGS = ("O", "B-PER", "O", "O", "B-ORG", "O", "B-LOC")


def item(tags=TAGS, words=WORDS) -> Item:
    return Item("x.conll", Sentence(words, tuple(tags), 1), "x")


def suspect(start, end, fix=None, n=0) -> Suspect:
    return Suspect(n, start, end, "type", "ORG", "PER", fix, 0.9)


def queue_task(span, after_tags=TAGS, fix=None, verdict=KEPT) -> Reviewed:
    extra = {"span": list(span), "fix": fix, "features": [0.0], "file": "x.conll", "line": 1}
    return Reviewed("k", 1, verdict, True, Sentence(WORDS, TAGS, 1), Sentence(WORDS, tuple(after_tags), 1), "", extra)


def test_a_kept_suspect_is_set_aside_only_where_its_tokens_meet_the_checked_span():
    places = checked([queue_task((4, 5, "ORG"))])
    assert places == [[sentence_key(WORDS, TAGS), 4, 5]]
    suspects = [suspect(4, 5), suspect(3, 4), suspect(5, 6), suspect(3, 5), suspect(1, 2, fix=(1, 5, "PER"))]
    left, aside = set_aside([item()], suspects, places)
    assert aside == 3 and left == [suspects[1], suspects[2]]      # touching its ends is not meeting it


def test_a_correction_is_checked_in_the_sentence_as_the_reviewer_left_it():
    after = TAGS[:4] + ("B-PER",) + TAGS[5:]
    places = checked([queue_task((4, 5, "ORG"), after, fix=[4, 5, "PER"], verdict=FIXED)])
    # not written into the file yet: the sentence stands as it was, the suspect is listed
    assert set_aside([item()], [suspect(4, 5)], places) == ([suspect(4, 5)], 0)
    # written: the critic does not propose to undo it
    assert set_aside([item(after)], [suspect(4, 5)], places)[1] == 1
    # a word changed by hand since: read afresh
    words = WORDS[:6] + ("2021",)
    assert set_aside([item(after, words)], [suspect(4, 5)], places)[1] == 0


def test_a_suspect_ticked_fixed_and_left_unchanged_stays_listed():
    assert checked([queue_task((4, 5, "ORG"), verdict=FIXED)]) == []
    assert checked([queue_task((4, 5, "ORG"), verdict=KEPT)]) == [[sentence_key(WORDS, TAGS), 4, 5]]


def test_a_reviewer_change_beyond_the_suspect_widens_the_checked_place():
    after = ("B-ORG",) + TAGS[1:]          # the reviewer also marked the first word
    places = checked([queue_task((4, 5, "ORG"), after, verdict=FIXED)])
    assert places == [[sentence_key(WORDS, after), 0, 5]]


def test_an_audited_sentence_is_checked_whole():
    r = Reviewed("audit-x", 1, KEPT, False, Sentence(WORDS, TAGS, 1), Sentence(WORDS, TAGS, 1), "",
                 {"audit": "top 2%", "file": "x.conll", "line": 1})
    places = checked([r])
    assert places == [[sentence_key(WORDS, TAGS), 0, len(WORDS)]]
    other = item(words=WORDS[:6] + ("2021",))
    assert set_aside([item(), other], [suspect(6, 7), suspect(6, 7, n=1)], places) == ([suspect(6, 7, n=1)], 1)
    # a word flagged for its letters stays: the queue changes labels, not words
    token = Suspect(0, 1, 2, "token", "PER", "GPT", None, 0.9)
    assert set_aside([item()], [token], places) == ([token], 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 3)), max_size=5),
       st.lists(st.tuples(st.integers(0, 6), st.integers(1, 3), st.booleans()), max_size=8))
def test_set_aside_keeps_exactly_the_suspects_whose_tokens_meet_no_place(places, cands):
    places = [[sentence_key(WORDS, TAGS), a, min(a + n, 7)] for a, n in places]
    suspects = [suspect(a, min(a + n, 7), fix=(max(a - 1, 0), min(a + n, 7), "PER") if f else None)
                for a, n, f in cands]
    left, aside = set_aside([item()], suspects, places)
    tokens = lambda s: set(range(s.start, s.end)) | (set(range(s.fix[0], s.fix[1])) if s.fix else set())  # noqa
    want = [s for s in suspects if not any(tokens(s) & set(range(a, b)) for _, a, b in places)]
    assert left == want and aside == len(suspects) - len(want)


def test_places_are_merged_once_and_carried_by_a_replay():
    assert merged([["a", 0, 1], ["b", 1, 2]], None, [["a", 0, 1], ["a", 0, 2]]) == [["a", 0, 1], ["b", 1, 2],
                                                                                     ["a", 0, 2]]
    words, tags, probs = templated(40, seed=3)
    old = train_critic(words, tags, probs, LABELS, seed=2)
    old = old.refit(old.x[:2], [0, 1], keys=["k1", "k2"])
    old.info[KEY] = [["a", 0, 1]]
    fresh = train_critic(words, tags, probs, LABELS, seed=2)
    assert fresh.replayed(old, 5.0, 2).info[KEY] == [["a", 0, 1]]
