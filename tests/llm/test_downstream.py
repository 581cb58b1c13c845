"""The annotate output goes on through what exists: validate, stats, agreement against gold, and
Label Studio as pre-annotations (``ner ls push --as predictions``)."""

from __future__ import annotations

import json

import pytest

from .conftest import answer, read_jsonl

GOLD = [
    {"id": "g:1", "document": "g", "text": "Яндекс выложил YaLM 100B.",
     "spans": [{"start": 0, "end": 6, "label": "Organization"}, {"start": 15, "end": 24, "label": "Model"}]},
    {"id": "g:2", "document": "g", "text": "Дообучили BERT-а на ImageNet.",
     "spans": [{"start": 10, "end": 16, "label": "Model"}, {"start": 20, "end": 28, "label": "Dataset"}]},
]
ANSWERS = {GOLD[0]["text"]: answer(("Яндекс", "Organization"), ("YaLM", "Model")),   # a boundary slip
           GOLD[1]["text"]: answer(("BERT", "Model"), ("ImageNet", "Dataset"))}


@pytest.fixture
def annotated(llm_server, tmp_path, run_ner):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in GOLD), encoding="utf-8")
    llm_server.script({t: [{"content": c}] for t, c in ANSWERS.items()})
    out = tmp_path / "llm.jsonl"
    code, _, err = run_ner("llm", "annotate", gold, "--endpoint", llm_server.url, "--model", "fake", "--out", out,
                           "--cache-dir", tmp_path / "c")
    assert code == 0, err
    return gold, out


def test_corpus_commands_read_the_output(annotated, run_ner):
    gold, out = annotated
    assert [r["id"] for r in read_jsonl(out)] == ["g:1", "g:2"]
    assert run_ner("validate", out)[0] == 0
    code, stdout, _ = run_ner("stats", out, "--json")
    assert code == 0 and json.loads(stdout)
    code, stdout, _ = run_ner("agreement", gold, out, "--json")
    result = json.loads(stdout)
    assert code == 0 and result["pairs"][0]["micro"]["strict"] == pytest.approx(0.75)  # 3 of 4 spans alike


@pytest.mark.labelstudio
def test_push_as_predictions_shows_the_llm_spans(annotated, labelstudio, ls_client, ls_project, run_ner,
                                                 monkeypatch):
    from ner.schema import load_schema

    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", labelstudio.api_key)
    _, out = annotated
    title = ls_project(load_schema())
    code, _, err = run_ner("ls", "push", out, "--project", title, "--as", "predictions", "--model-version", "llm-fake")
    assert code == 0, err
    project = ls_client.project(title)
    [task] = list(ls_client.iter_tasks(project["id"]))
    [prediction] = task["predictions"]
    assert prediction["model_version"] == "llm-fake"
    shown = sorted((r["value"]["text"], r["value"]["labels"][0]) for r in prediction["result"])
    assert shown == [("BERT-а", "Model"), ("ImageNet", "Dataset"), ("YaLM", "Model"), ("Яндекс", "Organization")]


@pytest.mark.slow
def test_the_critic_reads_the_output(llm_server, tmp_path, run_ner):
    from pathlib import Path

    from ner.formats.jsonl import dump_jsonl
    from ner.formats.registry import load
    from ner.records import Document

    written = Path(__file__).resolve().parents[2] / "corpora" / "ml_ru_written.conll"
    docs = list(load(written))[:40]
    gold = tmp_path / "gold.jsonl"
    dump_jsonl([Document(d.id, d.sentences, d.path, d.meta) for d in docs], gold)
    assert run_ner("llm", "export", gold, "--out", tmp_path / "ft", "--test-share", "0")[0] == 0
    examples = read_jsonl(tmp_path / "ft" / "train.jsonl")
    llm_server.script({e["messages"][1]["content"]: [{"content": e["messages"][2]["content"]}] for e in examples})
    out = tmp_path / "llm.jsonl"
    assert run_ner("llm", "annotate", gold, "--endpoint", llm_server.url, "--model", "taught", "--out", out,
                   "--cache-dir", tmp_path / "c")[0] == 0
    code, stdout, err = run_ner("critic", out, "--folds", "2", "--epochs", "1", "--workers", "1", "--work",
                                tmp_path / "work", "--json", tmp_path / "suspects.jsonl")
    assert "error" not in err  # the exit code says whether suspects were found, which is not the point here
    assert f"file {out}: " in stdout and f"of {sum(len(d.sentences) for d in docs)} sentences" in stdout
