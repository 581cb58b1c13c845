"""``ner convert``: chains of conversions end where they began; bad input is one line and no output."""

from __future__ import annotations

import pytest

from ner.cli import main
from ner.formats.conll import format_conll, read_conll
from ner.schema import load_schema

from .conftest import SEED


def fixed_seed(tmp_path, capsys) -> str:
    """The seed corpus as ``ner validate --fix`` writes it (sentence breaks inferred)."""
    main(["validate", str(SEED), "--fix", str(tmp_path / "fixed.conll")])
    capsys.readouterr()
    return (tmp_path / "fixed.conll").read_text(encoding="utf-8")


def test_chain_through_every_format(tmp_path, capsys):
    expected = fixed_seed(tmp_path, capsys)
    chain = [str(SEED), "a.jsonl", "b.csv", "c.spacy", "d_hf", "e.jsonl", "f.conll"]
    for source, target in zip(chain, chain[1:]):
        source = source if source == str(SEED) else str(tmp_path / source)
        assert main(["convert", source, str(tmp_path / target)]) == 0
        out = capsys.readouterr().out
        fmt = {"a.jsonl": "jsonl", "b.csv": "csv", "c.spacy": "spacy", "d_hf": "hf", "e.jsonl": "jsonl",
               "f.conll": "conll"}[target]
        assert out.startswith(f"wrote {tmp_path / target} ({fmt}): 1 document(s), 14 sentence(s)")
    assert (tmp_path / "f.conll").read_text(encoding="utf-8") == expected
    assert list(tmp_path.glob("*.partial")) == []


def test_hf_class_labels_follow_the_schema(tmp_path, capsys):
    import datasets

    assert main(["convert", str(SEED), str(tmp_path / "hf"), "--to", "hf"]) == 0
    names = datasets.load_from_disk(str(tmp_path / "hf")).features["ner_tags"].feature.names
    assert names == list(load_schema().tags)


@pytest.mark.slow
def test_factrueval_needs_its_labels(tmp_path, capsys, factrueval_dev):
    import datasets

    assert main(["convert", str(factrueval_dev), str(tmp_path / "dev.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "error E112: label 'Org' is not in the schema" in err
    assert err.splitlines()[-1].startswith("ner convert: 3952 error(s), 0 warning(s) [E112 x3952]; labels outside "
                                           "the schema: pass --labels auto")
    assert not (tmp_path / "dev.jsonl").exists()
    assert main(["convert", str(factrueval_dev), str(tmp_path / "dev_hf"), "--labels", "auto"]) == 0
    names = datasets.load_from_disk(str(tmp_path / "dev_hf")).features["ner_tags"].feature.names
    assert names == ["O"] + [f"{p}-{label}" for label in
                             ("LocOrg", "Location", "Org", "Person", "Project") for p in "BI"]
    assert main(["convert", str(tmp_path / "dev_hf"), str(tmp_path / "back.conll"), "--labels", "auto"]) == 0
    assert (tmp_path / "back.conll").read_text(encoding="utf-8") == "".join(format_conll(read_conll(factrueval_dev)))


def test_format_flags_override_suffixes(tmp_path, capsys):
    assert main(["convert", str(SEED), str(tmp_path / "records.txt"), "--to", "jsonl"]) == 0
    assert (tmp_path / "records.txt").read_text(encoding="utf-8").startswith('{"id": "ml_ru_seed:1"')
    assert main(["convert", str(tmp_path / "records.txt"), str(tmp_path / "back.conll"), "--from", "jsonl"]) == 0
    assert (tmp_path / "back.conll").read_text(encoding="utf-8") == fixed_seed(tmp_path, capsys)


def test_output_is_replaced(tmp_path, capsys):
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    assert main(["convert", str(SEED), str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("document,sentence,token,tag\n,ml_ru_seed:1,Пробуем,O\n")


@pytest.mark.parametrize("make, args, message", [
    (lambda d: (d / "bad.jsonl").write_text('{"text": "a"}\n{"text": \n', encoding="utf-8"),
     ["bad.jsonl", "out.conll"], "bad.jsonl:2: not valid JSON (Expecting value at column 10)"),
    (lambda d: (d / "a.conll").write_text("a O\n", encoding="utf-8"),
     ["a.conll", "out.xlsx"], "out.xlsx: cannot tell the format from the suffix '.xlsx'"),
    (lambda d: (d / "a.conll").write_text("a O\n", encoding="utf-8"),
     ["a.conll", "a.conll"], "OUT is the input"),
    (lambda d: ((d / "a.conll").write_text("a O\n", encoding="utf-8"), (d / "keep").mkdir(),
                (d / "keep" / "mine.txt").write_text("x")),
     ["a.conll", "keep"], "keep is a directory that holds no saved dataset"),
    (lambda d: (d / "x.spacy").write_bytes(b"not a docbin"),
     ["x.spacy", "out.conll"], "x.spacy: not a spaCy DocBin"),
    (lambda d: None, ["missing.jsonl", "out.conll"], "missing.jsonl: no such file or directory; check the path"),
])
def test_bad_input_is_one_line(make, args, message, tmp_path, capsys):
    make(tmp_path)
    assert main(["convert", *(str(tmp_path / a) for a in args)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("ner convert: error: ") and message in err
    assert not (tmp_path / "out.conll").exists()
    assert list(tmp_path.glob("*.partial")) == []
    if "keep" in args:
        assert (tmp_path / "keep" / "mine.txt").read_text() == "x"


def test_input_errors_write_nothing(tmp_path, capsys):
    (tmp_path / "a.conll").write_text("a B-Model\nb X-Model\n", encoding="utf-8")
    assert main(["convert", str(tmp_path / "a.conll"), str(tmp_path / "a.jsonl")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{tmp_path / 'a.conll'}:2: error E111: tag 'X-Model' has the wrong shape: prefix 'X' is " \
                     f"not one of B, I, E, S, L, U; write B-LABEL, I-LABEL or O"
    assert err[-1] == ("ner convert: 1 error(s), 0 warning(s) [E111 x1]; edit the lines named above as each says "
                       "(ner validate --fix repairs only what it can tell); nothing written")  # X-Model stays an error
    assert not (tmp_path / "a.jsonl").exists() and not (tmp_path / "a.jsonl.partial").exists()


@pytest.mark.parametrize("target", ["x.spacy", "x.jsonl"])
def test_an_ambiguous_inside_tag_is_answered_with_what_to_edit_not_with_validate_fix(tmp_path, capsys, target):
    """validate --fix declines to choose between B-Organization and the Model it follows: convert must not
    send the user there, but say which line to edit and how."""
    src = tmp_path / "amb.conll"
    src.write_text("Модель\tB-Model\nот\tI-Organization\nЯндекса\tO\n", encoding="utf-8")
    code = main(["convert", str(src), str(tmp_path / target)])
    err = capsys.readouterr().err
    assert code in (1, 2) and not (tmp_path / target).exists()
    assert f"{src}:2" in err and "B-Organization" in err and "by hand" in err
    assert "(ner validate --fix)" not in err and "run ner validate --fix first" not in err
