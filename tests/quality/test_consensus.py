"""``ner consensus``: versions matched by content across formats, the merged corpus and report, the CLI."""

from __future__ import annotations

import json

import pytest

from ner.cli import main
from ner.errors import UserError
from ner.quality.consensus import consensus
from ner.quality.consensus.versions import align, load_versions

A = ("Иван\tB-PER\nжил\tO\nв\tO\nМоскве\tB-LOC\n\n"
     "Анна\tB-PER\nспит\tO\n\n"
     "ООО\tB-ORG\n«\tI-ORG\nРомашка\tI-ORG\n»\tI-ORG\nзакрылось\tO\n\n")


def conll(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_texts_out_of_order_in_other_formats_match_by_content(tmp_path):
    a = conll(tmp_path / "a.conll", A)
    # ner tag output: one text per line, entities with offsets, razdel's tokens («Ромашка» splits alike)
    tagged = jsonl(tmp_path / "tagger.jsonl", [
        {"line": 1, "text": "ООО «Ромашка» закрылось", "score": 0.8,
         "entities": [{"start": 0, "end": 13, "label": "ORG", "text": "ООО «Ромашка»", "score": 0.8}]},
        {"line": 2, "text": "Анна спит", "score": 0.9, "entities": []},
        {"line": 3, "text": "Иван жил в Москве", "score": 0.9,
         "entities": [{"start": 0, "end": 4, "label": "PER", "text": "Иван", "score": 0.9}]}])
    # ner llm annotate output: text, tokens, tags, spans, annotator, unplaced
    llm = jsonl(tmp_path / "llm.jsonl", [
        {"text": "Анна спит", "tokens": ["Анна", "спит"], "tags": ["B-PER", "O"],
         "spans": [{"start": 0, "end": 4, "label": "PER", "text": "Анна"}], "annotator": "gpt", "unplaced": []},
        {"text": "Иван жил в Москве", "tokens": ["Иван", "жил", "в", "Москве"], "tags": ["B-PER", "O", "O", "B-ORG"],
         "spans": [{"start": 0, "end": 4, "label": "PER", "text": "Иван"},
                   {"start": 11, "end": 17, "label": "ORG", "text": "Москве"}],
         "annotator": "gpt", "unplaced": [{"label": "LOC", "text": "Питер"}]},
        {"text": "ООО «Ромашка» закрылось", "tokens": ["ООО", "«", "Ромашка", "»", "закрылось"],
         "tags": ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "O"], "spans": [{"start": 0, "end": 13, "label": "ORG",
                                                                   "text": "ООО «Ромашка»"}],
         "annotator": "gpt", "unplaced": []}])
    out = consensus([a, tagged, llm])
    assert [t.sentence.words[0] for t in out.texts] == ["Иван", "Анна", "ООО"]     # the first file's order
    assert [sorted(t.tags) for t in out.texts] == [["a", "llm", "tagger"]] * 3
    assert out.texts[0].tags["tagger"] == ("B-PER", "O", "O", "O")
    assert out.texts[0].tags["llm"] == ("B-PER", "O", "O", "B-ORG")
    assert out.texts[2].tags["tagger"] == ("B-ORG", "I-ORG", "I-ORG", "I-ORG", "O")
    assert out.notes == []


def test_a_text_one_annotator_lacks_is_noted_and_counts_as_absent(tmp_path):
    a = conll(tmp_path / "a.conll", A)
    b = conll(tmp_path / "b.conll", "Анна\tB-PER\nспит\tO\n\nНовая\tO\nфраза\tO\n\n")
    out = consensus([a, b])
    assert [" ".join(t.sentence.words) for t in out.texts] == [
        "Иван жил в Москве", "Анна спит", "ООО « Ромашка » закрылось", "Новая фраза"]
    notes = [str(n) for n in out.notes]
    assert f"{a}:1: b lacks this text ('Иван жил в Москве'); counted as absent there (no vote)" in notes
    assert f"{b}:4: a lacks this text ('Новая фраза'); counted as absent there (no vote)" in notes
    first_text = [c for c, (t, _, _) in enumerate(out.result.candidates.spans) if t == 0]
    assert set(out.result.candidates.responses[first_text, 1]) == {-1}             # b gives no response on text 1


def test_a_text_with_other_words_is_noted_with_both_places_and_left_out(tmp_path):
    a = conll(tmp_path / "a.conll", A)
    b = conll(tmp_path / "b.conll", "Иван\tB-PER\nжил\tO\nв\tO\nМоскве\tB-LOC\n\nАнна\tB-PER\nспала\tO\n\n"
                                    "ООО\tB-ORG\n«\tI-ORG\nРомашка\tI-ORG\n»\tI-ORG\nзакрылось\tO\n\n")
    out = consensus([a, b])
    assert len(out.texts) == 3
    notes = [str(n) for n in out.notes]
    assert any(n.startswith(f"{b}:7: the text of {a}:6 with other words (word 2: 'спала' where the other has "
                            f"'спит')") for n in notes), notes
    assert "b" not in out.texts[1].tags


def test_the_same_characters_in_other_words_move_onto_the_first_versions_words(tmp_path):
    a = conll(tmp_path / "a.conll", "Нью-Йорк\tB-LOC\nи\tO\nАнна\tB-PER\n\n")
    b = conll(tmp_path / "b.conll", "Нью\tB-LOC\n-\tI-LOC\nЙорк\tI-LOC\nи\tO\nАн\tB-PER\nна\tO\n\n")
    texts, notes = align({"a": load_versions(a, "a"), "b": load_versions(b, "b")})
    assert texts[0].tags["b"] == ("B-LOC", "O", "B-PER")
    assert [str(n) for n in notes] == [f"{b}:5: PER 'Ан' does not start and end on the first version's words; "
                                       f"widened to 'Анна'"]


def test_repeated_texts_match_copy_by_copy(tmp_path):
    a = conll(tmp_path / "a.conll", "Да\tO\n\nАнна\tB-PER\n\nДа\tB-ORG\n\n")
    b = conll(tmp_path / "b.conll", "Анна\tB-PER\n\nДа\tO\n\nДа\tO\n\n")
    out = consensus([a, b])
    assert [(t.key, t.copy) for t in out.texts] == [("Да", 0), ("Анна", 0), ("Да", 1)]
    assert out.texts[2].tags == {"a": ("B-ORG",), "b": ("O",)}


def test_gold_anchors_the_merge_and_gives_true_figures(tmp_path):
    a = conll(tmp_path / "a.conll", A)
    b = conll(tmp_path / "b.conll", A.replace("Москве\tB-LOC", "Москве\tB-ORG").replace("Анна\tB-PER", "Анна\tO"))
    gold = conll(tmp_path / "gold.conll", "Анна\tB-PER\nспит\tO\n\n")
    out = consensus([a, b], gold=gold)
    assert out.result.anchored == {1}
    assert out.result.spans[1] == [(0, 1, "PER", 1.0)]
    true = out.truth
    assert true["a"]["PER"].tp == 1 and true["b"]["PER"].tp == 0 and true["b"]["PER"].gold == 1
    assert out.notes == [] and out.info == (f"{gold}: 2 of 3 texts have no gold sentence; the true figures count "
                                            f"the other 1",)
    stale = consensus([a, b], reviewed={("Прошлогодний текст", 0): ("O", "O")})
    assert [str(n) for n in stale.notes] == ["review: a reviewed sentence ('Прошлогодний текст') is in none of the "
                                             "files (with the same words); its answer is not used"]
    free = consensus([a, b], gold=gold, anchor=False)
    assert free.result.anchored == frozenset() and free.truth["merge"]["PER"].gold == 1


def test_cli_writes_the_merge_with_scores_and_the_report(tmp_path, capsys):
    a = conll(tmp_path / "a.conll", A)
    b = conll(tmp_path / "b.conll", A.replace("Москве\tB-LOC", "Москве\tB-ORG"))
    c = conll(tmp_path / "c.conll", A)
    merged, report = tmp_path / "m.jsonl", tmp_path / "r.json"
    assert main(["consensus", a, b, c, "--out", str(merged), "--json", str(report), "--gold", a]) == 0
    table = capsys.readouterr().out
    assert "rank  annotator" in table and "majority vote" in table and "merge (ours)" in table
    assert "majority vote differs from the merge in 0 of 3 texts" in table
    records = [json.loads(line) for line in merged.read_text(encoding="utf-8").splitlines()]
    assert [r["tags"] for r in records][0] == ["B-PER", "O", "O", "B-LOC"]
    assert all(0 <= s["score"] <= 1 for r in records for s in r["spans"]) and all("score" in r for r in records)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert [x["name"] for x in data["annotators"]] == ["a", "b", "c"]
    assert {"file", "precision", "recall", "f1", "labels", "rank", "true"} <= set(data["annotators"][0])
    assert data["annotators"][1]["true"]["labels"]["LOC"]["recall"] == 0.0
    assert main(["validate", str(merged), "--labels", "auto"]) == 0                # the merge reads as a corpus
    assert main(["consensus", a, b, "--out", str(tmp_path / "m.conll")]) == 0
    assert (tmp_path / "m.conll").read_text(encoding="utf-8").startswith("Иван\tB-PER\n")


@pytest.mark.parametrize("args, message", [
    (["{a}", "--out", "{tmp}/m.jsonl"], "give two or more annotators' files"),
    (["{a}", "{a}", "--out", "{tmp}/m.jsonl"], "is given twice"),
    (["{a}", "{tmp}/none.conll", "--out", "{tmp}/m.jsonl"], "none.conll: no such file"),
    (["{a}", "{a}", "--names", "x,y", "--out", "{tmp}/m.xyz"], "cannot tell the format"),
    (["{a}", "{a}", "--names", "x", "--out", "{tmp}/m.jsonl"], "--names x: give one name per file"),
    (["{a}", "{a}", "--names", "x,y", "--out", "{tmp}/m.jsonl", "--push-review"], "--push-review needs --project"),
])
def test_cli_usage_mistakes_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    a = conll(tmp_path / "a.conll", A)
    assert main(["consensus", *(x.format(a=a, tmp=tmp_path) for x in args)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_exit_1_when_texts_do_not_match(tmp_path, capsys):
    a = conll(tmp_path / "a.conll", A)
    b = conll(tmp_path / "b.conll", "Анна\tB-PER\nспит\tO\n\n")
    assert main(["consensus", a, b, "--out", str(tmp_path / "m.jsonl")]) == 1
    assert "b lacks this text" in capsys.readouterr().err


def test_a_corpus_error_names_the_file_and_line(tmp_path):
    a = conll(tmp_path / "a.conll", A)
    bad = conll(tmp_path / "bad.conll", "Анна\tX-PER\n\n")
    with pytest.raises(UserError, match=r"bad.conll:1"):
        consensus([a, bad])


def test_labels_that_differ_only_in_case_are_refused_not_split(tmp_path):
    from ner.errors import UserError

    a = conll(tmp_path / "a.conll", "Сбер\tB-Organization\nрастёт\tO\n\n")
    b = conll(tmp_path / "b.conll", "Сбер\tB-organization\nрастёт\tO\n\n")
    with pytest.raises(UserError, match=r"labels 'Organization' and 'organization' differ only in case "
                                        r"\('organization' in b\).*--map organization=Organization"):
        consensus([a, b])
