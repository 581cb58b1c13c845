"""The spaCy component sets doc.ents at the offsets tag() gives."""

from __future__ import annotations

import pytest

spacy = pytest.importorskip("spacy")

import ner.tagger.spacy_component  # noqa: E402,F401  registers the "ner_tagger" factory

TEXTS = [
    "У ChatGPT есть датасет Alpaca.",
    "😀У ChatGPT есть датасет Alpaca.\r\nGitHub Copilot и Amazon CodeWhisperer.",
    "У\u00a0ChatGPT есть датасет Alpaca в 2019г. и ёлка",
    "",
]


@pytest.fixture(scope="module")
def nlp(model_dir):
    nlp = spacy.blank("ru")
    nlp.add_pipe("ner_tagger", config={"model": str(model_dir)})
    return nlp


@pytest.mark.parametrize("text", TEXTS)
def test_doc_ents_match_tag(nlp, tagger, text):
    doc = nlp(text)
    expected = [(e.start, e.end, e.label, e.text) for e in tagger.tag(text)]
    assert [(s.start_char, s.end_char, s.label_, s.text) for s in doc.ents] == expected
    assert doc.text == text


def test_pipe_matches_one_by_one(nlp):
    one = [[(s.start_char, s.end_char, s.label_) for s in nlp(t).ents] for t in TEXTS]
    assert any(one)
    assert [[(s.start_char, s.end_char, s.label_) for s in d.ents] for d in nlp.pipe(TEXTS)] == one


def test_a_boundary_inside_a_spacy_token_splits_it(nlp, tagger):
    # An entity boundary inside one of spaCy's tokens splits that token there (nothing widened or dropped)
    doc = spacy.blank("ru")("x2023г.")
    ner.tagger.spacy_component._split_at(doc, {1, 5})
    assert [t.text for t in doc] == ["x", "2023", "г."]
    assert doc.text == "x2023г."
