"""The hand-written corpus: the build script reproduces the committed CoNLL, which is valid,
covers every label and agrees with razdel; the script reports markup it cannot align."""

from __future__ import annotations

import pytest

from ner.bio import tags_spans
from ner.check import Report
from ner.formats.conll import read_conll
from ner.schema import load_schema
from ner.text import tokenize

from .conftest import ROOT, build_corpus_script

SOURCES = sorted((ROOT / "corpora" / "src").glob("ml_ru_written*.md"))
CONLL = ROOT / "corpora" / "ml_ru_written.conll"
MIN_PER_LABEL = dict.fromkeys(("Model", "Organization", "Application", "Method_ML", "Task", "Dataset", "Date",
                               "Activity"), 150)  # issue 12: at least 150 entities per label
MIN_TOKENS = 25_000


@pytest.fixture(scope="module")
def documents():
    report = Report()
    docs = list(read_conll(CONLL, schema=load_schema(), report=report))
    return docs, report


def test_build_reproduces_committed_conll(tmp_path):
    out = tmp_path / "written.conll"
    assert build_corpus_script().main(["--src", *map(str, SOURCES), "--out", str(out)]) == 0
    assert out.read_bytes() == CONLL.read_bytes()


def test_validates_without_errors(documents):
    docs, report = documents
    assert [i for i in report.issues if i.severity == "error"] == []
    assert len(docs) >= 30
    assert all(d.meta.get("docstart") for d in docs)


def test_every_label_is_well_represented(documents):
    docs, _ = documents
    counts = dict.fromkeys(load_schema().names, 0)
    for doc in docs:
        for sentence in doc.sentences:
            for _, _, label in tags_spans(sentence.tags):
                counts[label] += 1
    assert {k: v for k, v in counts.items() if v < MIN_PER_LABEL[k]} == {}


def test_size_and_registers(documents):
    docs, _ = documents
    sentences = [s for d in docs for s in d.sentences]
    assert sum(len(s.words) for s in sentences) >= MIN_TOKENS
    # sentences with Latin-script words (commands, file names, URLs, API, SP_1) and no entity at all
    latin_only = [s for s in sentences if set(s.tags) == {"O"} and any(w.isascii() and w.isalpha() for w in s.words)]
    assert len(latin_only) >= 300
    # chat turns, markdown tables and headings are there
    texts = [s.text for s in sentences]
    assert sum(t.startswith("SP_") for t in texts) >= 200
    assert sum(t.startswith("|") for t in texts) >= 150
    assert sum(t.startswith("#") for t in texts) >= 100


def test_markup_and_punctuation_are_never_an_entity_edge(documents):
    from ner.markup import _is_junk

    docs, _ = documents
    edges = [(s.line, s.words[i:j]) for d in docs for s in d.sentences for i, j, _ in tags_spans(s.tags)
             if _is_junk(s.words[i]) or _is_junk(s.words[j - 1])]
    assert edges == []


def test_razdel_tokens_of_each_source_line_are_the_conll_tokens(documents):
    docs, _ = documents
    script = build_corpus_script()
    source = script.parse_sources(SOURCES, load_schema().names)
    conll_words = [s.words for d in docs for s in d.sentences]
    assert [s.words for d in source for s in d.sentences] == conll_words
    for doc in source:
        for sentence in doc.sentences:
            assert tuple(w for _, _, w in tokenize(sentence.text)) == sentence.words


def test_markup_maps_to_tokens_and_bad_spans_are_reported():
    script = build_corpus_script()
    labels = load_schema().names
    (doc,) = script.parse_source("@@ d\n[Яндекс](Organization) выложил [YaLM 100B](Model) в [2022 году](Date).\n",
                                 labels, "x.md")
    (sentence,) = doc.sentences
    assert sentence.words == ("Яндекс", "выложил", "YaLM", "100", "B", "в", "2022", "году", ".")
    assert sentence.tags == ("B-Organization", "O", "B-Model", "I-Model", "I-Model", "O", "B-Date", "I-Date", "O")
    assert sentence.text == "Яндекс выложил YaLM 100B в 2022 году."
    bad = "@@ d\nок\n[BERT](Model)-а и [X](Nope) и [ruBERT](Model)\n\n@@ empty\n"
    with pytest.raises(ValueError) as e:
        script.parse_source(bad, labels, "x.md")
    assert str(e.value).splitlines() == [
        "x.md:3: unknown label 'Nope' on [X] (labels: Model, Dataset, Organization, Application, Method_ML, "
        "Task, Date, Activity)",
        "x.md:3: span [BERT] (Model) is not on razdel token boundaries (tokens there: ['BERT-а'])",
        "x.md:5: document 'empty' has no sentences",
    ]


def test_markdown_in_the_text_is_text():
    script = build_corpus_script()
    labels = load_schema().names
    line = "| 1 | **[LoRA](Method_ML)** | см. [гайд](https://hf.co/docs) |"
    (doc,) = script.parse_source("@@ d\n## Методы\n" + line + "\n", labels, "x.md")
    heading, row = doc.sentences
    assert heading.words == ("#", "#", "Методы") and set(heading.tags) == {"O"}
    assert row.text == "| 1 | **LoRA** | см. [гайд](https://hf.co/docs) |"
    assert [(row.words[i], label) for i, _, label in tags_spans(row.tags)] == [("LoRA", "Method_ML")]
    with pytest.raises(ValueError) as e:
        script.parse_source("@@ d\n[[BERT]](Model) и [GPT](model)\n", labels, "x.md")
    assert str(e.value).splitlines() == [
        "x.md:2: unknown label 'model' on [GPT] (labels: Model, Dataset, Organization, Application, Method_ML, "
        "Task, Date, Activity)",
        "x.md:2: stray entity markup '](Model' left in the text: '[[BERT]](Model) и GPT'",
        "x.md:1: document 'd' has no sentences",
    ]
