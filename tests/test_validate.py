"""`ner validate`: output lines, exit codes, --fix, no traceback on any input; factRuEval at scale."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ner.check import Report
from ner.cli import main
from ner.formats.conll import iter_sentences, parse_conll_string, read_conll, write_conll
from ner.schema import load_schema

from .conftest import ROOT, SEED


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_file_exits_0(capsys, tmp_path):
    path = tmp_path / "ok.conll"
    path.write_text("GPT\tB-Model\n-\tI-Model\n4\tI-Model\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 0
    assert out == "1 file(s): 0 error(s), 0 warning(s)\n"


def test_errors_exit_1_with_one_line_each(capsys, tmp_path):
    path = tmp_path / "bad.conll"
    path.write_text("GPT\tB-Model\nи\tO\nBERT\tI-Model\nLoRA\tB-Metod_ML\nслово\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{path}:3: error E113: I-Model after O (expected B-Model); --fix turns it into B-Model"
    assert lines[1].startswith(f"{path}:4: error E112: label 'Metod_ML' is not in the schema")
    assert "did you mean 'Method_ML'?" in lines[1]
    assert lines[2].startswith(f"{path}:5: error E110: token 'слово' has no tag")
    assert lines[3] == ("1 file(s): 3 error(s), 0 warning(s) [E110 x1, E112 x1, E113 x1]; "
                        "1 of the errors --fix can repair")


def test_fix_writes_repairs_and_lists_each_change(capsys, tmp_path):
    src = tmp_path / "in.conll"
    src.write_text("GPT\tB_Model\nи\tO\nBERT\tI-Model\n", encoding="utf-8")
    out_path = tmp_path / "out.conll"
    code, out, _ = run(capsys, "validate", str(src), "--fix", str(out_path))
    assert code == 0
    assert f"fixed {src}:1: 'B_Model' -> 'B-Model' (tag shape)" in out
    assert f"fixed {src}:3: 'I-Model' -> 'B-Model' (I- opens entity)" in out
    assert out_path.read_text(encoding="utf-8") == "GPT\tB-Model\nи\tO\nBERT\tB-Model\n\n"
    code, out, _ = run(capsys, "validate", str(out_path))
    assert code == 0


def test_fix_keeps_unrepairable_errors_and_exits_1(capsys, tmp_path):
    src = tmp_path / "in.conll"
    src.write_text("GPT\tX-Model\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(src), "--fix", str(tmp_path / "o.conll"))
    assert code == 1
    assert (tmp_path / "o.conll").read_text(encoding="utf-8") == "GPT\tX-Model\n\n"


def test_fix_refuses_to_overwrite_its_input(capsys, tmp_path):
    src = tmp_path / "in.conll"
    src.write_text("GPT\tB-Model\n", encoding="utf-8")
    code, _, err = run(capsys, "validate", str(src), "--fix", str(src))
    assert code == 2 and "would overwrite" in err


def test_fix_of_several_files_goes_to_a_directory(capsys, tmp_path):
    a, b = tmp_path / "a.conll", tmp_path / "b.conll"
    a.write_text("x\tO\n", encoding="utf-8")
    b.write_text("y\tB-Date\n", encoding="utf-8")
    code, _, _ = run(capsys, "validate", str(a), str(b), "--fix", str(tmp_path / "fixed") + "/")
    assert code == 0
    assert (tmp_path / "fixed" / "b.conll").read_text(encoding="utf-8") == "y\tB-Date\n\n"


def test_validate_files_returns_the_report_the_command_prints(tmp_path):
    """The workflow is a library function: issues and repairs per file, the summary, no printing."""
    from ner.schema import load_schema
    from ner.errors import UserError
    from ner.validate import validate_files

    a, b = tmp_path / "a.conll", tmp_path / "b.conll"
    a.write_text("GPT\tB_Model\nи\tO\n", encoding="utf-8")
    b.write_text("BERT\tX-Model\n", encoding="utf-8")
    result = validate_files([a, b], schema=load_schema(), fix=str(tmp_path / "fixed") + "/")
    assert [f.path for f in result.files] == [str(a), str(b)]
    assert [f.target for f in result.files] == [tmp_path / "fixed" / "a.conll", tmp_path / "fixed" / "b.conll"]
    assert [str(c) for c in result.files[0].report.changes] == [f"{a}:1: 'B_Model' -> 'B-Model' (tag shape)"]
    assert [i.code for i in result.files[1].report.errors] == ["E111"] and result.files[0].sentences == 1
    assert (result.fixable, result.remaining) == (1, 1)
    assert result.summary() == "2 file(s): 2 error(s), 0 warning(s) [E111 x2]; 1 error(s) repaired by --fix"
    with pytest.raises(UserError, match="would overwrite"):
        validate_files([a], fix=str(a))


def test_missing_schema_file_is_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "validate", str(SEED), "--labels", str(tmp_path / "nope.toml"))
    assert code == 2
    assert err.startswith("ner validate: error: ") and "nope.toml" in err and "Traceback" not in err


def test_cli_subprocess_binary_file_no_traceback(tmp_path, capsys):
    path = tmp_path / "model.conll"
    path.write_bytes(bytes(range(256)) * 4)
    proc = subprocess.run([sys.executable, "-m", "ner", "validate", str(path)], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert "error E101: binary file" in proc.stdout
    assert "Traceback" not in proc.stderr
    unknown = path.rename(tmp_path / "model.bin")
    assert run(capsys, "validate", str(unknown)) == (2, "", f"ner validate: error: {unknown}: cannot tell the "
                                                             f"format from the suffix '.bin'; give the file one of "
                                                             f".conll, .txt, .iob, .bio, .jsonl, .csv, .spacy (or a "
                                                             f"datasets directory), or pass --from/--to FMT where the "
                                                             f"command has it (conll, jsonl, csv, hf, spacy)\n")


def test_a_command_without_from_is_not_told_to_pass_it_alone(tmp_path, capsys):
    """ner train has no --from: the message names the suffixes that work (it said 'pass --from', which
    train then refused as 'did you mean --folds?')."""
    corpus = tmp_path / "notes.md"
    corpus.write_text("Яндекс\tB-Organization\n\n", encoding="utf-8")
    code, _, err = run(capsys, "train", "--train", str(corpus), "--out", str(tmp_path / "m"))
    assert code == 2 and "give the file one of .conll" in err


@pytest.mark.parametrize("flag, meant, rest", [("--jso", "--json", ["stats", str(SEED)]),
                                               ("--backbon", "--backbone", ["train", "--train", str(SEED),
                                                                            "--epochs", "1", "--out", "OUT"])])
def test_a_shortened_flag_is_a_typo_not_the_flag(tmp_path, capsys, flag, meant, rest):
    """argparse took '--jso' for '--json' and '--backbon navec-cnn' for '--backbone' (a dropped letter ran a
    whole training into models/ner): now it is an unknown flag, with the one meant."""
    argv = [rest[0], flag, *(["navec-cnn"] if flag == "--backbon" else []), *rest[1:]]
    code, _, err = run(capsys, *[str(tmp_path / "m") if a == "OUT" else a for a in argv])
    assert code == 2 and f"unrecognized argument: {flag} (did you mean {meant}?)" in err
    assert not (tmp_path / "m").exists()


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from ner.cli import build_parser; build_parser(); "
            "heavy = [m for m in ('torch', 'transformers', 'label_studio_sdk', 'spacy', 'datasets', 'natasha') "
            "if m in sys.modules]; print(heavy)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout.strip() == "[]", proc.stderr


# -- never a traceback -----------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \t\n\r#-_BIOESLUX0Ýё😀\xa0\x00MоdelDate")), max_size=200))
def test_random_text_never_raises(text):
    report = Report()
    docs = parse_conll_string(text, schema=load_schema(), report=report)
    for doc in docs:
        for sentence in doc.sentences:
            assert len(sentence.words) == len(sentence.tags)
            for span in sentence.spans:
                assert sentence.text[span.start:span.end] == span.text


# Corruptions of an O token between O tokens, and the error each must give on its own line.
CORRUPTIONS = {"X-Model": "E111", "": "E110", "I-Model": "E113", "B-Modle": "E112"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())  # capsys is drained by every run(), so sharing it across examples is safe
def test_validate_reports_exactly_the_corrupted_lines_and_fix_repairs_only_the_fixable(
        tmp_path_factory, capsys, data):
    lines, candidates = [], []
    for doc in read_conll(SEED):
        for s in doc.sentences:
            for i, (word, tag) in enumerate(zip(s.words, s.tags)):
                lines.append([word, tag])
                around = (s.tags[i - 1] if i else "O", s.tags[i + 1] if i + 1 < len(s) else "O")
                if tag == "O" and around == ("O", "O") and word.isalpha():
                    candidates.append(len(lines) - 1)
            lines.append(None)
    chosen = data.draw(st.lists(st.sampled_from(candidates), unique=True, max_size=6))
    chosen = sorted(c for c in chosen if c - 1 not in chosen)  # a corruption next to another changes its error
    kinds = [data.draw(st.sampled_from(sorted(CORRUPTIONS))) for _ in chosen]
    for index, kind in zip(chosen, kinds):
        lines[index][1] = kind
    path = tmp_path_factory.mktemp("corrupt") / "x.conll"
    path.write_text("".join("\n" if line is None else f"{line[0]} {line[1]}".rstrip() + "\n" for line in lines),
                    encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path))
    reported = [line.split(": ")[0:2] for line in out.splitlines()[:-1]]
    assert reported == [[f"{path}:{index + 1}", f"error {CORRUPTIONS[kind]}"] for index, kind in zip(chosen, kinds)]
    assert code == (1 if chosen else 0)
    fixed = path.with_name("fixed.conll")
    run(capsys, "validate", str(path), "--fix", str(fixed))
    code, out, _ = run(capsys, "validate", str(fixed))
    left = sorted(line.split(": ")[1] for line in out.splitlines()[:-1])
    assert left == sorted(f"error {CORRUPTIONS[k]}" for k in kinds if k != "I-Model")
    assert code == (1 if any(k != "I-Model" for k in kinds) else 0)
    words = [w for d in read_conll(fixed, schema=None) for s in d.sentences for w in s.words]
    assert words == [line[0] for line in lines if line is not None]  # nothing dropped or shifted


# -- factRuEval at scale ---------------------------------------------------------------------

def test_factrueval_reads_validates_and_round_trips(factrueval_dev, factrueval_test, tmp_path):
    expected = {factrueval_dev: (1769, 30940), factrueval_test: (3138, 59382)}
    for path, (n_sentences, n_tokens) in expected.items():
        report = Report()
        docs = list(read_conll(path, schema=None, report=report))
        sents = [s for d in docs for s in d.sentences]
        assert (len(sents), sum(len(s) for s in sents)) == (n_sentences, n_tokens)
        assert report.errors == []
        assert {i.code for i in report.warnings} <= {"W107"}  # real look-alike typos, e.g. 'стартaпов'
        out = tmp_path / path.name
        write_conll(docs, out)
        again = [s for d in read_conll(out, schema=None) for s in d.sentences]
        assert [(s.words, s.tags) for s in again] == [(s.words, s.tags) for s in sents]
    spans = [s.label for d in read_conll(factrueval_dev) for s in d.spans]
    assert {label: spans.count(label) for label in set(spans)} == {
        "Org": 732, "Person": 728, "Location": 506, "LocOrg": 454, "Project": 1}


def test_missing_optional_package_is_one_line_naming_the_extra(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "spacy", None)  # as if spaCy were not installed
    code, _, err = run(capsys, "convert", str(SEED), str(tmp_path / "x.spacy"))
    assert code == 2
    assert err == ("ner convert: error: this needs the package 'spacy', which is not installed; "
                   "pip install 'ner[export]' (or 'ner[all]')\n")


# -- every format by its extension -------------------------------------------------------------

def test_jsonl_is_read_as_jsonl_and_fixed_into_jsonl(capsys, tmp_path):
    import json

    from ner.formats.registry import load

    path = tmp_path / "x.jsonl"
    records = [{"tokens": ["Модель", "BERT", "."], "tags": ["O", "B-Model", "O"]},
               {"tokens": ["и", "GPT", "4"], "tags": ["O", "I-Model", "I-Model"]}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert out.splitlines() == [
        f"{path}:2: error E113: I-Model after O (expected B-Model); --fix turns it into B-Model",
        "1 file(s): 1 error(s), 0 warning(s) [E113 x1]; 1 of the errors --fix can repair"]
    fixed = tmp_path / "fixed.jsonl"
    code, out, _ = run(capsys, "validate", str(path), "--fix", str(fixed))
    assert code == 0
    assert [s.tags for d in load(fixed) for s in d.sentences] == [("O", "B-Model", "O"), ("O", "B-Model", "I-Model")]
    assert json.loads(fixed.read_text(encoding="utf-8").splitlines()[1])["tags"] == ["O", "B-Model", "I-Model"]


def test_a_missing_file_is_one_line_and_exit_2_whatever_its_format(capsys, tmp_path):
    for name in ("gone.conll", "gone.jsonl", "gone.csv"):
        missing = tmp_path / name
        assert run(capsys, "validate", str(SEED), str(missing)) == (
            2, "", f"ner validate: error: {missing}: no such file or directory; check the path\n")


# -- the command line: one line and exit 2 for every usage mistake -----------------------------

@pytest.mark.parametrize("argv, line", [
    (["validate", "x.conll", "--quite"], "ner validate: error: unrecognized argument: --quite (did you mean --quiet?)"),
    (["ls", "push", "x.conll", "--projcet", "P"],
     "ner ls push: error: unrecognized argument: --projcet (did you mean --project?)"),
    (["train", "--ephocs=3"], "ner train: error: unrecognized argument: --ephocs=3 (did you mean --epochs?)"),
    (["evaluate", "m", "c.conll", "--lables", "auto"],
     "ner evaluate: error: unrecognized argument: --lables (did you mean --labels?)"),
    (["split", "x.conll", "--out", "d", "--sed", "3"], "ner split: error: unrecognized argument: --sed (did you mean --seed?)"),
    (["tag", "--labels", "x.toml"], "ner tag: error: unrecognized argument: --labels"),
    (["evaluate", "--model", "m", "c.conll"],  # not "did you mean --help?"
     "ner evaluate: error: unrecognized argument: --model (MODEL_DIR is given without a flag: "
     "ner evaluate MODEL_DIR CORPUS)"),
    (["evaluate", "--model", "m"], "ner evaluate: error: unrecognized argument: --model (MODEL_DIR is given "
                                   "without a flag: ner evaluate MODEL_DIR CORPUS)"),
    (["train", "--epochs", "ten"], "ner train: error: argument --epochs: invalid int value: 'ten'"),
    (["stats"], "ner stats: error: the following arguments are required: PATH"),
])
def test_usage_mistakes_are_one_line_with_did_you_mean(capsys, argv, line):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(line + " ") and err.endswith(" --help)\n")


@pytest.mark.parametrize("argv", [
    ["validate", "{gone}.conll"],
    ["stats", "{gone}.jsonl"],
    ["split", "{gone}.csv", "--out", "{tmp}/splits"],
    ["convert", "{gone}.jsonl", "{tmp}/out.conll"],
    ["train", "--train", "{gone}.conll", "--out", "{tmp}/m"],
    ["train", "--train", str(SEED), "--dev", "{gone}.jsonl", "--out", "{tmp}/m"],
    ["evaluate", "{tmp}", "{gone}.conll"],
])
def test_a_missing_input_is_one_line_and_exit_2_in_every_command(capsys, tmp_path, argv):
    argv = [a.format(gone=tmp_path / "gone", tmp=tmp_path) for a in argv]
    missing = next(a for a in argv if "gone" in a)
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err == f"ner {argv[0]}: error: {missing}: no such file or directory; check the path\n"


@pytest.mark.parametrize("argv", [
    ["split", str(SEED), "--out", "{blocked}/splits"],
    ["validate", str(SEED), "--fix", "{blocked}/fixed.conll"],
])
def test_an_output_path_that_cannot_be_written_is_one_line_and_exit_2(capsys, tmp_path, argv):
    blocked = tmp_path / "file"  # a file where a directory is needed: no writing under it
    blocked.write_text("x", encoding="utf-8")
    argv = [a.format(blocked=blocked) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(f"ner {argv[0]}: error: {blocked}") and "Traceback" not in err
