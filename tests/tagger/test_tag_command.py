"""ner tag: JSONL, CoNLL and HTML output, stdin, workers, errors."""

from __future__ import annotations

import io
import json

import pytest

from ner.cli import main

LINES = ["У ChatGPT есть датасет Alpaca.", "", "😀GitHub Copilot и Amazon CodeWhisperer.", "  ", "Обучение <b>&</b>."]


@pytest.fixture
def input_file(tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes("\r\n".join(LINES).encode("utf-8") + b"\r\n")
    return path


def _records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_jsonl(input_file, model_dir, tagger, capsys):
    assert main(["tag", "--model", str(model_dir), str(input_file), "--no-progress"]) == 0
    captured = capsys.readouterr()
    records = _records(captured.out)
    assert [r["line"] for r in records] == [1, 3, 5]
    expected = tagger.tag_many([LINES[0], LINES[2], LINES[4]])  # one batch, as the command sends them
    for record, entities in zip(records, expected):
        text = record["text"]
        assert "\r" not in text and text == LINES[record["line"] - 1]
        assert record["entities"] == [e.as_dict() for e in entities]
        assert all(text[e["start"]:e["end"]] == e["text"] for e in record["entities"])
    assert ("ChatGPT", 2, 9) in [(e["text"], e["start"], e["end"]) for e in records[0]["entities"]]
    assert "3 text(s) tagged" in captured.err


def test_stdin_and_conll(monkeypatch, model_dir, capsys):
    data = "\ufeffУ ChatGPT есть датасет Alpaca. Обучение завершилось.\n".encode("utf-8")  # with a BOM
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    assert main(["tag", "--model", str(model_dir), "--format", "conll", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("У\tO\nChatGPT\tB-Model\nесть\tO\n")
    assert out.count("\n\n") == 2  # two sentences, a blank line after each


def test_html_escapes_and_colours(input_file, model_dir, tmp_path, capsys):
    out = tmp_path / "page.html"
    assert main(["tag", "--model", str(model_dir), str(input_file), "--format", "html", "-o", str(out),
                 "--no-progress"]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</body></html>\n")
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in page and "<b>" not in page
    assert 'border:1px solid #e6194b" title="Model' in page  # Model's colour in annotation/labels.toml
    assert page.count('<div class="text">') == 3


@pytest.mark.slow
def test_workers_give_the_same_output_in_order(tmp_path, model_dir, capsys):
    path = tmp_path / "many.txt"
    texts = [f"{i}. У ChatGPT есть датасет Alpaca." for i in range(600)]
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert main(["tag", "--model", str(model_dir), str(path), "--no-progress"]) == 0
    one = capsys.readouterr().out
    assert main(["tag", "--model", str(model_dir), str(path), "--workers", "2", "--no-progress"]) == 0
    two = capsys.readouterr().out
    assert [r["line"] for r in _records(two)] == list(range(1, 601))
    assert _records(two) == _records(one)


def test_errors_are_one_line(tmp_path, model_dir, capsys):
    assert main(["tag", "--model", str(tmp_path)]) == 2  # reads stdin: the model is checked first
    assert "not a model directory" in capsys.readouterr().err
    assert main(["tag", "--model", str(model_dir), str(tmp_path / "missing.txt"), "--no-progress"]) == 2
    assert capsys.readouterr().err == (f"ner tag: error: {tmp_path / 'missing.txt'}: no such file or directory; "
                                       f"check the path\n")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("ok\nМодель".encode("cp1251"))
    assert main(["tag", "--model", str(model_dir), str(bad), "--no-progress"]) == 2
    assert "latin1.txt:2: not UTF-8" in capsys.readouterr().err


def test_html_colours_come_from_colors_and_labels_is_not_a_tag_flag(input_file, model_dir, tmp_path, capsys):
    schema = tmp_path / "mine.toml"
    schema.write_text('[[labels]]\nname = "Model"\ncolor = "#123456"\n', encoding="utf-8")
    out = tmp_path / "page.html"
    assert main(["tag", "--model", str(model_dir), str(input_file), "--format", "html", "-o", str(out),
                 "--colors", str(schema), "--no-progress"]) == 0
    assert 'border:1px solid #123456" title="Model' in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["tag", "--model", str(model_dir), str(input_file), "--labels", str(schema)]) == 2
    assert capsys.readouterr().err.startswith("ner tag: error: unrecognized argument: --labels ")


def test_input_that_is_not_text_a_line_at_a_time_is_refused_in_bounded_memory():
    """/dev/zero piped into ner tag grew to 7.8 GB: NUL bytes and over-long lines are one error naming the line."""
    import io

    from ner.tagger.engines import read_lines
    from ner.errors import UserError

    with pytest.raises(UserError, match=r"^stdin:2: binary data \(NUL bytes\)"):
        list(read_lines(io.BytesIO(b"text\n\0\0\0"), "stdin"))
    long = io.BytesIO(b"ok\n" + b"a" * 100)
    with pytest.raises(UserError, match=r"^in.txt:2: a line longer than"):
        list(read_lines(long, "in.txt", max_line=64))
    assert list(read_lines(io.BytesIO(b"\xef\xbb\xbfone\r\n\n" + b"b" * 64 + b"\n"), "in.txt", max_line=65)) == [
        (1, "one"), (3, "b" * 64)]


def test_the_summary_names_the_lexicon_when_no_model_tagged(tmp_path, capsys):
    from ner.cli import main

    text = tmp_path / "in.txt"
    text.write_text("OpenAI выпустила GPT-4\n", encoding="utf-8")
    assert main(["tag", str(text), "--lexicon"]) == 0
    assert capsys.readouterr().err.endswith("ner tag: 1 text(s) tagged with the lexicon (annotation/lexicons)\n")


def test_model_and_lexicon_together_is_a_usage_error(tmp_path, capsys):
    """'ner tag --model DIR --lexicon' tagged with the lists alone and never said DIR was ignored."""
    from ner.cli import main

    text = tmp_path / "in.txt"
    text.write_text("OpenAI выпустила GPT-4\n", encoding="utf-8")
    assert main(["tag", str(text), "--model", str(tmp_path / "m"), "--lexicon"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--model" in err and "--lexicon" in err and "pass one of them" in err


def test_a_wrong_model_directory_names_no_flag_the_command_lacks(tmp_path, capsys):
    """ner distill --teacher DIR and ner evaluate DIR were told to 'pass the right --model'."""
    from ner.cli import main

    (tmp_path / "x.txt").write_text("Яндекс выпустил YaLM\n", encoding="utf-8")
    from tests.conftest import SEED

    assert main(["distill", "--teacher", str(tmp_path), "--texts", str(tmp_path / "x.txt"), "--train",
                 str(SEED), "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "not a model directory (no ner_model.json)" in err and "--model" not in err


def test_tag_output_is_a_corpus_every_command_reads(input_file, model_dir, tmp_path, capsys):
    """``ner tag`` JSONL read back by the corpus reader: the same spans, on the toolkit's tokens."""
    from ner.formats.registry import load

    tagged = tmp_path / "tagged.jsonl"
    assert main(["tag", "--model", str(model_dir), str(input_file), "-o", str(tagged), "--no-progress"]) == 0
    records = _records(tagged.read_text(encoding="utf-8"))
    assert sum(len(r["entities"]) for r in records) >= 3
    sentences = [s for doc in load(tagged) for s in doc.sentences]
    assert [s.text for s in sentences] == [r["text"] for r in records]
    assert [[(sp.start, sp.end, sp.label, sp.text) for sp in s.spans] for s in sentences] == [
        [(e["start"], e["end"], e["label"], e["text"]) for e in r["entities"]] for r in records]
    capsys.readouterr()
    conll = tmp_path / "tagged.conll"
    assert main(["convert", str(tagged), str(conll)]) == 0                # a corpus command reads it
    assert "ChatGPT\tB-Model" in conll.read_text(encoding="utf-8")
    assert main(["validate", str(tagged)]) == 0
