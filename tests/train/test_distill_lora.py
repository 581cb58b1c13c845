"""The transformer teacher path and LoRA, on the tiny local BERT (really trained, seconds): ``ner train --lora R``
trains adapters only and saves them merged (the directory loads in ``transformers.pipeline`` and ``tag()`` with
the trained model's outputs); a transformer directory teaches a navec student; ``ner train --folds`` and
``--backbone navec-cnn`` from the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import SEED


@pytest.fixture(scope="module")
def lora_dir(tiny_bert_dir, tmp_path_factory):
    from ner.cli import main

    out = tmp_path_factory.mktemp("lora") / "bert-lora"
    assert main(["train", "--train", str(SEED), "--backbone", "transformer", "--base-model", str(tiny_bert_dir),
                 "--lora", "4", "--epochs", "3", "--lr", "5e-3", "--out", str(out), "--seed", "1"]) == 0
    return out


def test_lora_trains_adapters_only(tiny_bert_dir):
    from ner.train.config import TrainConfig
    from ner.train.loop import build_net

    tags = ["O", "B-Model", "I-Model"]
    config = TrainConfig(train=str(SEED), backbone="transformer", base_model=str(tiny_bert_dir), lora=4)
    net = build_net(config, tags, [], "cpu")
    trainable = {n for n, p in net.module.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "classifier" in n for n in trainable)
    assert any("query" in n for n in trainable) and any("value" in n for n in trainable)
    total = sum(p.numel() for p in net.module.parameters())
    assert sum(p.numel() for n, p in net.module.named_parameters() if n in trainable) < total / 5


def test_lora_directory_is_merged_and_loads_everywhere(lora_dir, tiny_bert_dir):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel, pipeline

    from ner.models import load_model
    from ner.tagger.core import Tagger

    info = json.loads((lora_dir / "ner_model.json").read_text())
    assert info["lora"] == {"rank": 4, "merged": True}
    weights = load_file(str(lora_dir / "model.safetensors"))
    assert not any("lora" in k for k in weights)  # merged: a plain BERT's keys
    # the adapters changed the attention weights (merged in), frozen ones stayed the base model's
    base = AutoModel.from_pretrained(tiny_bert_dir).state_dict()
    query = "bert.encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(weights[query], base["encoder.layer.0.attention.self.query.weight"])
    assert torch.equal(weights["bert.embeddings.word_embeddings.weight"], base["embeddings.word_embeddings.weight"])
    assert "# " in (lora_dir / "README.md").read_text() and "LoRA adapters of rank 4" in (lora_dir / "README.md").read_text()

    words = ["Обучение", "модели", "BERT", "на", "датасете", "Alpaca", "."]
    model = load_model(lora_dir)
    probs = model.probabilities([words])[0]
    np.testing.assert_allclose(probs.sum(1), 1.0)
    hf = pipeline("token-classification", model=str(lora_dir), tokenizer=str(lora_dir), device="cpu")
    pieces = hf(" ".join(words), ignore_labels=[])  # every piece, O included
    assert pieces and all(p["entity"] in model.tags for p in pieces)
    # the pipeline's first-piece label of each word is our argmax (same merged weights, same softmax)
    first = {}
    text, pos = " ".join(words), 0
    starts = []
    for w in words:
        starts.append(text.index(w, pos))
        pos = starts[-1] + len(w)
    for p in pieces:
        first.setdefault(p["start"], p["entity"])
    for i, start in enumerate(starts):
        assert first[start] == model.tags[int(probs[i].argmax())]
    assert Tagger.load(lora_dir).analyze("Модель BERT на датасете Alpaca.").tags


def test_a_transformer_teaches_a_navec_student(lora_dir, tmp_path):
    from ner.models import load_model
    from ner.train.config import TrainConfig
    from ner.train.distill import distill

    texts = tmp_path / "texts.txt"
    texts.write_text("Модель BERT обучили на датасете Alpaca.\nGPT-3 и ImageNet в 2020 году.\n", encoding="utf-8")
    silver = tmp_path / "silver.jsonl"
    out = distill(TrainConfig(train=str(SEED), out=str(tmp_path / "student"), epochs=1, hidden=16), str(lora_dir),
                  str(texts), silver=str(silver), temperature=2.0)
    info = json.loads((out / "distill.json").read_text())
    assert info["silver_sentences"] == 2 and info["teacher"] == str(lora_dir)
    records = [json.loads(line) for line in silver.read_text(encoding="utf-8").splitlines()]
    teacher = load_model(lora_dir)
    assert [r["tags"] for r in records] == [list(p.tags) for p in teacher.predict([r["tokens"] for r in records])]
    assert load_model(out).predict([["BERT"]])[0].tags


def test_train_folds_and_cnn_from_the_command_line(tmp_path, capsys):
    from ner.cli import main
    from ner.models import load_model
    from ner.models.cnn import CNNModel
    from ner.models.ensemble import EnsembleModel

    out = tmp_path / "ens"
    assert main(["train", "--train", str(SEED), "--out", str(out), "--folds", "2", "--epochs", "1",
                 "--hidden", "16", "--backbone", "navec-cnn"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    # without --dev every sentence is in a fold: no 'held out' note that the folds then ignore
    assert "no dev corpus" not in captured.err and "fold 1/2: training on" in captured.err
    model = load_model(out)
    assert isinstance(model, EnsembleModel) and all(isinstance(m, CNNModel) for m in model.members)
    card = (out / "fold-1" / "README.md").read_text()
    assert "character CNN + dictionary grammemes (pymorphy3) + word CNN + CRF" in card
    assert main(["train", "--train", str(SEED), "--out", str(out), "--folds", "1"]) == 2
    assert "--folds 1: need at least 2" in capsys.readouterr().err
    assert main(["train", "--train", str(SEED), "--out", str(out), "--lora", "4"]) == 2
    assert "--lora 4: LoRA adapters are for the transformer backbone" in capsys.readouterr().err
