"""The O bias: the O tag's score lowered before the CRF decodes; saved with the model, off by default
(a directory without it is what the code before it wrote)."""

from __future__ import annotations

import json

import pytest

from ner.models import load_model
from ner.train import TrainConfig, train
from tests.conftest import SEED

WORDS = [["Яндекс", "выпустил", "новую", "модель", "и", "датасет", "в", "2022", "году", "."]]


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    out = tmp_path_factory.mktemp("o") / "m"
    return train(TrainConfig(train=str(SEED), out=str(out), epochs=1, hidden=16, seed=5, morph=False))


def test_off_by_default_and_absent_from_the_directory(plain):
    assert "o_bias" not in json.loads((plain / "ner_model.json").read_text())["hparams"]


def test_a_bias_finds_more_and_a_huge_one_leaves_no_word_outside(plain):
    model = load_model(plain)
    before = model.predict(WORDS)[0].tags
    model.net.hp["o_bias"] = 100.0
    assert "O" not in model.predict(WORDS)[0].tags
    model.net.hp["o_bias"] = 0.0
    assert model.predict(WORDS)[0].tags == before
    counts = []
    for bias in (0.0, 1.0, 3.0, 10.0):
        model.net.hp["o_bias"] = bias
        counts.append(sum(t != "O" for t in model.predict(WORDS)[0].tags))
    assert counts == sorted(counts) and counts[-1] > counts[0]


def test_trained_with_a_bias_saves_and_loads_it(tmp_path):
    out = train(TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=1, hidden=16, seed=5, morph=False,
                            o_bias=0.5, backbone="navec-cnn"))
    assert json.loads((out / "ner_model.json").read_text())["hparams"]["o_bias"] == 0.5
    assert load_model(out).net.hp["o_bias"] == 0.5
    with pytest.raises(Exception, match="o-bias"):
        TrainConfig(train="x", o_bias=-1.0).validate()


def test_epochs_are_chosen_without_the_decode_time_priors(tmp_path):
    """o_bias and lexicon_boost act when the saved model tags; the epoch kept is the one the network alone
    scored best, so a model trained with them holds the same weights as one trained without."""
    runs = {}
    for name, extra in (("plain", {}), ("priors", {"o_bias": 3.0, "lexicon_boost": 6.0})):
        out = train(TrainConfig(train=str(SEED), out=str(tmp_path / name), epochs=3, patience=3, hidden=16, seed=5,
                                morph=False, **extra))
        runs[name] = json.loads((out / "metrics.json").read_text())
    assert [h["dev_f1"] for h in runs["priors"]["history"]] == [h["dev_f1"] for h in runs["plain"]["history"]]
    assert runs["priors"]["best_epoch"] == runs["plain"]["best_epoch"]
