"""The critic's signals, its learned scores and its places, on small corpora with planted errors.

The marginals here stand for an out-of-fold model that learned the clean annotation
(``marginals``): the signals and the critic are the real ones, trained for real.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.bio import spans_tags, tags_spans
from ner.quality.critic.suspects import Item, Suspect, load_items, quality, score_items
from ner.quality.critic.corrupt import corrupt, truth
from ner.quality.critic.model import Critic, train_critic
from ner.quality.critic.report import fold_reading, format_quality
from ner.quality.critic.signals import candidates, token_suspects
from ner.quality.critic.folds import tag_names
from ner.records import Sentence

LABELS = ["LOC", "ORG", "PER"]
NAMES = tag_names(LABELS)


def marginals(tags, conf=0.9, uninformative=False):
    """A T x K distribution putting ``conf`` on each given tag (uniform rows when ``uninformative``)."""
    p = np.full((len(tags), len(NAMES)), (1 - conf) / (len(NAMES) - 1))
    for t, tag in enumerate(tags):
        p[t, NAMES.index(tag)] = conf
    return np.full_like(p, 1 / len(NAMES)) if uninformative else p


def tags_of(n, *spans):
    return tuple(spans_tags(n, list(spans)))


SENT = ("Иван", "работает", "в", "Яндексе", "в", "Москве", ".")
CLEAN = tags_of(7, (0, 1, "PER"), (3, 4, "ORG"), (5, 6, "LOC"))


def planted_corpus():
    """(words, annotated tags, marginals) with one planted error of each kind, sentence by sentence."""
    words = [SENT] * 8
    tags = [CLEAN] * 8
    probs = [marginals(CLEAN)] * 8
    words, tags, probs = list(words), list(tags), list(probs)
    tags[0] = tags_of(7, (0, 1, "PER"), (1, 2, "PER"), (3, 4, "ORG"), (5, 6, "LOC"))   # spurious "работает"
    tags[1] = tags_of(7, (0, 1, "PER"), (5, 6, "LOC"))                                 # missing ORG
    tags[2] = tags_of(7, (0, 1, "LOC"), (3, 4, "ORG"), (5, 6, "LOC"))                  # PER typed LOC
    tags[3] = tags_of(7, (0, 2, "PER"), (3, 4, "ORG"), (5, 6, "LOC"))                  # PER one token too long
    # the same surface form labelled otherwise elsewhere, where the model has no opinion
    words.append(("Новости", "Яндексе", "сегодня"))
    tags.append(tags_of(3, (1, 2, "PER")))
    probs.append(marginals(tags[-1], uninformative=True))
    # a form annotated elsewhere and not here, where the model has no opinion
    words.append(("Москве", "тепло"))
    tags.append(("O", "O"))
    probs.append(marginals(tags[-1], uninformative=True))
    words.append(("В", "Мoскве", "тепло"))   # Latin o: a look-alike
    tags.append(tags_of(3, (1, 2, "LOC")))
    probs.append(marginals(tags[-1]))
    return words, tags, probs


def by_place(cands):
    return {(c.item, c.start, c.end, c.label): c for c in cands}


def test_every_planted_error_is_found_with_its_kind_and_fix():
    words, tags, probs = planted_corpus()
    found = by_place(candidates(words, tags, probs, LABELS))
    assert (found[0, 1, 2, "PER"].kind, found[0, 1, 2, "PER"].fix) == ("spurious", None)
    assert (found[1, 3, 4, ""].kind, found[1, 3, 4, ""].fix) == ("missing", (3, 4, "ORG"))
    assert (found[2, 0, 1, "LOC"].kind, found[2, 0, 1, "LOC"].fix) == ("type", (0, 1, "PER"))
    assert (found[3, 0, 2, "PER"].kind, found[3, 0, 2, "PER"].fix) == ("boundary", (0, 1, "PER"))
    other_label = found[8, 1, 2, "PER"]
    assert (other_label.kind, other_label.fix) == ("type", (1, 2, "ORG"))
    assert other_label.features[14] == 0.0     # agree_elsewhere: no other "яндексе" is PER
    unannotated = found[9, 0, 1, ""]
    assert (unannotated.kind, unannotated.fix) == ("missing", (0, 1, "LOC"))
    assert token_suspects(words) == [(10, 1, "look-alike letters", "Москве")]


def test_a_form_never_annotated_counts_its_unannotated_occurrences():
    """A place the model calls an entity, of a word the corpus leaves unannotated everywhere else, says so:
    read as 'no occurrence at all' (as before) it looked like a unique name, and the critic, which never saw
    that in its corrupted copies, scored a clean run of its least confident toy sentence up to 0.78."""
    from ner.quality.critic.signals import FEATURES

    words = [SENT] * 8
    tags = [CLEAN] * 8
    probs = [marginals(CLEAN)] * 7 + [marginals(tags_of(7, (0, 1, "PER"), (1, 2, "PER"), (3, 4, "ORG"),
                                                        (5, 6, "LOC")))]
    found = by_place(candidates(words, tags, probs, LABELS))[7, 1, 2, ""]
    assert found.kind == "missing" and found.fix == (1, 2, "PER")
    n_unannotated, share = (found.features[FEATURES.index(n)] for n in ("n_unannotated", "unannotated_share"))
    assert (n_unannotated, share) == (pytest.approx(np.log1p(7)), 1.0)   # "работает" in the 7 other sentences


def test_clean_spans_agree_with_the_model():
    words, tags, probs = planted_corpus()
    clean = by_place(candidates(words, tags, probs, LABELS))[5, 0, 1, "PER"]
    names = ("model_exact", "p_tags", "p_o", "agree_elsewhere")
    from ner.quality.critic.signals import FEATURES

    values = {n: clean.features[FEATURES.index(n)] for n in names}
    assert values["model_exact"] == 1.0 and values["p_tags"] == pytest.approx(0.9) and values["p_o"] < 0.05
    assert values["agree_elsewhere"] == pytest.approx(5 / 6)  # 5 of the 6 other "иван" spans are PER (one is LOC)


def test_corruptions_change_what_truth_says_they_change():
    rng = random.Random(3)
    words = [SENT] * 200
    tags = [CLEAN] * 200
    bad = corrupt(words, tags, LABELS, 0.2, seed=5)
    assert sum(b != t for b, t in zip(bad, tags)) > 20
    cands = candidates(words, bad, [marginals(CLEAN)] * 200, LABELS)
    y = truth(cands, tags, bad)
    for c, v in zip(cands, y):
        if c.label:   # an annotated span is wrong exactly when the clean annotation lacks it
            assert v == int((c.start, c.end, c.label) not in tags_spans(CLEAN))
    assert rng  # seeded corruption: the same seed gives the same corpus
    assert corrupt(words, tags, LABELS, 0.2, seed=5) == bad


FIRST = ["Иван", "Анна", "Пётр", "Мария", "Олег", "Нина", "Борис", "Елена"]
ORGS = ["Яндексе", "Сбербанке", "Газпроме", "Ростехе", "Мегафоне", "Авито"]
CITIES = ["Москве", "Казани", "Перми", "Самаре", "Томске", "Омске"]


def templated(n, seed):
    rng = random.Random(seed)
    words, tags, probs = [], [], []
    for _ in range(n):
        w = (rng.choice(FIRST), rng.choice(["работает", "учится", "живёт"]), "в", rng.choice(ORGS), "в",
             rng.choice(CITIES), rng.choice([".", "!"]))
        words.append(w)
        tags.append(CLEAN)
        probs.append(marginals(CLEAN, conf=rng.uniform(0.6, 0.97)))
    return words, tags, probs


# planted errors of the toy: sentence -> (annotation, the tokens the error touches)
PLANTED = {10: (tags_of(7, (3, 4, "ORG"), (5, 6, "LOC")), (0, 1)),                          # dropped PER
           20: (tags_of(7, (0, 1, "PER"), (3, 4, "LOC"), (5, 6, "LOC")), (3, 4)),             # ORG typed LOC
           30: (tags_of(7, (0, 1, "PER"), (3, 5, "ORG"), (5, 6, "LOC")), (3, 5)),             # ORG one token too long
           40: (tags_of(7, (0, 1, "PER"), (2, 3, "ORG"), (3, 4, "ORG"), (5, 6, "LOC")), (2, 3)),  # spurious "в"
           50: (tags_of(7, (0, 1, "PER"), (3, 4, "ORG")), (5, 6)),                             # dropped LOC
           60: (tags_of(7, (0, 1, "ORG"), (3, 4, "ORG"), (5, 6, "LOC")), (0, 1))}              # PER typed ORG


def planted_toy():
    """(words, tags, marginals, items) of 300 templated sentences with the ``PLANTED`` errors."""
    words, tags, probs = templated(300, seed=1)
    for i, (t, _) in PLANTED.items():
        tags[i] = t
    items = [Item("x.conll", Sentence(w, t, 1 + 8 * k), "x") for k, (w, t) in enumerate(zip(words, tags))]
    return words, tags, probs, items


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_every_planted_error_outranks_every_clean_place_whatever_the_critic_seed(seed):
    """What a reviewer needs: the planted errors first, whichever corruptions the critic drew. Before
    unannotated occurrences were counted for every form, the critic passed an absolute bound here at seed 2
    only; at seeds 3 and 4 clean runs such as 'учится в' scored up to 0.78 and 0.31 and pushed planted
    errors out of the top 2n."""
    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=seed)
    suspects = score_items(items, LABELS, probs, critic)
    rank = {i: next(r for r, s in enumerate(suspects) if s.item == i and s.start < b and a < s.end)
            for i, (_, (a, b)) in PLANTED.items()}
    clean = next(r for r, s in enumerate(suspects) if s.item not in PLANTED)
    assert max(rank.values()) < 2 * len(PLANTED)
    assert min(suspects[r].score for r in rank.values()) > suspects[clean].score


def test_a_corpus_too_small_is_refused_in_words_its_user_knows():
    """It said '(2 corrupted and 9 untouched candidates)': the critic's own terms, nothing about the corpus."""
    from ner.errors import UserError

    with pytest.raises(UserError) as refused:
        train_critic([SENT] * 2, [CLEAN] * 2, [marginals(CLEAN)] * 2, LABELS)
    message = str(refused.value)
    assert "these 2 sentences with errors put in" in message and "give it more annotated sentences" in message
    assert "corrupted" not in message and "candidates" not in message


def test_the_learned_critic_saves_and_estimates_quality(tmp_path):
    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    suspects = score_items(items, LABELS, probs, critic)
    # saved with its rows and reloaded, it scores the same
    critic.save(tmp_path / "critic")
    again = Critic.load(tmp_path / "critic")
    rows = [s.features for s in suspects[:20]]
    assert np.allclose(again.score(rows), critic.score(rows))
    # quality: the planted sentences are the flagged ones at a threshold between them and the rest
    worst_clean = max(s.score for s in suspects if s.item not in PLANTED)
    best = min(max(s.score for s in suspects if s.item == i) for i in PLANTED)
    groups = quality(items, suspects, (worst_clean + best) / 2)
    assert groups["all"]["flagged"] == len(PLANTED)
    assert groups["all"]["clean"] == pytest.approx(1 - len(PLANTED) / 300)
    assert groups["file x.conll"]["sentences"] == 300 and groups["label PER"]["sentences"] == 298  # 10 lost its PER, 60 has ORG there
    # the expectation is a ceiling: on the team's corpus readers found 2.7 times the errors it expected
    # (bench/critic_error_rate.py), nearly all entities its model missed as well; the line said no more than
    # "expect 97.2% clean" before
    lines = format_quality(groups).split("\n")
    assert lines[0].startswith("all: 98.0% of 300 sentences without a suspected error (6 flagged; ")
    at = (worst_clean + best) / 2    # what "flagged" means is said once (the trial read "100% ... expect 62%" as a
    assert lines[-1].startswith(f"(flagged: a suspect scored {at:g} or more, --threshold; expected clean at most: "
                                "an entity its model misses too is no suspect; ")     # contradiction)
    assert sum("at most" in line for line in lines) == 1 and lines[-1].endswith("--audit N)")


def test_the_quality_lines_warn_when_the_fold_models_read_too_little_to_judge_by():
    """On the 14-sentence seed corpus the fold models read none of its entities, and the critic said "100.0% of 14
    sentences without a suspected error" under a table of suspects, with nothing saying it rests on nothing."""
    words, tags, probs, items = planted_toy()
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    groups = quality(items, score_items(items, LABELS, probs, critic))
    gold = sum(len(tags_spans(t)) for t in tags)
    good = fold_reading(items, probs, LABELS)   # the toy's models read the clean annotation: 3 spans a sentence,
    # 5 of them not annotated so (a dropped PER and LOC, two retypes, a span too long; a spurious one is not theirs)
    assert (good["gold"], good["read"], good["exact"]) == (gold, 900, 895) == (899, 900, 895)
    assert good["f1"] == pytest.approx(2 * 895 / (899 + 900))
    assert "warning" not in format_quality(groups, good)
    blind = [marginals(t, uninformative=True) for t in tags]     # models that read nothing
    weak = fold_reading(items, blind, LABELS)
    assert (weak["gold"], weak["read"], weak["exact"], weak["f1"]) == (gold, 0, 0, 0.0)
    lines = format_quality(groups, weak).split("\n")
    assert lines[-1].startswith(f"warning: the fold models read 0 of the corpus's {gold} entities exactly, out of "
                                "fold (strict F1 0.00): under 0.5 they miss or misread most entities")
    assert lines[-1].endswith("; the critic wants a few hundred annotated sentences (the team's corpus read at 0.10 "
                              "from 91, 0.69 from 271)")     # no fold settings given: none said
    # an annotated span with a quote at its edge is read exactly by a model that cuts the quote off, as the tagger does
    quoted = [Item("q.conll", Sentence(("Сервис", "«", "Яндекс", "»", "."), ("O", "B-ORG", "I-ORG", "I-ORG", "O")), "q")]
    read = fold_reading(quoted, [marginals(("O", "O", "B-ORG", "O", "O"))], LABELS)
    assert (read["gold"], read["read"], read["exact"]) == (1, 1, 1)
    # the first k sentences read (3 spans each, 5 of them off), the rest not: at the line, either side of it
    for k, f1 in ((102, 2 * 301 / (899 + 306)), (103, 2 * 304 / (899 + 309))):
        part = fold_reading(items, probs[:k] + blind[k:], LABELS)
        assert part["f1"] == pytest.approx(f1)
        assert ("warning" in format_quality(groups, part)) == (k == 102) == (f1 < 0.5)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["[", "]", "смех", "Ну", "GigaChat", "слово", "⟦x", "]]"]), min_size=1, max_size=40),
       st.data(), st.integers(20, 90))
def test_the_table_marks_its_span_with_brackets_no_sentence_holds_and_keeps_it_in_view(words, data, width):
    """The table marked a span with "[" and "]" and centred its view on the first "[": in a transcript ("[ смех ] ...
    GigaChat", 237 brackets in the written corpus) the view showed the transcript's bracket and cut the span off,
    and "[ смех ]" was printed "[смех ]"."""
    from ner.quality.critic.report import CLOSE, OPEN, _marked

    start = data.draw(st.integers(0, len(words) - 1))
    end = data.draw(st.integers(start + 1, len(words)))
    text = _marked(words, start, end, width=width)
    span = OPEN + " ".join(words[start:end]) + CLOSE
    full = " ".join(words[:start] + [span] + words[end:])          # the plain reference: the sentence, span marked
    assert (text == full) == (len(full) <= width)
    assert text.removeprefix("…").removesuffix("…") in full         # a window of it, nothing of the words changed
    assert text.startswith("…") == (text != full and not full.startswith(text.removesuffix("…")))
    if len(span) <= width - width // 3:                               # a span that fits is seen whole
        assert span in text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "100", "ruBERT-tiny", "2", "5\u202f000", "смех", "⟦x", ","]),
                          st.sampled_from(["", " ", "  ", "\n", "\r\n", "\t", "\u2028", " \x0b "])),
                min_size=1, max_size=30),
       st.data(), st.integers(20, 90))
def test_a_sentence_with_its_own_text_is_shown_as_written(pieces, data, width):
    """A project's sentence was shown as its tokens joined by spaces ('A 100', 'ruBERT-tiny 2'): text nobody can
    find in the task (the trial); a carriage return in its text then moved the terminal's cursor (the review).
    Reference: word by word, each word as the text has it, one space where the text has any blank between two."""
    from ner.quality.critic.report import CLOSE, OPEN, _marked

    text, offsets = "  ", []
    for word, gap in pieces:
        offsets.append((len(text), len(text) + len(word)))
        text += word + gap
    words = [w for w, _ in pieces]
    sentence = Sentence(tuple(words), ("O",) * len(words), source_text=text, offsets=tuple(offsets))
    start = data.draw(st.integers(0, len(words) - 1))
    end = data.draw(st.integers(start + 1, len(words)))
    shown_words = [(OPEN if k == start else "") + w.replace("\u202f", " ") + (CLOSE if k == end - 1 else "")
                   for k, w in enumerate(words)]
    full = "".join(w + (" " if k + 1 < len(words) and pieces[k][1] else "") for k, w in enumerate(shown_words))
    shown = _marked(words, start, end, width=width, sentence=sentence)
    assert (shown == full) == (len(full) <= width)
    assert shown.removeprefix("…").removesuffix("…") in full
    assert not any(c in shown for c in "\r\n\t\u2028\x0b")
    span = "".join(shown_words[k] + (" " if k + 1 < end and pieces[k][1] else "") for k in range(start, end))
    if len(span) <= width - width // 3:                               # a span that fits is seen whole
        assert span in shown
    written = "".join(w + (" " if k + 1 < end and pieces[k][1] else "") for k, w in enumerate(words) if start <= k < end)
    assert sentence.written(start, end) == written                  # the JSON's span: words as written (5\u202f000)
    assert Sentence(tuple(words), ("O",) * len(words)).written(start, end) == " ".join(words[start:end])   # CoNLL


def test_verdicts_move_the_refitted_critic():
    # planted errors, so that the top suspects are suspect (on the clean corpus every score was 0.0
    # and the check passed through its "or (before < 0.01)" branch, testing nothing)
    words, tags, probs = templated(200, seed=4)
    plant = {10: tags_of(7, (3, 4, "ORG"), (5, 6, "LOC")),                              # dropped PER
             20: tags_of(7, (0, 1, "PER"), (3, 4, "LOC"), (5, 6, "LOC")),                 # ORG typed LOC
             40: tags_of(7, (0, 1, "PER"), (2, 3, "ORG"), (3, 4, "ORG"), (5, 6, "LOC"))}  # spurious "в"
    for i, t in plant.items():
        tags[i] = t
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    items = [Item("x.conll", Sentence(w, t, 1), "x") for w, t in zip(words, tags)]
    rows = np.array([s.features for s in score_items(items, LABELS, probs, critic)[:3]])
    before = critic.score(rows)
    kept = critic.refit(rows, np.zeros(len(rows)), weight=50)
    assert (before > 0.1).all()
    assert (kept.score(rows) < before / 2).all()  # "kept" verdicts: far less suspect
    assert len(kept.verdict_y) == len(rows) and len(critic.verdict_y) == 0


CONLL = """-DOCSTART- -X- O O

# a comment line
Иван\tB-PER
работает\tO
в\tO
Яндексе\tB-ORG
в\tO
Нижнем\tB-LOC
Новгороде\tI-LOC
.\tO



-DOCSTART- -X- O O
Анна\tB-PER
Петрова\tI-PER
живёт\tO
в\tO
Мoскве\tB-LOC
.\tO
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_suspects_name_the_lines_of_their_first_and_last_token(tmp_path, newline):
    path = tmp_path / "x.conll"
    path.write_bytes(CONLL.replace("\n", newline).encode())
    items, labels = load_items([path])
    assert labels == LABELS
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, it in enumerate(items):
        for i, j, label in tags_spans(it.sentence.tags):
            r = Suspect(n, i, j, "spurious", label, "O", None, 0.9).record(items)
            assert lines[r["first_line"] - 1].split("\t")[0] == it.sentence.words[i]
            assert lines[r["last_line"] - 1].split("\t")[0] == it.sentence.words[j - 1]
    r = Suspect(0, 5, 7, "type", "LOC", "ORG", (5, 7, "ORG"), 0.7).record(items)
    assert (r["first_line"], r["last_line"], r["span"]) == (9, 10, "Нижнем Новгороде")


def test_jsonl_suspects_sit_on_their_record_line(tmp_path):
    path = tmp_path / "x.jsonl"
    records = [{"tokens": ["Иван", "спит"], "tags": ["B-PER", "O"]},
               {"tokens": ["Анна", "в", "Москве"], "tags": ["B-PER", "O", "B-LOC"]}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    items, _ = load_items([path])
    r = Suspect(1, 2, 3, "spurious", "LOC", "O", None, 0.9).record(items)
    assert (r["file"], r["first_line"], r["last_line"], r["span"]) == (str(path), 2, 2, "Москве")


def test_one_error_seen_twice_is_listed_once():
    from ner.quality.critic.suspects import suppress_overlaps

    short = Suspect(0, 1, 2, "boundary", "PER", "PER", (0, 2, "PER"), 0.9)   # span one token short...
    lost = Suspect(0, 0, 1, "missing", "", "PER", (0, 1, "PER"), 0.6)        # ...and its lost token
    other = Suspect(0, 4, 5, "spurious", "LOC", "O", None, 0.5)
    elsewhere = Suspect(1, 0, 1, "missing", "", "PER", (0, 1, "PER"), 0.4)
    letters = Suspect(0, 1, 2, "token", "PER", "Иван", None, 0.9)
    assert suppress_overlaps([short, letters, lost, other, elsewhere]) == [short, letters, other, elsewhere]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_corruption_never_makes_overlapping_spans(data):
    """Every corrupted sentence is a set of disjoint spans (spans_tags refuses overlaps): shifted entities
    must not grow into a neighbour that was shifted, merged or kept."""
    from ner.quality.critic.corrupt import corrupt_sentence

    n = data.draw(st.integers(1, 12))
    cuts = sorted(data.draw(st.sets(st.integers(0, n), max_size=8)))
    spans = [(a, b, data.draw(st.sampled_from(LABELS))) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
    words = [data.draw(st.sampled_from(["Яндекс", "модель", ",", "GPT", "в"])) for _ in range(n)]
    out = corrupt_sentence(words, spans, LABELS, data.draw(st.sampled_from([0.3, 0.7, 1.0])),
                           random.Random(data.draw(st.integers(0, 10**6))))
    covered = [t for i, j, _ in out for t in range(i, j)]
    assert len(covered) == len(set(covered)) and all(0 <= i < j <= n for i, j, _ in out)


def test_no_suggestion_begins_on_a_dash_or_moves_a_boundary_to_another_label():
    """'RLHF — обучение с подкреплением': a model that runs an entity of another label from the dash into the
    annotated span gives a type signal on the annotated span, not a 'boundary' onto '— обучение с'."""
    words = [("RLHF", "—", "обучение", "с", "подкреплением", ".")] + [SENT] * 8
    tags = [tags_of(6, (0, 1, "ORG"), (2, 5, "ORG"))] + [CLEAN] * 8
    probs = [marginals(("B-ORG", "B-PER", "I-PER", "I-PER", "O", "O"))] + [marginals(CLEAN)] * 8
    found = [c for c in candidates(words, tags, probs, LABELS) if c.item == 0]
    assert all(c.start != 1 and (c.fix is None or c.fix[0] != 1) for c in found)
    annotated = by_place(found)[0, 2, 5, "ORG"]
    assert (annotated.kind, annotated.fix) == ("type", (2, 5, "PER"))


def test_a_suggestion_that_replaces_another_entity_says_so_in_its_note():
    """The trials: «14 марта 2023 года» (Date) was asked 'границы «GPT-4 14 марта 2023 года»?', where «GPT-4» is a
    Model, and «PatchCore» (Model) 'границы «PatchCore vs EfficientAD»?', two Models: accepting either deleted an
    entity the note never named. The suggestion stays (the model reads one span there, as it does over a name half
    mistyped: «Иван(PER) Петров(ORG)»), and the note names what it replaces."""
    from ner.quality.critic.review import note

    words = [("GPT-4", "14", "марта", "2023", "года", "."), ("PatchCore", "vs", "EfficientAD", "."),
             ("Иван", "Петров", "пишет", ".")] + [SENT] * 8
    tags = [tags_of(6, (0, 1, "ORG"), (1, 5, "LOC")), tags_of(4, (0, 1, "LOC"), (2, 3, "LOC")),
            tags_of(4, (0, 1, "PER"), (1, 2, "ORG"))] + [CLEAN] * 8
    probs = [marginals(("B-LOC", "I-LOC", "I-LOC", "I-LOC", "I-LOC", "O")), marginals(("B-LOC", "I-LOC", "I-LOC", "O")),
             marginals(("B-PER", "I-PER", "O", "O"))] + [marginals(CLEAN)] * 8
    found = by_place(candidates(words, tags, probs, LABELS))
    cases = [((0, 1, 5, "LOC"), (0, 5, "LOC"), "«14 марта 2023 года» (LOC): границы «GPT-4 14 марта 2023 года»? "
              "Заменит «GPT-4» (ORG)."),
             ((1, 0, 1, "LOC"), (0, 3, "LOC"), "«PatchCore» (LOC): границы «PatchCore vs EfficientAD»? "
              "Заменит «EfficientAD» (LOC)."),
             ((2, 0, 1, "PER"), (0, 2, "PER"), "«Иван» (PER): границы «Иван Петров»? Заменит «Петров» (ORG).")]
    for place, fix, said in cases:
        c = found[place]
        assert (c.kind, c.fix) == ("boundary", fix)
        s = Suspect(c.item, c.start, c.end, c.kind, c.label, c.fix[2], c.fix, 0.5)
        assert note(Sentence(words[c.item], tags[c.item], 1), s) == "Подозрение 50%: " + said


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_entity_a_suggestion_would_replace_is_named_in_its_note(data):
    """Applied, a suggestion removes the annotated spans it overlaps: besides the suspect's own, each is named in the
    note the reviewer reads. Spans may touch; each sentence's model reads one label, in runs."""
    from ner.quality.critic.review import corrected_tags, note

    words, tags, probs = [], [], []
    for _ in range(data.draw(st.integers(1, 5))):
        n = data.draw(st.integers(1, 8))
        words.append(tuple(data.draw(st.sampled_from(["Яндекс", "GPT", "в", "14", "марта"])) for _ in range(n)))
        cuts = sorted({0, n} | data.draw(st.sets(st.integers(1, n), max_size=6)))
        spans = [(a, b, lab) for a, b in zip(cuts, cuts[1:])
                 if (lab := data.draw(st.sampled_from(LABELS + [None]))) and a < b]
        tags.append(tags_of(n, *spans))
        read = data.draw(st.sampled_from(LABELS))
        model = [data.draw(st.sampled_from(["O", f"B-{read}", f"I-{read}", f"I-{read}"])) for _ in range(n)]
        probs.append(marginals(model, conf=data.draw(st.sampled_from([0.3, 0.6, 0.95]))))
    for c in candidates(words, tags, probs, LABELS):
        lost = (set(tags_spans(tags[c.item])) - set(tags_spans(corrected_tags(tags[c.item], c)))
                - {(c.start, c.end, c.label)})
        s = Suspect(c.item, c.start, c.end, c.kind, c.label, c.fix[2] if c.fix else "O", c.fix, 0.5)
        said = note(Sentence(words[c.item], tags[c.item], 1), s)
        named = said.split(" Заменит ")[1] if " Заменит " in said else ""
        assert all(f"«{' '.join(words[c.item][i:j])}» ({lab})" in named for i, j, lab in lost), (c, lost, said)
        assert named.count("»") == len(lost), (c, lost, said)


def _unannotated_reference(words, tags, key) -> int:
    """Plain count: occurrences of ``key`` (lower-cased words) whose every token is O."""
    from ner.quality.critic.signals import MAX_NGRAM

    n, count = len(key), 0
    if n > MAX_NGRAM:
        return 0
    for ws, ts in zip(words, tags):
        low = [w.lower() for w in ws]
        count += sum(tuple(low[i : i + n]) == key and all(t == "O" for t in ts[i : i + n])
                     for i in range(len(ws) - n + 1))
    return count


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_unannotated_counts_of_every_candidate_match_a_plain_count(data):
    """Consistency counts only the forms that are looked up (the annotated ones and the model's proposals),
    and each candidate's n_unannotated and unannotated_share still equal a plain count over the corpus."""
    from ner.quality.critic.signals import FEATURES

    vocab = ["Яндекс", "модель", "GPT", "в", "ИИ", "и"]
    words, tags, probs = [], [], []
    for _ in range(data.draw(st.integers(1, 6))):
        n = data.draw(st.integers(1, 8))
        words.append(tuple(data.draw(st.sampled_from(vocab)) for _ in range(n)))
        cuts = sorted(data.draw(st.sets(st.integers(0, n), max_size=6)))
        tags.append(tags_of(n, *[(a, b, data.draw(st.sampled_from(LABELS))) for a, b in zip(cuts[::2], cuts[1::2])
                                 if a < b]))
        model = [data.draw(st.sampled_from(NAMES)) for _ in range(n)]
        probs.append(marginals(model, conf=data.draw(st.sampled_from([0.3, 0.6, 0.95]))))
    i_unann, i_share = FEATURES.index("n_unannotated"), FEATURES.index("unannotated_share")
    for c in candidates(words, tags, probs, LABELS):
        key = tuple(w.lower() for w in words[c.item][c.start : c.end])
        unann = max(0, _unannotated_reference(words, tags, key) - (0 if c.label else 1))
        assert c.features[i_unann] == pytest.approx(np.log1p(unann))
        others = np.expm1(c.features[FEATURES.index("n_elsewhere")])
        assert c.features[i_share] == pytest.approx(unann / (others + unann) if others + unann else 0.0)


def test_consistency_counts_only_the_forms_it_will_be_asked_about():
    """Every 1-5-gram of every unannotated run was counted (2.6M keys, +346 MiB on a 1M-token corpus) where
    only the annotated forms and the proposals are ever looked up."""
    from ner.quality.critic.signals import Consistency

    words = [SENT, ("Новости", "о", "погоде", "в", "Москве", "сегодня")]
    tags = [CLEAN, ("O",) * 6]
    cons = Consistency(words, tags, also={("сегодня",)})
    assert set(cons.unannotated) == {("москве",), ("сегодня",)}
    assert cons.unannotated[("москве",)] == 1 and cons.places[("москве",)] == [(1, 4, 5)]


def test_a_form_annotated_only_with_a_label_outside_the_run_is_no_missing_place():
    """A corpus may carry labels the critic does not check (a --map or --labels leaves them); a form annotated
    elsewhere only with such a label was proposed as missing with it, and its features raised KeyError."""
    words = [SENT] * 8 + [("Новости", "Москве"), ("Москве", "тепло")]
    tags = [CLEAN] * 8 + [tags_of(2, (1, 2, "MISC")), ("O", "O")]
    tags[:8] = [tags_of(7, (0, 1, "PER"), (3, 4, "ORG"))] * 8     # "Москве" is never LOC here
    probs = [marginals(tuple("O" if "MISC" in t else t for t in ts)) for ts in tags]
    found = by_place(candidates(words, tags, probs, LABELS))
    assert (9, 0, 1, "") not in found and (8, 1, 2, "MISC") not in found


def test_no_fix_suggests_a_label_outside_the_run():
    """A form the corpus annotates elsewhere mostly with a label this run does not check (MISC) is no
    reason to suggest MISC: the suggestion would be a label the reviewer's project does not have."""
    words = [SENT] * 8 + [("Новости", "Яндексе")] * 12
    tags = [CLEAN] * 8 + [tags_of(2, (1, 2, "MISC"))] * 12
    tags[0] = tags_of(7, (0, 1, "PER"), (3, 4, "LOC"), (5, 6, "LOC"))     # "Яндексе" typed LOC here
    probs = [marginals(tuple("O" if "MISC" in t else t for t in ts), uninformative=True) for ts in tags]
    found = candidates(words, tags, probs, LABELS)
    assert found and all(c.fix is None or c.fix[2] in LABELS for c in found)


def test_a_boundary_suspect_shows_the_span_it_suggests():
    """The table printed a boundary as 'Date -> Date GPT-4 14 марта 2023 года': the label twice, the suggested span
    run into it, nothing to tell where it starts (the trial read it as nonsense)."""
    from ner.quality.critic.report import change, format_table
    from ner.quality.critic.suspects import scored

    words, tags, probs = [SENT] * 8, [CLEAN] * 8, [marginals(CLEAN)] * 8
    tags[3] = tags_of(7, (0, 2, "PER"), (3, 4, "ORG"), (5, 6, "LOC"))                  # PER one token too long
    critic = train_critic(words, tags, probs, LABELS, seed=2)
    items = [Item("x.conll", Sentence(w, t, 1 + 8 * k), "x.conll") for k, (w, t) in enumerate(zip(words, tags))]
    [boundary] = [s for s in scored(items, LABELS, probs, critic) if s.kind == "boundary"]
    assert (boundary.item, boundary.suggested) == (3, "PER Иван")                   # as scored() makes it
    assert change(boundary, items[3].sentence) == "PER -> «Иван»"
    assert "PER -> «Иван»" in format_table(items, [boundary]).splitlines()[1]


def test_no_cell_of_the_table_or_the_page_breaks_the_text_it_shows():
    """The span and suggested columns printed a word's escape character raw (razdel keeps 'Giga\x1b' one word) and
    the HTML page joined a project's words by spaces ('A 100') where the table showed 'A100' (the review)."""
    from ner.quality.critic.report import format_html, format_table

    text = "Берём A100 и Giga\x1b"
    words = ("Берём", "A", "100", "и", "Giga\x1b")
    offsets = ((0, 5), (6, 7), (7, 10), (11, 12), (13, 18))
    sentence = Sentence(words, ("O", "O", "O", "O", "B-Model"), 1, source_text=text, offsets=offsets)
    items = [Item("project:P/d", sentence, "d", "anna@team.ru", 7, per_line=False)]
    suspect = Suspect(0, 4, 5, "spurious", "Model", "O", None, 0.8)
    row = format_table(items, [suspect]).splitlines()[1]
    assert "\x1b" not in row and "Giga  " in row and "task 7, anna@team.ru" in row
    page = format_html(items, [suspect])
    assert "Берём A100 и " in page and "A 100" not in page
