"""Answers placed on the text: every shape an LLM answers in, every reason a mention is not placed."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, example, given, settings, strategies as st

from ner.llm.place import (FOREIGN_LABEL, LISTED_TOO_OFTEN, MALFORMED, NOT_IN_TEXT, OVERLAPS, AnswerError,
                           parse_answer, place_entities)
from ner.llm.prompt import format_answer
from ner.records import Span
from ner.text import tokenize

NAMES = ("Model", "Organization", "Application", "Date")


def place(text, entities):
    offsets = tuple((s, e) for s, e, _ in tokenize(text))
    return place_entities(text, entities, NAMES, offsets)


def spans(text, placement):
    return [(text[s:e], label) for s, e, label in placement.spans]


def E(*pairs):
    return [{"text": t, "label": lab} for t, lab in pairs]


@pytest.mark.parametrize("content", [
    '{"entities": [{"text": "BERT", "label": "Model"}]}',
    '```json\n{"entities": [{"text": "BERT", "label": "Model"}]}\n```',
    'Вот сущности:\n{"entities": [{"text": "BERT", "label": "Model"}]}\nНадеюсь, помог.',
    '[{"text": "BERT", "label": "Model"}]',
    '```\n{"entities": [{"text": "BERT", "label": "Model"}]}',   # fence never closed
    'Ответ [в формате JSON]: {"entities": [{"text": "BERT", "label": "Model"}]}',  # brackets in the prose
    '{"Model": ["BERT"]}',                                          # mentions grouped by label
])
def test_answer_shapes_parse_to_the_same_entities(content):
    assert parse_answer(content) == ([{"text": "BERT", "label": "Model"}], False)


def test_a_cut_off_answer_keeps_the_complete_entities_before_the_cut():
    entities, truncated = parse_answer('{"entities": [{"text": "BERT", "label": "Model"}, {"text": "Янд')
    assert entities == [{"text": "BERT", "label": "Model"}] and truncated


@pytest.mark.parametrize("content", ["", "   ", None, "Я не знаю.", "BERT — модель", '{"result": "BERT"}', "[1, 2]"])
def test_an_answer_without_json_is_an_error(content):
    with pytest.raises(AnswerError):
        parse_answer(content)


def test_exact_then_case_and_yo_blind_at_word_boundaries():
    text = "Ёлка от BERT и ёжик Сбер"
    p = place(text, E(("bert", "Model"), ("Ежик", "Application"), ("Ер", "Organization")))
    assert spans(text, p) == [("BERT", "Model"), ("ёжик", "Application")]
    assert [(u.text, u.reason) for u in p.unplaced] == [("Ер", NOT_IN_TEXT)]  # inside "Сбер": no boundary


def test_any_kind_of_space_in_the_text_matches_a_plain_space_in_the_mention():
    text = "Hugging\u00a0Face выпустила Zephyr\u2009Beta"   # NBSP and a thin space, as chat exports have them
    p = place(text, E(("Hugging Face", "Organization"), ("Zephyr Beta", "Model")))
    assert spans(text, p) == [("Hugging\u00a0Face", "Organization"), ("Zephyr\u2009Beta", "Model")]
    assert list(p.unplaced) == []


def test_a_label_with_a_case_slip_maps_to_the_schema_and_a_foreign_label_is_unplaced():
    text = "BERT от Google"
    p = place(text, E(("BERT", "model"), ("Google", "Person")))
    assert spans(text, p) == [("BERT", "Model")]
    assert [(u.text, u.label, u.reason) for u in p.unplaced] == [("Google", "Person", FOREIGN_LABEL)]


def test_longer_mentions_first_and_an_overlap_is_unplaced():
    text = "Hugging Face Transformers выпустила Hugging Face"
    p = place(text, E(("Hugging Face", "Organization"), ("Hugging Face Transformers", "Application"),
                      ("Face Transformers", "Model")))
    assert spans(text, p) == [("Hugging Face Transformers", "Application"), ("Hugging Face", "Organization")]
    assert [(u.text, u.reason) for u in p.unplaced] == [("Face Transformers", OVERLAPS)]


def test_repeated_mentions_take_occurrences_in_order():
    text = "Яндекс и Яндекс и Яндекс"
    p = place(text, E(("Яндекс", "Organization"), ("Яндекс", "Application")))
    assert [(s, lab) for s, _, lab in p.spans] == [(0, "Organization"), (9, "Application")]  # the third: untagged
    p = place("Яндекс", E(("Яндекс", "Organization"), ("Яндекс", "Organization")))
    assert [u.reason for u in p.unplaced] == [LISTED_TOO_OFTEN]


def test_a_match_inside_a_token_is_widened_to_the_whole_token():
    text = "Дообучили BERT-а вчера"
    p = place(text, E(("BERT", "Model")))
    assert spans(text, p) == [("BERT-а", "Model")] and p.widened == 1


def test_a_whole_token_occurrence_is_taken_before_one_that_must_be_widened():
    text = "Наш AI-ассистент отвечает, AI здесь ни при чём"
    p = place(text, E(("AI", "Model")))
    assert spans(text, p) == [("AI", "Model")] and p.spans[0][0] == text.index("AI здесь") and p.widened == 0


def test_case_blind_occurrences_follow_when_the_exact_ones_are_taken():
    text = "BERT и bert"
    p = place(text, E(("BERT", "Model"), ("BERT", "Model")))
    assert spans(text, p) == [("BERT", "Model"), ("bert", "Model")] and not p.unplaced


def test_an_exact_occurrence_that_must_be_widened_is_taken_before_a_case_blind_whole_one():
    text = "Дообучили BERT-а, потом bert ещё раз"
    p = place(text, E(("BERT", "Model")))
    assert spans(text, p) == [("BERT-а", "Model")] and p.widened == 1


def test_malformed_entries_are_unplaced_not_a_crash():
    p = place("BERT", [{"text": "BERT"}, "BERT", {"text": 3, "label": "Model"}, {"text": " ", "label": "Model"}])
    assert p.spans == () and [u.reason for u in p.unplaced] == [MALFORMED] * 4


def test_emoji_and_nbsp_offsets_are_code_points():
    text = "😀😀 YaLM\u00a0100B вышла"
    p = place(text, E(("YaLM\u00a0100B", "Model")))
    (start, end, _), = p.spans
    assert text[start:end] == "YaLM\u00a0100B" and start == 3


WORDS = ["BERT", "Яндекс", "ёлка", "GPT-3", "модель", "и", "в", "2022", "году", "Сбер", ",", "."]


@st.composite
def annotated(draw):
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12))
    text = " ".join(words)
    offsets = tuple((s, e) for s, e, _ in tokenize(text))
    spans_, i = [], 0
    while i < len(offsets):
        if draw(st.booleans()):
            j = draw(st.integers(i + 1, min(i + 3, len(offsets))))
            spans_.append(Span(offsets[i][0], offsets[j - 1][1], draw(st.sampled_from(NAMES)),
                               text[offsets[i][0]:offsets[j - 1][1]]))
            i = j
        else:
            i += 1
    return text, offsets, spans_


def reference_first_occurrences(text, offsets, gold):
    """The plain reading of the placement rule: each listed mention, longest first, takes the first
    token-aligned occurrence (exact, at word boundaries) not overlapping what is placed."""
    taken = []
    for span in sorted(gold, key=lambda s: (-len(s.text), s.start)):
        starts = {s for s, _ in offsets}
        ends = {e for _, e in offsets}
        for k in range(len(text)):
            end = k + len(span.text)
            if text.startswith(span.text, k) and k in starts and end in ends and \
                    all(end <= a or k >= b for a, b, _ in taken):
                taken.append((k, end, span.label))
                break
    return sorted(taken)


@settings(max_examples=300, deadline=None)
@given(annotated())
def test_placing_a_taught_answer_matches_the_plain_reference(case):
    text, offsets, gold = case
    entities, truncated = parse_answer(format_answer(gold))
    placed = place_entities(text, entities, NAMES, offsets)
    assert list(placed.spans) == reference_first_occurrences(text, offsets, gold)
    assert not truncated and all(u.reason == OVERLAPS or u.reason == LISTED_TOO_OFTEN for u in placed.unplaced)
    for a, b in zip(placed.spans, placed.spans[1:]):
        assert a[1] <= b[0]


def aligned_occurrences(text, offsets, mention):
    starts, ends = {s for s, _ in offsets}, {e for _, e in offsets}
    return sum(1 for k in range(len(text)) if text.startswith(mention, k) and k in starts
               and k + len(mention) in ends)


@settings(max_examples=300, deadline=None)
@given(annotated())
def test_a_taught_answer_gives_back_the_spans_when_each_mention_occurs_as_often_as_listed(case):
    text, offsets, gold = case
    listed = [s.text for s in gold]
    if any(aligned_occurrences(text, offsets, m) != listed.count(m) for m in listed):
        assume(False)  # an untagged copy of a mention: the earlier occurrences are taken (docs/llm.md)
    placed = place_entities(text, parse_answer(format_answer(gold))[0], NAMES, offsets)
    assert list(placed.spans) == [(s.start, s.end, s.label) for s in gold] and not placed.unplaced


MENTION = st.text(alphabet=st.sampled_from('abcЯё {}[]",:\\`ab'), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(MENTION, st.sampled_from(NAMES)), max_size=5), st.data())
@example(pairs=[("```", "Model")], data=None)  # a fence inside a mention is no fence (hypothesis found it)
def test_any_cut_of_an_answer_gives_a_prefix_of_its_entities(pairs, data):
    full = [{"text": t, "label": lab} for t, lab in pairs]
    content = json.dumps({"entities": full}, ensure_ascii=False)
    assert parse_answer(content) == (full, False)
    assert parse_answer("Вот ответ:\n" + content + "\nГотово.") == (full, False)
    if data is None:
        return
    cut = data.draw(st.integers(len('{"entities": ['), len(content) - 1))
    entities, truncated = parse_answer(content[:cut])
    assert truncated and entities == full[: len(entities)]
    complete_objects = sum(1 for k in range(len(full))
                           if len(json.dumps({"entities": full[: k + 1]}, ensure_ascii=False)) - 2 <= cut)
    assert len(entities) == complete_objects
