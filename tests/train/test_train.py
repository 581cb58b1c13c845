"""Training end to end: the navec fixture, a tiny BERT through from_pretrained, resume, bad input, the CLI."""

import json

import numpy as np
import pytest

from ner.cli import main
from ner.errors import UserError
from ner.models import Prediction, load_model
from ner.train.config import TrainConfig
from ner.train.entry import train
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
    card = (navec_model_dir / "README.md").read_text()
    assert "## Scores on dev" in card
    assert f"| ner tag --model {navec_model_dir}" in card  # ner tag reads a file or stdin, not a text argument


def test_navec_model_predicts_every_word(navec_model_dir):
    model = load_model(navec_model_dir)
    assert model.version.startswith("seed-navec@") and len(model.version) == len("seed-navec@") + 8
    assert model.labels == ("Model", "Dataset", "Organization", "Application", "Method_ML", "Task", "Date",
                            "Activity")
    long_doc = ["Обучение", "BERT", "на", "Alpaca", "."] * 130  # 650 words: three windows of 256
    preds = model.predict([["Обучение", "BERT-а"], [], long_doc])
    assert [len(p.tags) for p in preds] == [2, 0, 650] and preds[1] == Prediction((), ())
    assert all(0.0 < s <= 1.0 for p in preds for s in p.scores)
    # padding in a batch changes nothing: one at a time gives the same tags and scores
    batch = [["Обучение", "BERT-а"], ["GPT-3", "и", "Alpaca", "от", "Stanford", "вышли", "в", "2023", "году"],
             ["я"]]
    for together, alone in zip(model.predict(batch), [model.predict([words])[0] for words in batch]):
        assert together.tags == alone.tags
        assert together.scores == pytest.approx(alone.scores, abs=1e-5)


def _seed_config(tmp_path, **kw):
    return TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=2, patience=9, hidden=16, seed=3, **kw)


@pytest.mark.parametrize("settings", [{}, {"lexicon_span_dropout": 0.5}])  # the span dropout draws from random
def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path, settings):
    import torch

    straight = train(_seed_config(tmp_path / "a", **settings))

    def interrupt(line):
        if line.startswith("epoch 1/") and ": loss" in line:  # the end of epoch 1, not a line within it
            raise KeyboardInterrupt

    # progress_seconds=0: a line after every batch, as a slow epoch on loaded cores gives them
    config = _seed_config(tmp_path / "b", **settings)
    with pytest.raises(KeyboardInterrupt):
        train(config, progress=interrupt, progress_seconds=0)
    assert not (tmp_path / "b" / "m").exists() and (tmp_path / "b" / ".m.checkpoint" / "checkpoint.pt").exists()
    lines = []
    resumed = train(config, progress=lines.append, resume=True, progress_seconds=0)
    epochs = [line.split(":")[0] for line in lines if line.startswith(("resumed", "epoch ")) and ": batch" not in line]
    assert epochs == ["resumed after epoch 1 (best dev F1 0.0000 at epoch 1)", "epoch 2/2"]
    a = torch.load(straight / "model.pt")
    b = torch.load(resumed / "model.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(UserError, match="no interrupted run"):
        train(config, resume=True)


def test_a_checkpoint_from_before_a_setting_resumes_with_its_old_value(tmp_path):
    """A checkpoint written before --morph existed (no such key) is a run without it: it resumes with
    --no-morph, and with --morph the error names the setting that differs."""
    import torch

    def interrupt(line):
        if line.startswith("epoch 1/") and ": loss" in line:
            raise KeyboardInterrupt

    config = _seed_config(tmp_path, morph=False)
    with pytest.raises(KeyboardInterrupt):
        train(config, progress=interrupt, progress_seconds=0)
    ckpt = tmp_path / ".m.checkpoint" / "checkpoint.pt"
    state = torch.load(ckpt, weights_only=False)
    del state["config"]["morph"]  # what the code before the setting saved
    del state["python_rng"]  # nor did it keep Python's random state
    torch.save(state, ckpt)
    with pytest.raises(UserError, match=r"morph False -> True"):
        train(config.replace(morph=True), resume=True)
    lines = []
    train(config, progress=lines.append, resume=True, progress_seconds=0)
    assert any(line.startswith("resumed after epoch 1") for line in lines)
    assert any("predates saving Python's random state" in line for line in lines)


def _first_piece_softmax(model_dir, words):
    """The plain path: the saved encoder run directly on the words, softmax of each word's first piece."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    encoder = AutoModelForTokenClassification.from_pretrained(model_dir).eval()
    enc = tokenizer(words, is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        probs = torch.softmax(encoder(**enc).logits[0].double(), -1).numpy()
    ids = enc.word_ids()
    return probs[[ids.index(i) for i in range(len(words))]]


@pytest.fixture(scope="module")
def learned_dir(tmp_path_factory):
    """A navec model that has learned something from the seed corpus (the 1-epoch fixture tags all O)."""
    out = tmp_path_factory.mktemp("learned") / "learned"
    return train(TrainConfig(train=str(SEED), out=str(out), epochs=20, patience=40, hidden=32, seed=1, lr=0.02,
                             dropout=0.1, word_dropout=0.0))


def test_a_long_document_is_tagged_through_windows(learned_dir):
    from ner.formats.conll import read_conll

    model = load_model(learned_dir)
    sentences = [s for d in read_conll(SEED) for s in d.sentences]
    preds = model.predict([list(s.words) for s in sentences])
    found = sum(t != "O" for p in preds for t in p.tags)
    right = sum(g == t != "O" for s, p in zip(sentences, preds) for g, t in zip(s.tags, p.tags))
    assert found > 5 and right > 5  # not an all-O model
    long_doc = [w for _ in range(3) for s in sentences for w in s.words]  # ~750 words: windows (0, 256), (192, 448)...
    [long] = model.predict([long_doc])
    [alone] = model.predict([long_doc[:256]])
    # words 0..191 lie in the first window only: their emissions are the window's own
    em_long, em_alone = model.net.emissions([long_doc, long_doc[:256]])
    assert np.array_equal(em_long[:192], em_alone[:192])
    assert sum(t != "O" for t in long.tags[:150]) > 5  # the comparison below is not all O against all O
    assert long.tags[:150] == alone.tags[:150]
    assert all(not t.startswith("I-") or long.tags[i - 1][2:] == t[2:] for i, t in enumerate(long.tags) if i)


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
    # a sentence inside one window: the probabilities are the encoder's own softmax on each word's first piece
    short = ["Обучение", "BERT", "на", "Alpaca"]
    [probs] = model.probabilities([short])
    assert np.allclose(probs, _first_piece_softmax(out, short), atol=1e-5)
    # tags are the argmax of the merged probabilities, an I-X that opens an entity read as B-X
    for words, pred, probs in zip([short, long_doc], model.predict([short, long_doc]),
                                  model.probabilities([short, long_doc])):
        raw = [model.tags[k] for k in probs.argmax(1)]
        assert list(pred.tags) == [("B-" + t[2:]) if t.startswith("I-") and (i == 0 or raw[i - 1][2:] != t[2:])
                                   else t for i, t in enumerate(raw)]
        assert list(pred.scores) == pytest.approx(probs.max(1).tolist())
    assert any(t != "O" for t in raw)  # not an all-O model
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
