"""ner/records.py: Token, Span, Sentence, Document and the text rebuilt from words.

The invariant everything leans on: every offset slices its owner's text to the thing it
names (``text[start:end] == span.text``), for sentences rebuilt from words and for those
that carry their own text (razdel, Label Studio), and again once sentences are joined into a
document. Checked on hard strings: empty, one token, ё/й, NBSP, emoji, CRLF.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ner.bio import spans_tags
from ner.records import Document, Sentence, Span, Token, group_documents, join_words, token_span

HARD = ["Ёлка", "йогурт", "BERT\xa0base", "😀", "👩‍💻", "GPT-3", "(", ")", ".", "«", "»", "2018", "ё", "\u0301й"]
WORDS = st.lists(st.one_of(st.sampled_from(HARD), st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc")),
                                                          min_size=1, max_size=6)), max_size=12)


def _tagged(words, data):
    cuts = sorted(data.draw(st.sets(st.integers(0, len(words)), max_size=6)))
    spans = [(a, b, data.draw(st.sampled_from(["Model", "Дата"]))) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]
    return Sentence(tuple(words), tuple(spans_tags(len(words), spans))), spans


@settings(max_examples=200, deadline=None)
@given(WORDS)
def test_join_words_offsets_slice_each_word(words):
    text, offsets = join_words(words)
    assert [text[a:b] for a, b in offsets] == list(words)
    assert all(b <= c for (_, b), (c, _) in zip(offsets, offsets[1:]))  # in order, never overlapping


@pytest.mark.parametrize("words, text", [
    ([], ""),
    (["BERT"], "BERT"),
    (["Модель", "«", "Ёлка", "»", "(", "2018", ")", "."], "Модель «Ёлка» (2018)."),
    (["😀", "BERT\xa0base", ","], "😀 BERT\xa0base,"),
])
def test_join_words_spacing(words, text):
    assert join_words(words)[0] == text


@settings(max_examples=200, deadline=None)
@given(WORDS, st.data())
def test_sentence_spans_and_tokens_slice_its_text(words, data):
    sentence, spans = _tagged(words, data)
    text = sentence.text
    assert [text[t.start:t.end] for t in sentence.tokens] == list(words)
    assert [(s.label, s.text) for s in sentence.spans] == [(label, text[s.start:s.end]) for (_, _, label), s
                                                            in zip(sorted(spans), sentence.spans)]
    assert len(sentence.spans) == len(spans)


@settings(max_examples=100, deadline=None)
@given(st.lists(WORDS, max_size=4), st.data())
def test_document_offsets_slice_the_document_text(sentence_words, data):
    doc = Document("d", tuple(_tagged(words, data)[0] for words in sentence_words))
    text = doc.text
    assert text == "\n".join(s.text for s in doc.sentences)
    assert all(text[t.start:t.end] == t.text for t in doc.tokens)
    assert all(text[s.start:s.end] == s.text for s in doc.spans)
    assert [s.text for s in doc.spans] == [s.text for sentence in doc.sentences for s in sentence.spans]
    assert doc.n_tokens == len(doc.tokens)


def test_a_sentence_with_its_own_text_keeps_crlf_nbsp_and_emoji():
    text = "😀 BERT\xa0base\r\nи Ёж"
    offsets = ((0, 1), (2, 11), (13, 14), (15, 17))
    sentence = Sentence(("😀", "BERT\xa0base", "и", "Ёж"), ("O", "B-Model", "O", "B-Model"), 1, "x:1", text, offsets)
    assert sentence.text == text and sentence.token_offsets == offsets
    assert sentence.spans == (Span(2, 11, "Model", "BERT\xa0base"), Span(15, 17, "Model", "Ёж"))
    assert sentence.with_tags(["O"] * 4).token_offsets == offsets  # new tags keep the source's layout
    assert sentence.with_tags(["O"] * 4).spans == ()


def test_token_span_is_the_one_span_of_token_offsets():
    text, offsets = "😀 BERT\xa0base", ((0, 1), (2, 6), (7, 11))
    assert token_span(text, offsets, 1, 3, "Model") == Span(2, 11, "Model", "BERT\xa0base")
    sentence = Sentence(("😀", "BERT", "base"), ("O", "B-Model", "I-Model"), 1, "x:1", text, offsets)
    assert sentence.spans == (Span(2, 11, "Model", "BERT\xa0base"),)


def test_empty_and_one_token_records():
    empty = Sentence((), ())
    assert (len(empty), empty.text, empty.tokens, empty.spans) == (0, "", (), ())
    one = Sentence(("Йод",), ("B-Model",))
    assert one.tokens == (Token("Йод", 0, 3),) and one.spans == (Span(0, 3, "Model", "Йод"),)
    assert Document("d", ()).text == "" and Document("d", ()).spans == ()
    assert Document("d", (empty, one)).spans == (Span(1, 4, "Model", "Йод"),)  # after the empty line


@pytest.mark.parametrize("kwargs, message", [
    ({"words": ("a", "b"), "tags": ("O",)}, "2 words but 1 tags"),
    ({"words": ("a",), "tags": ("O",), "source_text": "a"}, "come together"),
    ({"words": ("a",), "tags": ("O",), "source_text": "a b", "offsets": ((0, 1), (2, 3))}, "one pair per word"),
    ({"words": ("ё",), "tags": ("O",), "source_text": "е", "offsets": ((0, 1),)}, "'ё' is not at 0:1"),
])
def test_a_sentence_whose_parts_disagree_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Sentence(**kwargs)


@pytest.mark.parametrize("start, end", [(0, 0), (-1, 2), (2, 9), (3, 2)])
def test_span_at_refuses_empty_or_outside_slices(start, end):
    with pytest.raises(ValueError, match="outside a text of 4 characters"):
        Span.at("😀 Ёж", start, end, "Model")


def test_span_at_slices_by_code_points():
    assert Span.at("😀 Ёж", 2, 4, "Model") == Span(2, 4, "Model", "Ёж")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(1, 3)), max_size=8))
def test_group_documents_puts_consecutive_records_back_together(runs):
    docs = [Document(doc_id, tuple(Sentence((f"{doc_id}{k}",), ("O",)) for k in range(n)), "f", {"docstart": True})
            for doc_id, n in runs]
    entries = [(doc.id, True, s) for doc in docs for s in doc.sentences]
    merged = []  # neighbours with one id are one document, as in a file
    for doc in docs:
        if merged and merged[-1].id == doc.id:
            merged[-1] = Document(doc.id, merged[-1].sentences + doc.sentences, "f", {"docstart": True})
        else:
            merged.append(doc)
    again = list(group_documents(entries, "f"))
    assert again == merged
    assert [d.meta for d in again] == [{"docstart": True}] * len(merged)
