"""Distillation, really trained (tiny): a teacher labels unlabelled texts, a student learns from a little gold
plus the teacher's soft targets and beats the same student trained on the gold alone; the silver JSONL reads
back as a corpus; the soft loss equals a brute-force reference; ``ner distill`` end to end."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from ner.errors import UserError
from ner.formats.conll import read_conll, write_conll
from ner.records import Document
from tests.conftest import ROOT

KEEP = "Model,Application,Organization"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Gold (40 sentences), dev, unlabelled texts and a held-out test from the written corpus."""
    from ner.corpus import map_tags

    d = tmp_path_factory.mktemp("distill")
    sentences = [s for doc in read_conll(ROOT / "corpora" / "ml_ru_written.conll") for s in doc.sentences]
    assert len(sentences) > 1500

    def write(part, name):
        write_conll([Document(name, tuple(part))], d / name, docstart=False)
        return str(d / name)

    keep = {k: k for k in KEEP.split(",")}
    test = [s.with_tags(map_tags(s.tags, keep)[0]) for s in sentences[1300:1500]]
    (d / "texts.txt").write_text("\n".join(s.text for s in sentences[600:1000]) + "\n", encoding="utf-8")
    return {"dir": d, "teach": write(sentences[:600], "teach.conll"), "gold": write(sentences[:40], "gold.conll"),
            "dev": write(sentences[1200:1300], "dev.conll"), "texts": str(d / "texts.txt"), "test": test}


def config(data, out, **kw):
    from ner.train.config import TrainConfig

    base = dict(train=data["gold"], dev=data["dev"], out=str(data["dir"] / out), keep=KEEP, epochs=5, hidden=32,
                seed=1, lr=1e-2)
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def teacher(data):
    from ner.train.entry import train

    return train(config(data, "teacher", train=data["teach"], epochs=5))


def f1(model_dir, sentences, reference=None) -> float:
    """Strict micro F1 of the model on ``sentences`` against their gold tags, or against ``reference``'s tags."""
    from ner.evaluate import score
    from ner.models import load_model

    words = [s.words for s in sentences]
    gold = [s.tags for s in sentences] if reference is None else [p.tags for p in load_model(reference).predict(words)]
    return score(gold, [p.tags for p in load_model(model_dir).predict(words)]).micro.f1


def test_student_learns_from_the_teacher(data, teacher):
    from ner.train.distill import distill
    from ner.train.entry import train

    lines = []
    student = distill(config(data, "student"), str(teacher), data["texts"], silver=str(data["dir"] / "silver.jsonl"),
                      progress=lines.append)
    alone = train(config(data, "gold-only"))
    test = data["test"]
    teacher_f1, student_f1, alone_f1 = (f1(p, test) for p in (teacher, student, alone))
    assert teacher_f1 > 0.15, (teacher_f1, student_f1, alone_f1)
    # 40 gold sentences alone teach little; the teacher's labels of 400 texts carry its knowledge: on unseen
    # sentences the student agrees with the teacher far more than the gold-only model does, and scores better
    agree, agree_alone = f1(student, test, teacher), f1(alone, test, teacher)
    assert agree > agree_alone + 0.2, (agree, agree_alone)
    assert student_f1 > alone_f1, (teacher_f1, student_f1, alone_f1)
    info = json.loads((student / "distill.json").read_text())
    assert info["texts_count"] == 400 and info["silver_sentences"] >= 400 and info["gold_sentences"] == 40
    assert "## Distillation" in (student / "README.md").read_text()
    assert any("distillation: gold 40 sentences + silver" in line for line in lines)
    assert (student / "train_config.toml").exists() and json.loads((student / "metrics.json").read_text())["history"]


def test_silver_reads_back_as_a_corpus(data, teacher):
    from ner.formats.jsonl import load_jsonl
    from ner.models import load_model
    from ner.train.silver import label_texts, read_texts

    path = data["dir"] / "silver.jsonl"
    if not path.exists():
        pytest.skip("written by test_student_learns_from_the_teacher")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    sentences = [s for doc in load_jsonl(path) for s in doc.sentences]
    assert len(sentences) == len(records)
    silver = label_texts(load_model(teacher), read_texts(data["texts"]))
    assert [s.tags for s in sentences] == [s.tags for s in silver]
    assert any(r["spans"] for r in records)
    for r, s in zip(records, silver):
        assert len(r["scores"]) == len(r["tokens"]) and r["score"] == min(r["scores"])
        assert all(r["text"][sp["start"]:sp["end"]] == sp["text"] for sp in r["spans"])
        assert np.allclose(s.probs.sum(1), 1.0)


def test_soft_targets_temperature_and_window_start():
    from ner.train.distill import open_targets, soft_targets

    teacher_tags = ("O", "I-A", "B-A")
    student_tags = ("O", "B-A", "I-A")
    p = np.array([[0.7, 0.1, 0.2], [0.2, 0.6, 0.2]])
    q = soft_targets(p, teacher_tags, student_tags)
    np.testing.assert_allclose(q, [[0.7, 0.2, 0.1], [0.2, 0.2, 0.6]], rtol=1e-6)
    hot, cold = soft_targets(p, teacher_tags, student_tags, 4.0), soft_targets(p, teacher_tags, student_tags, 0.25)
    entropy = lambda x: -(x * np.log(x)).sum()  # noqa: E731
    assert entropy(hot) > entropy(q) > entropy(cold)
    np.testing.assert_allclose(hot.sum(1), 1.0, rtol=1e-6)
    opened = open_targets(q, student_tags)
    np.testing.assert_allclose(opened, [[0.7, 0.3, 0.0], [0.2, 0.2, 0.6]], rtol=1e-6)


def test_soft_loss_is_cross_entropy_with_brute_force_marginals(data):
    import torch

    from ner.models.navec import NavecNet
    from ner.train.distill import DistillNet, Soft

    tags = ("O", "B-A", "I-A", "B-B", "I-B")
    torch.manual_seed(0)
    net = DistillNet(NavecNet(tags, "абвгдеBERT", {"hidden": 8}), weight=2.0)
    with torch.no_grad():
        for p in (net.module.crf.transitions, net.module.crf.start, net.module.crf.end):
            p.normal_()
    net.module.eval()
    words = ("Модель", "BERT", "где")
    rng = np.random.default_rng(0)
    targets = rng.dirichlet(np.ones(len(tags)), size=len(words)).astype(np.float32)
    loss = net.loss([Soft(words, targets)]).item()
    word_ids, shape_ids, char_ids, _ = net.featurizer.tensors([words])
    with torch.no_grad():
        em = net.module(word_ids, shape_ids, char_ids)[0].double().numpy()
        start, trans, end = (t.double().numpy() for t in net.module.crf._scores())
    # the plain reference: every tag sequence, its CRF score, marginals by summing
    paths = list(itertools.product(range(len(tags)), repeat=len(words)))
    scores = np.array([start[p[0]] + end[p[-1]] + sum(em[t, k] for t, k in enumerate(p))
                       + sum(trans[a, b] for a, b in zip(p, p[1:])) for p in paths])
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()
    marginals = np.zeros((len(words), len(tags)))
    for w, p in zip(weights, paths):
        for t, k in enumerate(p):
            marginals[t, k] += w
    expected = 2.0 * -(targets * np.log(np.maximum(marginals, 1e-8))).sum()
    assert math.isclose(loss, expected, rel_tol=1e-4)


def test_distill_command(data, teacher, capsys):
    from ner.cli import main

    out = data["dir"] / "cli-student"
    few = data["dir"] / "few.txt"
    texts = open(data["texts"], encoding="utf-8").read().splitlines()
    few.write_text("\n".join(texts[:30]) + "\n", encoding="utf-8")
    assert main(["distill", "--teacher", f"{teacher},{teacher}", "--texts", str(few), "--train", data["gold"],
                 "--dev", data["dev"], "--keep", KEEP, "--out", str(out), "--epochs", "1", "--hidden", "16",
                 "--weight", "0.5", "--temperature", "2"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    info = json.loads((out / "distill.json").read_text())
    assert info["weight"] == 0.5 and info["temperature"] == 2.0 and info["teacher"] == f"{teacher},{teacher}"
    assert main(["distill", "--teacher", str(teacher), "--texts", str(data["dir"] / "absent.txt"),
                 "--train", data["gold"], "--keep", KEEP, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "absent.txt" in err and "--texts" in err
    assert main(["distill", "--teacher", str(teacher), "--texts", str(few), "--train", data["gold"],
                 "--keep", KEEP, "--out", str(out), "--temperature", "0"]) == 2
    assert "--temperature 0.0: must be above 0" in capsys.readouterr().err


def test_teacher_labels_outside_the_students_schema(data, teacher):
    from ner.train.distill import distill

    with pytest.raises(UserError, match="labels Application, Organization are not in the gold"):
        distill(config(data, "x", keep="Model"), str(teacher), data["texts"])


def test_a_student_never_replaces_its_teacher(data, teacher):
    """--out the teacher's directory (or one around it) replaced the ensemble with its own student, whose card
    then named itself as the teacher: refused before anything is labelled or trained."""
    from ner.train.distill import distill

    before = sorted(p.name for p in teacher.iterdir())
    for out, teachers in ((teacher, str(teacher)), (teacher.parent, str(teacher)),
                          (teacher, f"{data['dir'] / 'other'},{teacher}")):
        cfg = config(data, "x").replace(out=str(out))
        with pytest.raises(UserError, match="the student would replace its teacher"):
            distill(cfg, teachers, data["texts"])
    assert sorted(p.name for p in teacher.iterdir()) == before
