"""Dictionary grammemes as a navec feature: the masks are pymorphy3's, the table travels in the weights
(tagging needs no pymorphy3), word dropout leaves them, and a model trained without them is the old directory."""

import json
import sys

import numpy as np
import pytest
import torch

from ner.errors import UserError
from ner.models import load_model
from ner.models.morph import GRAMMEMES, vocab_table, word_masks
from ner.train.config import TrainConfig
from ner.train.entry import train
from tests.conftest import SEED

NAME, SURN, PATR, GEOX, ORGN = (1 << i for i in range(len(GRAMMEMES)))


def test_masks_are_the_dictionary_grammemes():
    words = ["москва", "Путин", "яндекс", "сергеевич", "BERT", "в", "2023", "датасет"]
    masks = dict(zip(words, word_masks(words)))
    assert masks["москва"] == GEOX and masks["яндекс"] == ORGN and masks["сергеевич"] == PATR
    assert masks["Путин"] & SURN
    assert masks["BERT"] == masks["в"] == masks["2023"] == masks["датасет"] == 0  # Latin, digits, plain words


def test_the_vocabulary_table_is_cached_and_rebuilt_when_broken(tmp_path, monkeypatch):
    monkeypatch.setenv("NER_CACHE_DIR", str(tmp_path / "cache"))
    words = ["москва", "bert", "путин"]
    table = vocab_table(words)
    assert table.dtype == np.uint8 and table.tolist() == word_masks(words)
    cached = list((tmp_path / "cache").glob("morph-*"))
    assert len(cached) == 1 and cached[0].suffix == ".npy"  # no temporary file left
    for broken in (b"not numpy", b""):  # garbage, and a file cut to nothing
        cached[0].write_bytes(broken)
        assert vocab_table(words).tolist() == table.tolist()


def _config(tmp_path, name, **kw):
    return TrainConfig(train=str(SEED), out=str(tmp_path / name), epochs=1, hidden=16, seed=5, lexicon="none", **kw)


@pytest.mark.parametrize("backbone", ["navec", "navec-cnn"])
def test_a_model_carries_its_table_and_tags_without_pymorphy3(tmp_path, monkeypatch, backbone):
    out = train(_config(tmp_path, backbone, backbone=backbone), lambda line: None)
    info = json.loads((out / "ner_model.json").read_text())
    assert info["hparams"]["morph_dim"] > 0
    state = torch.load(out / "model.pt", weights_only=True)
    model = load_model(out)
    expected = vocab_table(model.net.featurizer.vocab.words)
    assert state["words.morph_of_word"].numpy().tolist() == expected.tolist()
    words = [["Путин", "приехал", "в", "Москву", "."], ["BERT", "от", "Яндекса"]]
    before = [p.tags for p in model.predict(words)]
    monkeypatch.setitem(sys.modules, "pymorphy3", None)  # import pymorphy3 now fails
    again = load_model(out)
    assert again.net.module.words.morph_of_word.numpy().tolist() == expected.tolist()
    assert [p.tags for p in again.predict(words)] == before


def test_the_grammemes_change_what_the_model_sees(tmp_path):
    """The feature is wired in: the same net with the table zeroed gives other emissions."""
    out = train(_config(tmp_path, "m"), lambda line: None)
    model = load_model(out)
    words = [["Меркель", "и", "Путин", "в", "Москве"]]
    with_table = model.net.emissions(words)[0]
    model.net.module.words.morph_of_word.zero_()
    without = model.net.emissions(words)[0]
    assert np.abs(with_table - without).max() > 1e-4


def test_word_dropout_hides_the_vector_not_the_grammemes(tmp_path):
    from ner.models.navec import NavecNet

    net = NavecNet(["O", "B-X", "I-X"], "абв", {"morph_dim": 4, "word_dropout": 1.0})
    net.fill_morph()
    module = net.module.train()
    word_ids, shape_ids, char_ids, _ = net.featurizer.tensors([["Москва"]])
    seen = {}
    original = module.word_features

    def spy(ids, shapes, chars, vocab_ids=None):
        seen["ids"], seen["vocab"] = ids.tolist(), vocab_ids.tolist()
        return original(ids, shapes, chars, vocab_ids)

    module.word_features = spy
    module(word_ids, shape_ids, char_ids)
    assert seen["ids"] != seen["vocab"]  # every word's vector hidden (dropout 1.0) ...
    assert module.words.morph_of_word[seen["vocab"][0]].item() == GEOX  # ... its grammemes looked up by the real id


def test_without_morph_the_directory_is_the_old_one(tmp_path):
    """--no-morph writes what the code before the feature wrote, and such a directory (no morph_dim at all) loads."""
    out = train(_config(tmp_path, "plain", morph=False), lambda line: None)
    info = json.loads((out / "ner_model.json").read_text())
    assert "morph_dim" not in info["hparams"]  # what the code before the feature wrote
    assert not any("morph" in key for key in torch.load(out / "model.pt", weights_only=True))
    model = load_model(out)
    assert model.net.hp["morph_dim"] == 0 and len(model.predict([["BERT", "и", "Яндекс"]])[0].tags) == 3


def test_morph_without_pymorphy3_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymorphy3", None)
    with pytest.raises(UserError, match="pymorphy3.*--no-morph"):
        train(_config(tmp_path, "m"), lambda line: None)
