"""Several LLM annotators (``ner llm annotate`` against the local OpenAI-compatible server) and a lexicon
(``ner tag --lexicon``) merged by ``ner consensus``: their real outputs read, matched by content, scored."""

from __future__ import annotations

import json

from .conftest import answer, read_jsonl

TEXTS = ["Яндекс выложил YaLM 100B.", "Дообучили BERT-а на ImageNet.", "Сбер обучил GigaChat на своих данных."]
SAYS = {
    "gpt": {TEXTS[0]: answer(("Яндекс", "Organization"), ("YaLM 100B", "Model")),
            TEXTS[1]: answer(("BERT-а", "Model"), ("ImageNet", "Dataset")),
            TEXTS[2]: answer(("Сбер", "Organization"), ("GigaChat", "Model"))},
    "giga": {TEXTS[0]: answer(("Яндекс", "Organization"), ("YaLM", "Model")),
             TEXTS[1]: answer(("BERT-а", "Model"), ("ImageNet", "Dataset")),
             TEXTS[2]: answer(("Сбер", "Organization"), ("GigaChat", "Application"))},
    "yagpt": {TEXTS[0]: answer(("Яндекс", "Organization"), ("YaLM 100B", "Model")),
              TEXTS[1]: answer(("ImageNet", "Dataset")),
              TEXTS[2]: answer(("Сбер", "Organization"), ("GigaChat", "Model"))},
}


def test_llm_outputs_and_a_lexicon_merge(llm_server, tmp_path, run_ner):
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(reversed(TEXTS)) + "\n", encoding="utf-8")   # the lexicon sees another order
    files = []
    for name, said in SAYS.items():
        llm_server.script({t: [{"content": c}] for t, c in said.items()})
        inputs = tmp_path / f"in-{name}.txt"
        inputs.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
        out = tmp_path / f"{name}.jsonl"
        code, _, err = run_ner("llm", "annotate", inputs, "--endpoint", llm_server.url, "--model", name, "--out", out,
                               "--cache-dir", tmp_path / f"c-{name}")
        assert code == 0, err
        files.append(out)
    code, tagged, err = run_ner("tag", texts, "--lexicon")
    assert code == 0, err
    (tmp_path / "lexicon.jsonl").write_text(tagged, encoding="utf-8")
    merged, report = tmp_path / "merged.jsonl", tmp_path / "report.json"
    code, table, err = run_ner("consensus", *files, tmp_path / "lexicon.jsonl", "--out", merged, "--json", report)
    assert code == 0, err
    records = read_jsonl(merged)
    assert [r["text"] for r in records] == TEXTS                                      # the first file's order
    assert [sorted(r["annotators"]) for r in records] == [["giga", "gpt", "lexicon", "yagpt"]] * 3
    said = {(r["text"], s["text"], s["label"]) for r in records for s in r["spans"]}
    assert (TEXTS[0], "YaLM 100B", "Model") in said and (TEXTS[0], "YaLM", "Model") not in said   # 2 vs 1
    assert (TEXTS[2], "GigaChat", "Model") in said
    assert all(0 < s["score"] <= 1 for r in records for s in r["spans"])
    ranked = {a["name"]: a["rank"] for a in json.loads(report.read_text(encoding="utf-8"))["annotators"]}
    assert set(ranked) == {"gpt", "giga", "yagpt", "lexicon"} and ranked["gpt"] == 1   # gpt gave the merge
