"""``ner llm export``: chat fine-tuning data in the shape annotate sends, checks, and the round trip
through a model that answers exactly as it was taught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ner.formats.registry import load

from .conftest import read_jsonl

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = ROOT / "corpora" / "ml_ru_written.conll"


def small_corpus(path: Path, n_docs: int, per_doc: int = 1) -> Path:
    docs = []
    for d in range(n_docs):
        sentences = [f"Модель\tO\nBERT{d}x{k}\tB-Model\nот\tO\nЯндекса\tB-Organization\n.\tO\n" for k in range(per_doc)]
        docs.append("-DOCSTART-\tO\n\n" + "\n".join(sentences))
    path.write_text("\n".join(docs), encoding="utf-8")
    return path


def test_export_writes_the_messages_annotate_sends_split_by_document(tmp_path, run_ner):
    code, out, err = run_ner("llm", "export", WRITTEN, "--out", tmp_path / "ft", "--test-share", "0.2",
                             "--price-training", "3", "--epochs", "2")
    assert code == 0, err
    train, test = read_jsonl(tmp_path / "ft" / "train.jsonl"), read_jsonl(tmp_path / "ft" / "test.jsonl")
    docs = list(load(WRITTEN))
    sentences = [s for d in docs for s in d.sentences if len(s)]
    assert len(train) + len(test) == len(sentences)
    report = json.loads((tmp_path / "ft" / "report.json").read_text(encoding="utf-8"))
    assert report["split_by"] == "document" and report["documents"]["test"] == round(len(docs) * 0.2)
    assert report["examples"] == {"train": len(train), "test": len(test)}
    assert report["training_cost"] == round(report["tokens"]["train"] * 2 * 3 / 1e6, 6)
    assert report["token_count"].startswith("estimate")
    assert sum(report["labels"].values()) == sum(len(s.spans) for s in sentences)
    by_text = {s.text: s for s in sentences}
    for example in train[:50]:
        system, user, assistant = example["messages"]
        assert [m["role"] for m in example["messages"]] == ["system", "user", "assistant"]
        gold = by_text[user["content"]]
        assert json.loads(assistant["content"]) == {"entities": [{"text": s.text, "label": s.label}
                                                                 for s in gold.spans]}
    assert f"{len(train)} train / {len(test)} test examples" in out
    # the same seed gives the same split; a document's sentences never straddle it
    run_ner("llm", "export", WRITTEN, "--out", tmp_path / "again", "--test-share", "0.2")
    assert (tmp_path / "again" / "test.jsonl").read_text() == (tmp_path / "ft" / "test.jsonl").read_text()


def test_too_few_examples_is_an_error_and_under_fifty_a_warning(tmp_path, run_ner):
    code, _, err = run_ner("llm", "export", small_corpus(tmp_path / "nine.conll", 9), "--out", tmp_path / "a")
    assert code == 2 and "9 example(s): fine-tuning needs at least 10" in err
    code, _, err = run_ner("llm", "export", small_corpus(tmp_path / "twelve.conll", 12), "--out", tmp_path / "b")
    assert code == 0 and "warning: 12 examples: OpenAI's guide suggests starting with about 50" in err


def test_examples_over_the_token_limit_are_listed(tmp_path, run_ner):
    code, _, err = run_ner("llm", "export", small_corpus(tmp_path / "c.conll", 12), "--out", tmp_path / "o",
                           "--max-tokens", "10")
    assert code == 1 and err.count("over --max-tokens 10") == 12 and f"{tmp_path / 'c.conll'}:3: " in err


@pytest.mark.slow
def test_a_model_answering_as_taught_gives_back_the_corpus_spans(llm_server, tmp_path, run_ner):
    """Round trip: export, a server that answers each exported request with its exported answer, annotate."""
    code, _, err = run_ner("llm", "export", WRITTEN, "--out", tmp_path / "ft", "--test-share", "0")
    assert code == 0, err
    examples = read_jsonl(tmp_path / "ft" / "train.jsonl")
    llm_server.script({e["messages"][1]["content"]: [{"content": e["messages"][2]["content"]}] for e in examples})
    code, _, err = run_ner("llm", "annotate", WRITTEN, "--endpoint", llm_server.url, "--model", "taught",
                           "--out", tmp_path / "llm.jsonl", "--cache-dir", tmp_path / "c", "--concurrency", "4")
    assert code == 0, err
    requests = {r["text"]: r["messages"] for r in llm_server.log()}
    assert all(requests[e["messages"][1]["content"]] == e["messages"][:2] for e in examples)  # exactly as taught
    gold = [s for d in load(WRITTEN) for s in d.sentences if len(s)]
    got = [s for d in load(tmp_path / "llm.jsonl") for s in d.sentences]
    assert [s.words for s in got] == [s.words for s in gold]
    differ = {g.line for g, s in zip(gold, got) if g.spans != s.spans}
    # the only sentences that do not come back are those export listed: a mention untagged earlier in the text
    ambiguous = json.loads((tmp_path / "ft" / "report.json").read_text(encoding="utf-8"))["ambiguous"]
    assert differ == {a["line"] for a in ambiguous} and len(differ) <= 5 and len(gold) > 3000
    code, out, _ = run_ner("agreement", WRITTEN, tmp_path / "llm.jsonl")
    assert code == 0 and "strict 0.999" in out


def test_a_short_prompt_export_is_called_with_the_same_short_prompt(llm_server, tmp_path, run_ner):
    corpus = small_corpus(tmp_path / "c.conll", 6, per_doc=2)
    code, _, err = run_ner("llm", "export", corpus, "--out", tmp_path / "ft", "--test-share", "0", "--short-prompt")
    assert code == 0, err
    examples = read_jsonl(tmp_path / "ft" / "train.jsonl")
    assert len(examples[0]["messages"][0]["content"]) < 200  # the full prompt: about 4,600 characters
    llm_server.script({e["messages"][1]["content"]: [{"content": e["messages"][2]["content"]}] for e in examples})
    code, _, err = run_ner("llm", "annotate", corpus, "--endpoint", llm_server.url, "--model", "ft", "--out",
                           tmp_path / "o.jsonl", "--cache-dir", tmp_path / "cache", "--short-prompt")
    assert code == 0, err
    sent = {r["text"]: r["messages"] for r in llm_server.log()}
    assert [sent[e["messages"][1]["content"]] for e in examples] == [e["messages"][:2] for e in examples]
    gold = [s.spans for d in load(corpus) for s in d.sentences]
    assert [s.spans for d in load(tmp_path / "o.jsonl") for s in d.sentences] == gold and len(gold) == 12


def test_the_held_out_split_is_written_as_a_corpus_to_annotate_and_score_against(tmp_path, run_ner):
    corpus = small_corpus(tmp_path / "c.conll", 10, per_doc=2)
    assert run_ner("llm", "export", corpus, "--out", tmp_path / "ft", "--test-share", "0.2")[0] == 0
    held_out = [s for d in load(tmp_path / "ft" / "test.gold.jsonl") for s in d.sentences]
    test = read_jsonl(tmp_path / "ft" / "test.jsonl")
    assert [s.text for s in held_out] == [e["messages"][1]["content"] for e in test] and len(held_out) == 4
    by_text = {s.text: s.spans for d in load(corpus) for s in d.sentences}
    assert all(s.spans == by_text[s.text] for s in held_out)
    assert len(list(load(tmp_path / "ft" / "test.gold.jsonl"))) == 2  # two whole documents of ten


def test_tokens_are_counted_with_a_local_tokenizer_when_given(tmp_path, run_ner):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    # a tokenizer that makes one token of every character: the count is checkable by hand
    alphabet = sorted(set((ROOT / "annotation" / "guidelines.md").read_text(encoding="utf-8")
                          + (ROOT / "annotation" / "labels.toml").read_text(encoding="utf-8")
                          + "МодельBERTотЯндекса.0123456789x{}[]\":,_ "))
    tok = Tokenizer(models.WordLevel({c: i for i, c in enumerate(["[UNK]", *alphabet])}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(tmp_path / "tok")
    corpus = small_corpus(tmp_path / "c.conll", 12)
    code, out, err = run_ner("llm", "export", corpus, "--out", tmp_path / "ft", "--tokenizer", tmp_path / "tok",
                             "--test-share", "0", "--max-tokens", "100000")
    assert code == 0, err
    report = json.loads((tmp_path / "ft" / "report.json").read_text(encoding="utf-8"))
    chars = sum(len(m["content"]) + 4 for e in read_jsonl(tmp_path / "ft" / "train.jsonl") for m in e["messages"])
    assert report["token_count"] == f"tokenizer {tmp_path / 'tok'}" and report["tokens"]["train"] == chars
    code, _, err = run_ner("llm", "export", corpus, "--out", tmp_path / "x", "--tokenizer", tmp_path / "none")
    assert code == 2 and "--tokenizer" in err and "cannot load a tokenizer" in err


def test_labels_auto_is_refused_for_an_llm(tmp_path, run_ner):
    code, _, err = run_ner("llm", "export", small_corpus(tmp_path / "c.conll", 12), "--out", tmp_path / "o",
                           "--labels", "auto")
    assert code == 2 and "--labels auto: the LLM is asked for a fixed label set" in err


def test_export_without_a_training_price_says_so_instead_of_costing_zero(tmp_path, run_ner):
    corpus = small_corpus(tmp_path / "c.conll", 12)
    code, out, _ = run_ner("llm", "export", corpus, "--out", tmp_path / "a")
    assert code == 0 and "training cost for 3 epoch(s): – (no training price" in out and "0.0000" not in out
    assert "--short-prompt teaches" in out
    code, out, _ = run_ner("llm", "export", corpus, "--out", tmp_path / "b", "--price-training", "3",
                           "--short-prompt")
    assert code == 0 and "training cost for 3 epoch(s): 0.0" in out and "--short-prompt teaches" not in out
