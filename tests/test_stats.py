"""The dataset report: exact counts on a small hand-made corpus, JSON, the table and the charts."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from ner.cli import main
from ner.formats.conll import read_conll
from ner.formats.registry import dump
from ner.schema import load_schema
from ner.stats.report import Duplicate, Overlap, Partial, corpus_stats

from .conftest import SEED

TRAIN = """-DOCSTART- O

Модель B-Model
BERT I-Model
вышла O
. O

Яндекс B-Organization
выпустил O
GPT B-Model
. O

-DOCSTART- O

Яндекс B-Application
. O

Модель B-Model
BERT I-Model
вышла O
. O

Привет O
. O
"""
# The first sentence repeats one of train with other tags (leakage, conflicting copies);
# the second has a Latin 'o' in a Cyrillic word (W107 on line 6).
TEST = """Модель O
BERT B-Model
вышла O
. O

Мoдель O
прошла O

2019 B-Date
"""


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "train.conll").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "test.conll").write_text(TEST, encoding="utf-8")
    return tmp_path / "train.conll", tmp_path / "test.conll"


def test_counts(corpus):
    train, test = map(str, corpus)
    stats = corpus_stats(corpus, schema=load_schema())
    assert [(f.path, f.documents, f.sentences, f.tokens, f.clean_sentences, f.errors, f.warnings)
            for f in stats.files] == [(train, 2, 5, 16, 5, 0, 0), (test, 1, 3, 7, 2, 0, 1)]
    assert stats.files[0].entities == Counter(Model=3, Organization=1, Application=1)
    assert stats.files[1].entities == Counter(Model=1, Date=1)
    assert stats.entities == Counter(Model=4, Organization=1, Application=1, Date=1)
    assert stats.lengths == {"Model": Counter({2: 2, 1: 2}), "Organization": Counter({1: 1}),
                             "Application": Counter({1: 1}), "Date": Counter({1: 1})}
    assert stats.span_lengths == Counter({1: 5, 2: 2})
    assert stats.forms["Model"].most_common() == [("Модель BERT", 2), ("GPT", 1), ("BERT", 1)]
    assert stats.ambiguous == [("Яндекс", Counter(Organization=1, Application=1))]
    assert stats.duplicates == [Duplicate("Модель BERT вышла.", 3, (f"{train}:3", f"{train}:18", f"{test}:1"), True)]
    assert stats.leakage == [Overlap(train, test, 1, ("Модель BERT вышла.",))]
    assert stats.issues == Counter(W107=1)
    assert stats.clean_share == 7 / 8


def test_json_form(corpus):
    d = corpus_stats(corpus, schema=load_schema(), top=2).to_dict()
    assert d["totals"] == {"files": 2, "documents": 3, "sentences": 8, "tokens": 23, "errors": 0, "warnings": 1,
                           "clean_sentences": 7, "entities": 7, "clean_share": 0.875}
    assert d["labels"]["Model"] == {"entities": 4, "span_lengths": {"1": 2, "2": 2},
                                    "top_forms": [("Модель BERT", 2), ("GPT", 1)]}
    assert d["span_lengths"] == {"1": 5, "2": 2}
    assert d["ambiguous_forms"] == [{"text": "Яндекс", "labels": {"Organization": 1, "Application": 1}}]
    assert d["duplicate_sentences"][0]["conflicting_tags"] is True
    assert d["leakage"][0]["shared"] == 1
    assert d["issues"] == {"W107": 1}
    json.dumps(d)


def test_identical_copies_are_duplicates_without_conflict(tmp_path):
    path = tmp_path / "a.conll"
    path.write_text("Да O\n. O\n\nДа O\n. O\n\nНет O\n", encoding="utf-8")
    stats = corpus_stats([path])
    assert stats.duplicates == [Duplicate("Да.", 2, (f"{path}:1", f"{path}:4"), False)]
    assert stats.leakage == [] and stats.ambiguous == [] and stats.entities == Counter()


def test_errors_taint_their_sentence(tmp_path):
    path = tmp_path / "a.conll"
    # B-Date after O makes this an IOB2 file, so the I- that opens an entity is an error (E113)
    path.write_text("a O\nb I-Model\n\nc B-Foo\n\nd B-Date\n", encoding="utf-8")
    stats = corpus_stats([path], schema=load_schema())
    (info,) = stats.files
    assert (info.sentences, info.clean_sentences, info.errors) == (3, 1, 2)
    assert stats.issues == Counter(E113=1, E112=1)


def test_other_formats_give_the_same_counts(corpus, tmp_path):
    docs = list(read_conll(corpus[0]))
    dump(docs, tmp_path / "train.jsonl")
    a = corpus_stats([corpus[0]]).to_dict()
    b = corpus_stats([tmp_path / "train.jsonl"]).to_dict()
    for key in ("labels", "span_lengths", "ambiguous_forms"):
        assert a[key] == b[key]
    assert {k: v for k, v in a["totals"].items()} == b["totals"]


def test_stats_command_table(corpus, capsys):
    assert main(["stats", *map(str, corpus)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("2 files: 3 documents, 8 sentences, 23 tokens, 7 entities; "
                      "7 of 8 sentences (87.5%) have no issue")
    assert "Forms tagged with several labels: 1" in out
    assert "  'Яндекс': Organization 1, Application 1" in out
    assert "Sentences shared between files (leakage): 1" in out
    assert "Issues (ner validate for details): W107 x1" in out
    assert any(line.startswith("Model ") and line.endswith("Модель BERT (2), GPT (1), BERT (1)") for line in out)


def test_stats_command_json_and_plots(corpus, tmp_path, capsys):
    assert main(["stats", *map(str, corpus), "--json", "--plots", str(tmp_path / "plots")]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[:out.rindex("}") + 1])
    assert report["totals"]["tokens"] == 23
    for name in ("labels.png", "lengths.png"):
        assert (tmp_path / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stats_command_names_unreadable_files(tmp_path, capsys):
    (tmp_path / "empty.conll").write_text("", encoding="utf-8")
    (tmp_path / "model.conll").write_bytes(bytes(range(256)) * 4)
    assert main(["stats", str(tmp_path / "empty.conll"), str(tmp_path / "model.conll")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing readable: the reasons only, no empty report
    assert captured.err.splitlines()[0] == f"{tmp_path / 'empty.conll'}: error E102: the file is empty"
    assert captured.err.splitlines()[1].startswith(f"{tmp_path / 'model.conll'}: error E101: binary file")


def test_stats_command_missing_file_is_a_usage_error(tmp_path, capsys):
    assert main(["stats", str(SEED), str(tmp_path / "missing.conll")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"ner stats: error: {tmp_path / 'missing.conll'}: no such file or directory; check the path\n"


def test_stats_command_reports_readable_files_beside_unreadable_ones(capsys, tmp_path):
    (tmp_path / "empty.conll").write_text("", encoding="utf-8")
    assert main(["stats", str(SEED), str(tmp_path / "empty.conll")]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("2 files: 1 documents, 14 sentences, 249 tokens, 23 entities;")
    assert captured.err.splitlines()[-1] == "ner stats: 1 error(s) in the input; ner validate lists them"


def test_forms_annotated_in_some_sentences_and_left_in_others_are_listed_with_where(tmp_path, capsys):
    """An audit of the team's corpus found most real errors to be entities left unannotated that other
    sentences annotate («seqeval»: once annotated, five times not); the model trained on it learns the gap."""
    path = tmp_path / "a.conll"
    path.write_text("BERT B-Model\nхорош O\n\nМы O\nвзяли O\nbert O\n\nМодель B-Model\nBERT I-Model\n\n"
                    "GPT O\n\nseqeval B-Application\n\nчерез O\nseqeval O\n\nи O\nseqeval O\n\n"
                    "машинное B-Task\nобучение I-Task\n\nобучение B-Activity\n\n"
                    "машинное O\nобучение O\nи O\nобучение O\n", encoding="utf-8")
    stats = corpus_stats([path])
    # case folded; inside a longer entity is no unannotated occurrence; a form nobody annotates is not listed;
    # the longest form first («обучение» inside «машинное обучение» is no second occurrence), repeats in one
    # sentence each count, the sentence is named once
    assert stats.partial == [Partial("seqeval", Counter(Application=1), 2, (f"{path}:15", f"{path}:18")),
                             Partial("BERT", Counter(Model=1), 1, (f"{path}:4",)),
                             Partial("машинное обучение", Counter(Task=1), 1, (f"{path}:26",)),
                             Partial("обучение", Counter(Activity=1), 1, (f"{path}:26",))]
    assert stats.to_dict()["partly_annotated_forms"][1] == {"text": "BERT", "labels": {"Model": 1},
                                                            "unannotated": 1, "places": [f"{path}:4"]}
    assert main(["stats", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "Forms annotated in some sentences and not in others: 4" in out
    assert f"  'seqeval': Application 1, unannotated 2 (e.g. {path}:15, {path}:18)" in out


def test_every_place_of_a_partly_annotated_form_is_in_the_json_and_its_text_is_as_written(tmp_path):
    path = tmp_path / "a.conll"
    path.write_text("ruBERT-tiny B-Model\n2 I-Model\n\n" + "взяли O\nruBERT-tiny O\n2 O\n\n" * 5, encoding="utf-8")
    stats = corpus_stats([path])
    (form,) = stats.partial
    assert form.text == "ruBERT-tiny2" and form.unannotated == 5     # as the text reads, not "ruBERT-tiny 2"
    assert stats.to_dict()["partly_annotated_forms"][0]["places"] == [f"{path}:{4 + 4 * k}" for k in range(5)]
