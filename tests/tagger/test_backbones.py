"""tag() over both backbones, with the shared fixtures: the seed navec model and a tiny BERT whose
window (40 positions) is far shorter than the texts, so windows with stride are always used."""

from __future__ import annotations

import pytest

from ner.tagger.core import Tagger
from ner.text import tokenize

from .test_tagger import HARD

LONG = " ".join(["Ёжик и йод: модель ChatGPT-а обучили на датасете Alpaca в 2019 году."] * 250)  # 3,000 words


@pytest.fixture(scope="module")
def transformer_tagger(tiny_bert_dir, tmp_path_factory):
    from ner.schema import load_schema
    from ner.models.transformer import TransformerNet

    schema = load_schema()
    out = tmp_path_factory.mktemp("tiny-bert-ner") / "tiny-bert-ner"
    out.mkdir()
    TransformerNet.create(str(tiny_bert_dir), schema.tags).save(out, "tiny-bert-ner", schema.names)
    return Tagger.load(out)


@pytest.fixture(scope="module")
def seed_tagger(navec_model_dir):
    return Tagger.load(navec_model_dir)


@pytest.mark.parametrize("which", ["seed_tagger", "transformer_tagger"])
@pytest.mark.parametrize("text", HARD + [LONG, LONG.replace(" ", "\r\n")])
def test_every_word_is_tagged_and_every_entity_is_exact(request, which, text):
    tagger = request.getfixturevalue(which)
    analysis = tagger.analyze(text)
    words = analysis.tokens
    assert len(analysis.tags) == len(words) == len(analysis.scores)
    if text.strip():
        # razdel's words (emoji split off, so never fewer), none lost at a window boundary
        assert len(words) >= len(tokenize(text))
        assert words[-1].end == len(text.rstrip())
    for token in words:
        assert text[token.start:token.end] == token.text
    for e in analysis.entities:
        assert text[e.start:e.end] == e.text
        assert e.start in {t.start for t in words} and e.end in {t.end for t in words}
        assert 0 < e.score <= 1 and e.label in tagger.labels
    assert analysis.score == (min(analysis.scores) if analysis.scores else 1.0)


@pytest.mark.parametrize("which", ["seed_tagger", "transformer_tagger"])
def test_probabilities_api_on_both_backbones(request, which):
    """``model.probabilities(batch)``: one [words, len(model.tags)] distribution per word list, windows merged."""
    import numpy as np

    model = request.getfixturevalue(which).model
    batch = [[w for *_, w in tokenize(text)] for text in (LONG, "ChatGPT", "", HARD[2])]
    probs = model.probabilities(batch)
    preds = model.predict(batch)
    assert len(probs) == len(batch) and model.tags[0] == "O" and len(model.tags) == 1 + 2 * len(model.labels)
    for words, p, pred in zip(batch, probs, preds):
        assert p.shape == (len(words), len(model.tags))
        assert np.allclose(p.sum(1), 1.0) and (p >= 0).all()
        if which == "seed_tagger":  # the score of each Viterbi tag is its CRF marginal
            expected = [p[i, model.tags.index(t)] for i, t in enumerate(pred.tags)]
        else:  # the argmax's probability (an I-X opening an entity is then read as B-X)
            expected = p.max(1).tolist()
        assert list(pred.scores) == pytest.approx(expected, abs=1e-9)
