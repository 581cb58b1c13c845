"""ner/bio.py: reading one tag, tags <-> spans both ways, the IOB2 reading of any sequence.

Round trips first (spans -> tags -> spans, tags -> IOB2 -> spans), against a plain reference
written here from the rule (conlleval's reading: an ``I-X`` that does not continue an ``X``
opens one); then the edge cases: empty, one token, labels in Cyrillic with ё/й, junk tags.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ner.bio import Tag, parse_tag, spans_tags, tags_spans, to_iob2

LABELS = ["Model", "Дата", "Ёлка", "Йод"]


@pytest.mark.parametrize("tag, expected", [
    ("O", Tag("O", "")),
    ("B-Model", Tag("B", "Model")),
    ("I-Ёлка", Tag("I", "Ёлка")),
    ("S-Model", Tag("S", "Model")),
    ("B-B-Model", Tag("B", "B-Model")),  # only the first prefix is the prefix
    ("0", Tag("O", "", "O")),
    ("_", Tag("O", "", "O")),
    ("B_Model", Tag("B", "Model", "B-Model")),
    ("b-Model", Tag("B", "Model", "B-Model")),
    ("I:Йод", Tag("I", "Йод", "I-Йод")),
    ("X-Model", Tag("", "Model", None, "prefix 'X' is not one of B, I, E, S, L, U")),
    ("Model", Tag("", "Model", None, "no B-/I- prefix")),
    ("", Tag("", "", None, "no B-/I- prefix")),
])
def test_parse_tag(tag, expected):
    assert parse_tag(tag) == expected


@pytest.mark.parametrize("tags, spans", [
    ([], []),
    (["O"], []),
    (["B-Model"], [(0, 1, "Model")]),
    (["I-Model"], [(0, 1, "Model")]),  # a stray I- opens an entity
    (["B-Model", "B-Model"], [(0, 1, "Model"), (1, 2, "Model")]),  # two neighbours of one type stay two
    (["B-Model", "I-Дата"], [(0, 1, "Model"), (1, 2, "Дата")]),  # a label change closes one
    (["O", "I-Ёлка", "I-Ёлка", "O", "B-Йод"], [(1, 3, "Ёлка"), (4, 5, "Йод")]),
    (["B-Model", "Model", "I-Model"], [(0, 1, "Model"), (2, 3, "Model")]),  # an unreadable tag counts as O
])
def test_tags_spans_edge_cases(tags, spans):
    assert tags_spans(tags) == spans


@pytest.mark.parametrize("n, spans, message", [
    (3, [(0, 2, "Model"), (1, 3, "Дата")], "overlaps"),
    (2, [(1, 3, "Model")], "outside 2 tokens"),
    (2, [(1, 1, "Model")], "outside"),  # an empty span
    (0, [(0, 1, "Model")], "outside 0 tokens"),
])
def test_spans_tags_refuses_what_bio_cannot_hold(n, spans, message):
    with pytest.raises(ValueError, match=message):
        spans_tags(n, spans)


def _reference_spans(tags):
    """The rule, plainly: walk the tags, open at B-X or at an I-X that does not continue X."""
    spans, open_ = [], None  # open_: [start, label]
    for i, tag in enumerate(tags):
        kind, label = (tag[0], tag[2:]) if len(tag) > 2 and tag[1] == "-" and tag[0] in "BI" else ("O", "")
        continues = kind == "I" and open_ is not None and open_[1] == label
        if open_ is not None and not continues:
            spans.append((open_[0], i, open_[1]))
            open_ = None
        if kind != "O" and not continues:
            open_ = [i, label]
    if open_ is not None:
        spans.append((open_[0], len(tags), open_[1]))
    return spans


TAGS = st.lists(st.sampled_from(["O"] + [f"{p}-{label}" for p in "BI" for label in LABELS]), max_size=30)


@st.composite
def disjoint_spans(draw):
    n = draw(st.integers(0, 30))
    cuts = sorted(draw(st.sets(st.integers(0, n), max_size=12)))
    spans = [(a, b, draw(st.sampled_from(LABELS))) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
    return n, spans


@settings(max_examples=300, deadline=None)
@given(TAGS)
def test_tags_spans_follows_the_rule(tags):
    assert tags_spans(tags) == _reference_spans(tags)


@settings(max_examples=300, deadline=None)
@given(disjoint_spans())
def test_spans_tags_spans_round_trip(case):
    n, spans = case
    tags = spans_tags(n, spans)
    assert len(tags) == n
    assert tags_spans(tags) == sorted(spans)


@settings(max_examples=300, deadline=None)
@given(TAGS)
def test_to_iob2_keeps_the_entities_and_is_canonical(tags):
    iob2 = to_iob2(tags)
    assert len(iob2) == len(tags)
    assert tags_spans(iob2) == tags_spans(tags)
    assert to_iob2(iob2) == iob2
    assert not any(t.startswith("I-") and (i == 0 or iob2[i - 1][2:] != t[2:]) for i, t in enumerate(iob2))
