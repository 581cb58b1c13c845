"""``ner tag --engine datasets|ray --workers N``: the same output as the local engine, in input order,
each worker process loading the model once (a real model, real worker processes)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from ner.tagger.engines import tag_engine

TEXTS = ["Модель BERT обучили на датасете ImageNet.", "Ёжик и йод: 😀 GPT-3 и PyTorch'е.",
         "Сбер выпустил GigaChat в 2023 году.", "Alpaca", "У ChatGPT есть датасет Alpaca. Вторая фраза про LLaMA."]


@pytest.fixture(scope="module")
def lines():
    return [(n * 2 + 1, TEXTS[n % len(TEXTS)] + f" №{n}") for n in range(37)]


def local_rows(model_dir, lines, fmt="jsonl"):
    from ner.tagger.engines import init_worker, tag_rows

    init_worker(str(model_dir), 16, fmt, {}, one_thread=False)
    return tag_rows(lines)


@pytest.mark.parametrize("fmt", ["jsonl", "conll"])
def test_datasets_engine_keeps_order_and_loads_once_per_process(model_dir, lines, fmt):
    rows = tag_engine(lines, str(model_dir), engine="datasets", workers=2, batch_size=16, fmt=fmt,
                      rows_per_batch=5)
    assert [r["output"] for r in rows] == local_rows(model_dir, lines, fmt)
    assert len({r["pid"] for r in rows}) <= 2
    assert {r["loads"] for r in rows} == {1}
    if fmt == "jsonl":
        assert [json.loads(r["output"])["line"] for r in rows] == [n for n, _ in lines]
        assert any(json.loads(r["output"])["entities"] for r in rows)  # the fitted model finds entities


def test_tag_command_engine_datasets(model_dir, lines, tmp_path, capsys):
    from ner.cli import main

    source = tmp_path / "in.txt"
    source.write_text("\n".join(t for _, t in lines[:12]) + "\n\n", encoding="utf-8")
    assert main(["tag", "--model", str(model_dir), str(source), "--no-progress"]) == 0
    local = capsys.readouterr().out
    assert main(["tag", "--model", str(model_dir), str(source), "--no-progress", "--engine", "datasets",
                 "--workers", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.out == local and "12 text(s) tagged" in captured.err
    assert main(["tag", "--model", str(model_dir), str(source), "--engine", "datasets", "--format", "html"]) == 2
    assert "--engine datasets: writes jsonl or conll" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed (pip install ray)")
def test_ray_engine_on_a_local_ray(model_dir, lines):
    rows = tag_engine(lines, str(model_dir), engine="ray", workers=2, batch_size=16, rows_per_batch=5)
    assert [r["output"] for r in rows] == local_rows(model_dir, lines)
    assert {int(r["loads"]) for r in rows} == {1}
