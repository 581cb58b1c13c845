"""``ner distill --silver MERGED``: a student learns from a scored corpus (the consensus merge), each span's score
its words' target probability."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ner.errors import UserError
from ner.train.silver import load_scored
from tests.train.test_distill import KEEP, config, data  # noqa: F401 (the fixture)


def record(words, spans, score=1.0):
    from ner.records import join_words

    text, offsets = join_words(words)
    return {"text": text, "tokens": list(words),
            "spans": [{"start": offsets[i][0], "end": offsets[j - 1][1], "label": label,
                       "text": text[offsets[i][0]:offsets[j - 1][1]], "score": s} for i, j, label, s in spans],
            "score": score}


def test_span_scores_become_the_words_target_probabilities(tmp_path):
    path = tmp_path / "merged.jsonl"
    rows = [record(["Модель", "GPT", "-", "4", "от", "OpenAI"], [(1, 4, "Model", 0.8), (5, 6, "Organization", 0.3)]),
            record(["Пусто"], []), {"text": "", "spans": []}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    sentences, tags = load_scored(path)
    assert tags == ("O", "B-Model", "I-Model", "B-Organization", "I-Organization")
    assert len(sentences) == 2
    expected = np.array([[1, 0, 0, 0, 0], [0.2, 0.8, 0, 0, 0], [0.2, 0, 0.8, 0, 0], [0.2, 0, 0.8, 0, 0],
                         [1, 0, 0, 0, 0], [0.7, 0, 0, 0.3, 0]])
    assert sentences[0].probs == pytest.approx(expected)
    assert sentences[1].probs.tolist() == [[1, 0, 0, 0, 0]]


def test_a_span_without_a_usable_score_is_refused_with_its_line(tmp_path):
    path = tmp_path / "merged.jsonl"
    bad = record(["Модель", "BERT"], [(1, 2, "Model", 1.7)])
    path.write_text(json.dumps(record(["Да"], [])) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    with pytest.raises(UserError, match=r"merged.jsonl:2: span 7:11 \(Model\) has score 1.7; a score is a number from 0 to 1"):
        load_scored(path)


def test_the_command_trains_a_student_from_a_merge(data, tmp_path, capsys):  # noqa: F811
    from ner.cli import main
    from ner.formats.conll import read_conll

    merged = tmp_path / "merged.jsonl"
    sentences = [s for doc in read_conll(data["teach"]) for s in doc.sentences][100:160]
    keep = set(KEEP.split(","))
    rows = []
    for s in sentences:
        from ner.bio import tags_spans

        spans = [(i, j, label, 0.9) for i, j, label in tags_spans(s.tags) if label in keep]
        rows.append(record(s.words, spans, 0.9))
    merged.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "student"
    assert main(["distill", "--silver", str(merged), "--train", data["gold"], "--dev", data["dev"], "--keep", KEEP,
                 "--out", str(out), "--epochs", "1", "--hidden", "16"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    info = json.loads((out / "distill.json").read_text())
    assert info["silver_sentences"] == 60 and info["gold_sentences"] == 40 and info["silver"] == str(merged)
    assert "scored silver corpus" in (out / "README.md").read_text(encoding="utf-8")
    assert main(["distill", "--train", data["gold"], "--out", str(out)]) == 2
    assert "give --teacher DIR --texts FILE" in capsys.readouterr().err
