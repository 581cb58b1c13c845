"""The CNN student (``navec-cnn``), really trained (tiny): it learns, saves and loads like navec, tags text,
its emissions do not depend on the batch it is padded in, and it can be the student of ``ner distill``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.formats.conll import read_conll, write_conll
from ner.records import Document
from tests.conftest import ROOT

KEEP = "Model,Application,Organization"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from ner.corpus import map_tags

    d = tmp_path_factory.mktemp("cnn")
    sentences = [s for doc in read_conll(ROOT / "corpora" / "ml_ru_written.conll") for s in doc.sentences]

    def write(part, name):
        write_conll([Document(name, tuple(part))], d / name, docstart=False)
        return str(d / name)

    keep = {k: k for k in KEEP.split(",")}
    return {"dir": d, "train": write(sentences[:600], "train.conll"), "dev": write(sentences[1200:1300], "dev.conll"),
            "test": [s.with_tags(map_tags(s.tags, keep)[0]) for s in sentences[1300:1500]],
            "texts": [s.text for s in sentences[600:630]]}


@pytest.fixture(scope="module")
def cnn_dir(corpus):
    from ner.train.config import TrainConfig
    from ner.train.distill import train_student

    return train_student(TrainConfig(train=corpus["train"], dev=corpus["dev"], out=str(corpus["dir"] / "cnn"),
                                     keep=KEEP, epochs=8, seed=1, backbone="navec-cnn"))


def test_cnn_trains_saves_and_tags(corpus, cnn_dir):
    from ner.evaluate import score
    from ner.models import load_model
    from ner.models.cnn import CNNModel
    from ner.tagger.core import Tagger

    info = json.loads((cnn_dir / "ner_model.json").read_text())
    assert info["backbone"] == "navec-cnn" and info["hparams"]["filters"] == [128, 64]
    assert info["hparams"]["dropout"] == 0.3  # its own default, not the BiLSTM's 0.4 (--dropout -1)
    model = load_model(cnn_dir)
    assert isinstance(model, CNNModel)
    state = model.net.module.state_dict()
    assert not any(".lstm." in k for k in state)
    assert [state[f"encoder.convs.{i}.weight"].shape[0] for i in range(2)] == [128, 64]
    assert "encoder.convs.2.weight" not in state
    test = corpus["test"]
    predictions = model.predict([s.words for s in test])
    f1 = score([s.tags for s in test], [p.tags for p in predictions]).micro.f1
    assert f1 > 0.1, f1  # 600 sentences, 8 epochs: it has learned (an untrained one scores ~0)
    text = "Мы дообучили BERT на датасете ImageNet в Google Colab."
    tagged = Tagger.load(cnn_dir).analyze(text)
    assert all(text[e.start:e.end] == e.text for e in tagged.entities)
    for probs in model.probabilities([s.words for s in test[:20]]):
        np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-9)


def test_cnn_emissions_do_not_depend_on_padding(cnn_dir, corpus):
    from ner.models import load_model

    model = load_model(cnn_dir)
    batch = [s.words for s in corpus["test"][:12]] + [("Один",), ("GPT-3",) * 300]  # a short one, a windowed one
    together = model.net.emissions(batch)
    for words, em in zip(batch, together):
        alone = model.net.emissions([words])[0]
        np.testing.assert_allclose(em, alone, rtol=1e-4, atol=1e-4)
    assert [p.tags for p in model.predict(batch)] == [model.predict([w])[0].tags for w in batch]


def test_cnn_is_a_distillation_student(corpus, cnn_dir):
    from ner.models import load_model
    from ner.train.config import TrainConfig
    from ner.train.distill import distill

    texts = corpus["dir"] / "texts.txt"
    texts.write_text("\n".join(corpus["texts"]) + "\n", encoding="utf-8")
    out = distill(TrainConfig(train=corpus["dev"], out=str(corpus["dir"] / "cnn-student"), keep=KEEP, epochs=1,
                              seed=1, backbone="navec-cnn"), str(cnn_dir), str(texts))
    assert json.loads((out / "ner_model.json").read_text())["backbone"] == "navec-cnn"
    assert json.loads((out / "distill.json").read_text())["texts_count"] == 30
    assert len(load_model(out).predict([["BERT"]])[0].tags) == 1


def _small_cnn(kernel, filters, seed, dilations=None, morph_dim=0):
    import torch

    from ner.models.cnn import DEFAULTS
    from ner.models.encoders import CNNEncoder
    from ner.models.tagnet import CRFHead, TagNet
    from ner.models.words import WordFeatures

    torch.manual_seed(seed)
    indexes = np.random.default_rng(seed).integers(0, 4, size=(10, 3)).astype(np.uint8)
    codes = np.random.default_rng(seed + 1).normal(size=(3, 4, 2)).astype(np.float32)  # 3 chunks of 2: word_dim 6
    hp = {**DEFAULTS, "char_filters": 5, "shape_dim": 3, "morph_dim": morph_dim}
    words = WordFeatures(indexes, codes, 0, 12, hp)
    encoder = CNNEncoder(words.width, filters, kernel, dilations, hp["dropout"])
    module = TagNet(words, encoder, CRFHead(encoder.out_width, ("O", "B-X", "I-X", "B-Y", "I-Y")))
    return module.eval(), module.feature_width


@settings(max_examples=80, deadline=None)
@given(kernel=st.sampled_from([1, 3, 5, 7]), filters=st.lists(st.integers(1, 9), min_size=1, max_size=3),
       lengths=st.lists(st.integers(0, 12), min_size=1, max_size=5), seed=st.integers(0, 10_000),
       noise_past_end=st.booleans(), morph_dim=st.sampled_from([0, 3]), data=st.data())
def test_cnn_infer_from_prepared_taps_equals_encode(kernel, filters, lengths, seed, noise_past_end, morph_dim, data):
    """The fast path a loaded model takes (first convolution as per-word taps, shifted and added) gives
    ``encode``'s emissions for every kernel, layer sizes, dilations of the later layers, with or without
    the grammeme feature, batch lengths (empty ones included) and whatever the padding rows hold."""
    import torch

    dilations = [1] + data.draw(st.lists(st.integers(1, 3), min_size=len(filters) - 1, max_size=len(filters) - 1))
    module, width = _small_cnn(kernel, filters, seed, dilations, morph_dim)
    length = max(max(lengths), 1)
    x = torch.randn(len(lengths), length, width, generator=torch.Generator().manual_seed(seed))
    if not noise_past_end:
        for b, n in enumerate(lengths):
            x[b, n:] = 0
    n = torch.tensor(lengths)
    with torch.no_grad():
        plain = module.encode(x, n)
        fast = module.infer(module.prepare(x), n)
    for b, k in enumerate(lengths):
        np.testing.assert_allclose(fast[b, :k].numpy(), plain[b, :k].numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dilations", [[1, 2, 4], [2, 1], [1, 0]])
def test_bad_dilations_are_a_clear_error(dilations):
    from ner.errors import UserError
    from ner.models.cnn import CNNNet

    with pytest.raises(UserError, match="dilations"):
        CNNNet(["O", "B-X", "I-X"], "аб", {"filters": [8, 4], "dilations": dilations})
