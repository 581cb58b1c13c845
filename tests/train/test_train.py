"""Training end to end: the navec fixture, a tiny BERT through from_pretrained, resume, bad input, the CLI."""

import json

import pytest

from ner.cli import main
from ner.errors import UserError
from ner.models import Prediction, load_model
from ner.train.config import TrainConfig
from ner.train.loop import train
from tests.conftest import ROOT, SEED


def test_navec_model_dir_is_self_contained(navec_model_dir):
    names = {p.name for p in navec_model_dir.iterdir()}
    assert {"ner_model.json", "model.pt", "navec.tar", "train_config.json", "train_config.toml", "metrics.json",
            "README.md", "train.log", "labels.txt"} <= names
    assert not any(p.name.startswith(".") for p in navec_model_dir.parent.iterdir())  # no temp/checkpoint left
    info = json.loads((navec_model_dir / "ner_model.json").read_text())
    assert info["backbone"] == "navec" and info["labels"][0] == "Model"
    metrics = json.loads((navec_model_dir / "metrics.json").read_text())
    assert len(metrics["history"]) == 1 and "micro" in metrics["dev"]
    assert "## Scores on dev" in (navec_model_dir / "README.md").read_text()


def test_navec_model_predicts_every_word(navec_model_dir):
    model = load_model(navec_model_dir)
    assert model.version.startswith("seed-navec@") and len(model.version) == len("seed-navec@") + 8
    assert model.labels == ("Model", "Dataset", "Organization", "Application", "Method_ML", "Task", "Date",
                            "Activity")
    long_doc = ["Обучение", "BERT", "на", "Alpaca", "."] * 130  # 650 words: three windows of 256
    preds = model.predict([["Обучение", "BERT-а"], [], long_doc])
    assert [len(p.tags) for p in preds] == [2, 0, 650] and preds[1] == Prediction((), ())
    assert all(0.0 < s <= 1.0 for p in preds for s in p.scores)
    # windows merged back: the long document agrees with its own sentence-sized pieces away from edges
    alone = model.predict([long_doc[:256]])[0]
    assert preds[2].tags[:150] == alone.tags[:150]
    # padding in a batch changes nothing: one at a time gives the same tags and scores
    batch = [["Обучение", "BERT-а"], ["GPT-3", "и", "Alpaca", "от", "Stanford", "вышли", "в", "2023", "году"],
             ["я"]]
    for together, alone in zip(model.predict(batch), [model.predict([words])[0] for words in batch]):
        assert together.tags == alone.tags
        assert together.scores == pytest.approx(alone.scores, abs=1e-5)


def _seed_config(tmp_path, **kw):
    return TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=2, patience=9, hidden=16, seed=3, **kw)


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    import torch

    straight = train(_seed_config(tmp_path / "a"))

    def interrupt(line):
        if line.startswith("epoch 1/"):
            raise KeyboardInterrupt

    config = _seed_config(tmp_path / "b")
    with pytest.raises(KeyboardInterrupt):
        train(config, progress=interrupt)
    assert not (tmp_path / "b" / "m").exists() and (tmp_path / "b" / ".m.checkpoint" / "checkpoint.pt").exists()
    lines = []
    resumed = train(config, progress=lines.append, resume=True)
    epochs = [line.split(":")[0] for line in lines if line.startswith(("resumed", "epoch "))]
    assert epochs == ["resumed after epoch 1 (best dev F1 0.0000 at epoch 1)", "epoch 2/2"]
    a = torch.load(straight / "model.pt")
    b = torch.load(resumed / "model.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(UserError, match="no interrupted run"):
        train(config, resume=True)


def test_tiny_bert_trains_through_from_pretrained_and_loads_in_a_pipeline(tiny_bert_dir, tmp_path):
    from transformers import pipeline

    out = train(TrainConfig(train=str(SEED), out=str(tmp_path / "bert"), backbone="transformer",
                            base_model=str(tiny_bert_dir), epochs=1, window=16, stride=4, lr=1e-3))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_sentences"] == 13
    # 16-piece windows: long sentences are split for training, not truncated
    log = (out / "train.log").read_text()
    n_windows = int(log.split("13 sentences (")[1].split(" windows")[0])
    assert n_windows > 13
    model = load_model(out)
    long_doc = ["Модель", "ruBERT", "дообучили", "на", "Alpaca", "."] * 20  # far past 38 positions
    preds = model.predict([["Ёлка", "йогурт", "BERT-а"], long_doc])
    assert [len(p.tags) for p in preds] == [3, 120]
    assert all(not t.startswith("I-") or preds[1].tags[i - 1][2:] == t[2:] for i, t in enumerate(preds[1].tags))
    tagger = pipeline("token-classification", model=str(out))
    result = tagger("Обучение BERT на Alpaca")
    assert result and all(r["entity"] in model.net.tags for r in result)


def test_bad_input_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.conll"
    bad.write_text("Модель\tB-Model\nGPT\tB-Foo\n", encoding="utf-8")
    empty = tmp_path / "empty.conll"
    empty.write_text("", encoding="utf-8")
    cases = [
        (dict(train=str(bad)), r"bad.conll: 1 tag\(s\) with labels outside the schema \(Foo, first at .*bad.conll:2\); "
                               r"pass --labels auto"),
        (dict(train=str(SEED), dev=str(empty)), r"empty.conll: error E102: the file is empty"),
        (dict(train=str(tmp_path / "missing.conll")), r"missing.conll: no such file or directory"),
        (dict(train=str(SEED), backbone="transformer", base_model=str(tmp_path / "nope")), r"nope: no such directory"),
        (dict(train=str(SEED), backbone="bert"), r"backbone 'bert' is unknown"),
        (dict(train=str(SEED), map="Dataset=Datasets", labels=str(ROOT / "annotation" / "labels.toml")),
         r"ml_ru_seed.conll:4: label 'Datasets' is not in the schema .*did you mean 'Dataset'\?"),
    ]
    for kw, message in cases:
        with pytest.raises(UserError, match=message):
            train(TrainConfig(out=str(tmp_path / "out"), **kw))
    assert not (tmp_path / "out").exists()


def test_map_renames_and_counts_unmapped(tmp_path):
    from ner.train.loop import prepare_data

    labels, train_s, dev_s, notes = prepare_data(TrainConfig(train=str(SEED), map="Dataset=DATA", seed=1))
    assert labels == ["DATA"]
    tags = {t for s in train_s + dev_s for t in s.tags}
    assert tags == {"O", "B-DATA"}
    assert any("became O" in n for n in notes)


def test_cli_train_and_evaluate(tmp_path, capsys):
    config = tmp_path / "t.toml"
    config.write_text(f'train = "{SEED}"\nepochs = 1\nhidden = 16\n', encoding="utf-8")
    out = tmp_path / "cli-model"
    assert main(["train", "--config", str(config), "--out", str(out), "--seed", "2"]) == 0
    assert json.loads((out / "train_config.json").read_text())["seed"] == 2
    capsys.readouterr()
    errors, png = tmp_path / "errors.tsv", tmp_path / "confusion.png"
    assert main(["evaluate", str(out), str(SEED), "--json", "--errors", str(errors), "--confusion", str(png)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sentences"] == 14 and report["tokens"] == 249 and report["model"].startswith("cli-model@")
    assert errors.read_text().startswith("# ") and png.exists()


def test_cli_config_typo(tmp_path, capsys):
    config = tmp_path / "t.toml"
    config.write_text('trian = "x.conll"\n', encoding="utf-8")
    assert main(["train", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip() == f"ner train: error: {config}: unknown key 'trian'; did you mean 'train'?"
