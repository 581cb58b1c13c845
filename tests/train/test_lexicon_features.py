"""Lexicon membership as a navec feature: exact ids, feature dropout, a self-contained model directory."""

import json
import shutil

import numpy as np
import pytest

from ner.cli import main
from ner.errors import UserError
from ner.models import load_model
from ner.models.lexfeatures import LexiconFeatures, resolve_lexicon
from ner.train.config import TrainConfig
from ner.train.entry import train
from tests.conftest import SEED

SENTENCE = ["Мы", "дообучили", "LLaMA", "2", "через", "LoRA", "в", "2023", "году", "."]


@pytest.fixture
def lexicon_dir(tmp_path):
    d = tmp_path / "lists"
    d.mkdir()
    (d / "Model.txt").write_text("# models\nLLaMA 2\nGPT-4\nBERT\n", encoding="utf-8")
    (d / "Method_ML.txt").write_text("LoRA\n", encoding="utf-8")
    (d / "O.txt").write_text("learning rate\n", encoding="utf-8")
    return d


def test_feature_ids_are_exact_on_a_hand_made_sentence(lexicon_dir):
    features = LexiconFeatures.read(lexicon_dir)
    assert features.labels == ("Method_ML", "Model", "Date")  # file names (O.txt is no label), then Date
    assert features.ids == {"O": 1, "B-Method_ML": 2, "I-Method_ML": 3, "B-Model": 4, "I-Model": 5,
                            "B-Date": 6, "I-Date": 7} and features.size == 8
    #                                  Мы дообучили LLaMA 2 через LoRA в 2023 году .
    assert features.word_ids(SENTENCE) == [1, 1, 4, 5, 1, 2, 1, 6, 7, 1]
    assert features.word_ids(["learning", "rate", "BERT"]) == [1, 1, 4]  # an O.txt phrase is O
    assert features.tensor([["BERT", "и", "GPT-4"], ["LoRA"]]).tolist() == [[4, 1, 4], [2, 0, 0]]


def test_lexicon_choice(lexicon_dir, tmp_path):
    assert resolve_lexicon("none", "navec", ["Model"]) is None
    assert resolve_lexicon("", "navec", ["PER", "LOC", "ORG"]) is None  # the bundled lists name none of them
    bundled = resolve_lexicon("", "navec", ["Model", "Date"])
    assert bundled is not None and "Model" in bundled.labels
    assert resolve_lexicon(str(lexicon_dir), "navec", ["PER"]).labels == ("Method_ML", "Model", "Date")
    assert resolve_lexicon("", "transformer", ["Model"]) is None
    with pytest.raises(UserError, match="no such lexicon directory"):
        resolve_lexicon(str(tmp_path / "missing"), "navec", ["Model"])
    with pytest.raises(UserError, match="--lexicon .*navec backbone"):
        TrainConfig(train="x", backbone="navec-cnn", lexicon=str(lexicon_dir)).validate()


def test_feature_dropout_hides_whole_sentences_in_training_only(lexicon_dir):
    import torch

    from ner.models.navec import NavecNet

    net = NavecNet(["O", "B-Model", "I-Model"], "abc", {"hidden": 4}, lexicon=LexiconFeatures.read(lexicon_dir))
    module, weight = net.module, net.module.words.lexicon.weight
    ids = torch.tensor([[4, 5, 1, 0]] * 400)  # B-Model I-Model O padding
    torch.manual_seed(0)
    module.train()
    with torch.no_grad():
        out = module.lexicon_features(ids)
        kept = [bool(torch.equal(row, weight[ids[0]])) for row in out]
        dropped = [bool(torch.equal(row, weight[torch.tensor([1, 1, 1, 0])])) for row in out]
        assert all(k != d for k, d in zip(kept, dropped))  # a sentence is dropped whole or not at all
        assert 140 < sum(dropped) < 260  # p = 0.5 of 400
        assert not out[:, 3].any()  # padding stays the zero vector
        module.eval()
        assert torch.equal(module.lexicon_features(ids), weight[ids])  # prediction sees every id


def _config(tmp_path, lexicon):
    return TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=1, hidden=16, seed=5, lexicon=lexicon)


def test_a_model_with_a_lexicon_saves_reloads_and_tags_the_same_from_a_copy(tmp_path, lexicon_dir):
    out = train(_config(tmp_path, str(lexicon_dir)))
    info = json.loads((out / "ner_model.json").read_text())
    assert info["lexicon"]["labels"] == ["Method_ML", "Model", "Date"] and info["hparams"]["lexicon_tags"] == 8
    saved = json.loads((out / "lexicon.json").read_text())["files"]
    assert saved == {path.name: path.read_text() for path in lexicon_dir.iterdir()}
    assert all(p.is_file() for p in out.iterdir())  # a flat directory (tools hard-link its files)
    assert f'lexicon = "{lexicon_dir}"' in (out / "train_config.toml").read_text()

    batch = [SENTENCE, ["Обучение", "BERT", "и", "GPT-4", "с", "LoRA"], ["я"]]
    original = load_model(out)
    expected = original.predict_with_probabilities(batch)
    text = tmp_path / "in.txt"
    text.write_text("Мы дообучили LLaMA 2 через LoRA в 2023 году.\nОбучение BERT и GPT-4 с LoRA\n", encoding="utf-8")

    def ner_tag(model_dir):
        target = tmp_path / "tagged.jsonl"
        assert main(["tag", str(text), "--model", str(model_dir), "--no-progress", "-o", str(target)]) == 0
        return target.read_text(encoding="utf-8")

    tagged = ner_tag(out)
    copy = tmp_path / "elsewhere" / "model"
    shutil.copytree(out, copy)
    shutil.rmtree(lexicon_dir)  # the source lists are gone: the copy must not need them
    shutil.rmtree(out)
    moved = load_model(copy)
    for (p1, a1), (p2, a2) in zip(expected, moved.predict_with_probabilities(batch)):
        assert p1 == p2 and np.array_equal(a1, a2)
    assert ner_tag(copy) == tagged and '"entities"' in tagged

    # the feature is used in prediction: with every word's id O the emissions change
    with_lists = moved.net.emissions([SENTENCE])[0]
    moved.net.lexicon.ids = {}  # every tag unknown -> O
    assert not np.allclose(moved.net.emissions([SENTENCE])[0], with_lists)


def test_a_model_without_a_lexicon_is_the_old_directory(tmp_path):
    out = train(_config(tmp_path, "none").replace(morph=False))  # nor the grammemes (test_morph.py)
    info = json.loads((out / "ner_model.json").read_text())
    assert "lexicon" not in info and not (out / "lexicon.json").exists()
    # the hyper-parameters an old directory holds, nothing more: old directories load the same way
    assert set(info["hparams"]) == {"char_dim", "char_filters", "shape_dim", "hidden", "dropout", "layers",
                                    "word_dropout"}
    model = load_model(out)
    assert model.net.lexicon is None and not hasattr(model.net.module, "lexicon")
    assert [len(p.tags) for p in model.predict([SENTENCE, []])] == [len(SENTENCE), 0]
