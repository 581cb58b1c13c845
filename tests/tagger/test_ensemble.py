"""The ensemble teacher: ``ner train --folds K`` trains K real (tiny) fold models, their directory tags
with the averaged probabilities, decoded once into valid IOB2; the decoder matches a brute-force reference."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.errors import UserError
from ner.models import load_model
from ner.models.ensemble import EnsembleModel, decode_average, iob2_viterbi
from tests.conftest import SEED


def valid_iob2(tags) -> bool:
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            return False
        prev = tag
    return True


TAG_SETS = [("O", "B-A", "I-A"), ("O", "B-A", "I-A", "B-B", "I-B"), ("I-A", "O", "B-B", "B-A", "I-B")]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(TAG_SETS), st.integers(0, 5), st.data())
def test_viterbi_is_the_best_valid_sequence(tags, length, data):
    probs = np.array(data.draw(st.lists(st.lists(st.floats(0.0, 1.0), min_size=len(tags), max_size=len(tags)),
                                        min_size=length, max_size=length))).reshape(length, len(tags))
    logp = np.log(np.maximum(probs, 1e-12))
    path = iob2_viterbi(logp, tags)
    assert len(path) == length and valid_iob2([tags[k] for k in path])
    # the plain reference: every valid sequence, scored
    best = max(sum(logp[t, k] for t, k in enumerate(seq)) for seq in itertools.product(range(len(tags)), repeat=length)
               if valid_iob2([tags[k] for k in seq]))
    assert math.isclose(sum(logp[t, k] for t, k in enumerate(path)), best, rel_tol=1e-9, abs_tol=1e-9)


def test_decoding_never_joins_o_to_i():
    # per-word argmax would give O, I-A: not IOB2; the constrained decoding picks the best valid sequence
    tags = ("O", "B-A", "I-A")
    prediction = decode_average([[0.6, 0.35, 0.05], [0.1, 0.2, 0.7]], tags)
    assert prediction.tags == ("B-A", "I-A")
    assert prediction.scores == (0.35, 0.7)


@pytest.fixture(scope="module")
def folds_dir(tmp_path_factory):
    from ner.train.config import TrainConfig
    from ner.train.folds import train_folds

    out = tmp_path_factory.mktemp("folds") / "seed-ens"
    lines = []
    path = train_folds(TrainConfig(train=str(SEED), out=str(out), epochs=2, hidden=16, seed=3), 2, lines.append)
    assert any("fold 2/2" in line for line in lines)
    return path


def test_folds_write_k_models_and_an_ensemble(folds_dir):
    info = json.loads((folds_dir / "ner_model.json").read_text())
    assert info["backbone"] == "ensemble" and info["members"] == ["fold-1", "fold-2"]
    assert not (folds_dir / ".folds").exists()
    for name in info["members"]:
        member = json.loads((folds_dir / name / "metrics.json").read_text())
        assert member["train_sentences"] > 0
        assert (folds_dir / name / "README.md").exists()
    # the folds hold out different sentences and so are different models
    a, b = (load_model(folds_dir / name) for name in info["members"])
    assert a.version != b.version


def test_ensemble_averages_its_members(folds_dir):
    model = load_model(folds_dir)
    assert isinstance(model, EnsembleModel)
    members = [load_model(folds_dir / "fold-1"), load_model(folds_dir / "fold-2")]
    batch = [["Модель", "BERT", "обучена", "на", "ImageNet", "."], [], ["GPT-3"] * 300]  # a long one: windows
    probs = model.probabilities(batch)
    for i, words in enumerate(batch):
        expected = (members[0].probabilities([words])[0] + members[1].probabilities([words])[0]) / 2
        assert probs[i].shape == (len(words), len(model.tags))
        np.testing.assert_allclose(probs[i], expected, rtol=0, atol=1e-6)  # float32 emissions, other batches
    for (prediction, p), words in zip(model.predict_with_probabilities(batch), batch):
        assert len(prediction.tags) == len(words) and valid_iob2(prediction.tags)
        ids = [model.tags.index(t) for t in prediction.tags]
        assert list(ids) == iob2_viterbi(np.log(np.maximum(p, 1e-12)), model.tags)
        assert prediction.scores == tuple(p[i, k] for i, k in enumerate(ids))


def test_ensemble_tags_text_and_the_cli(folds_dir, tmp_path, capsys):
    from ner.cli import main
    from ner.tagger.core import Tagger

    text = "Модель BERT обучили на датасете ImageNet. 😀 GPT-3"
    tagged = Tagger.load(folds_dir).analyze(text)
    assert len(tagged.tags) == len(tagged.tokens) > 0
    assert all(text[e.start:e.end] == e.text for e in tagged.entities)
    source = tmp_path / "in.txt"
    source.write_text(text + "\n\nВторая строка про RuBERT.\n", encoding="utf-8")
    assert main(["tag", "--model", str(folds_dir), str(source), "--no-progress"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["line"] for row in lines] == [1, 3]


def test_a_missing_member_is_named(folds_dir, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "ner_model.json").write_text(json.dumps({"backbone": "ensemble", "members": [str(folds_dir / "fold-1"),
                                                                                        "fold-9"]}))
    with pytest.raises(UserError, match="member fold-9 is not a model directory"):
        load_model(bad)
    (bad / "ner_model.json").write_text(json.dumps({"backbone": "ensemble", "members": []}))
    with pytest.raises(UserError, match="needs \"members\""):
        load_model(bad)


def test_folds_with_a_dev_corpus_train_a_label_one_fold_lacks(tmp_path):
    """With --dev, a fold whose training part lacks a rare label still trains it (the identity --map
    refused it: "label 'Method_ML' never occurs in .folds/train-1.conll or .folds/dev.conll"), and every
    fold has the same tags, so the ensemble loads."""
    from ner.train.config import TrainConfig
    from ner.train.folds import train_folds

    dev = tmp_path / "dev.conll"
    dev.write_text("Модель\tO\nBERT\tB-Model\nот\tO\nGoogle\tB-Organization\n", encoding="utf-8")
    out = train_folds(TrainConfig(train=str(SEED), dev=str(dev), out=str(tmp_path / "ens"), epochs=1, hidden=8), 3)
    model = load_model(out)
    assert len(model.members) == 3 and all(set(m.tags) == set(model.tags) for m in model.members)
    assert "B-Method_ML" in model.tags


def test_too_few_folds_refused():
    from ner.train.config import TrainConfig
    from ner.train.folds import train_folds

    with pytest.raises(UserError, match="--folds 1"):
        train_folds(TrainConfig(train=str(SEED)), 1)
