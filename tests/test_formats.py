"""Formats: every conversion inverts on hard cases, and bad records fail with path:line."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ner.check import Report
from ner.errors import UserError
from ner.formats.conll import format_conll, parse_conll_string, read_conll
from ner.formats.jsonl import format_record, load_jsonl, locate_tokens, parse_record
from ner.formats.registry import FORMATS, dump, guess_format, load
from ner.records import Document, Sentence
from ner.schema import Schema

from .conftest import SEED

# Hard cases: ё/й, NBSP inside a token (tab-separated), emoji, quotes of every kind, a comma and a
# double quote as tokens (CSV quoting), a one-token sentence, -DOCSTART- documents, B-X B-X.
HARD = (
    "-DOCSTART-\tO\n\n"
    "Ёлка\tB-Organization\n«\tO\nЙошкар-Олы\tB-Organization\n»\tO\nвышла\tO\n.\tO\n\n"
    "Модель\tO\nYaLM\xa0100B\tB-Model\n😀\tO\n\"\tO\n,\tO\n'\tO\n„\tO\n\n"
    "Привет\tO\n\n"
    "-DOCSTART-\tO\n\n"
    "GPT-2\tB-Model\nGPT-3\tB-Model\nи\tO\nBERT-а\tB-Model\nв\tI-Model\nPyTorch'е\tO\n\n"
    "2019\tB-Date\n\n"
)
FILE_FORMATS = {"conll": "x.conll", "jsonl": "x.jsonl", "csv": "x.csv", "spacy": "x.spacy", "hf": "x_hf"}


def hard_docs(tmp_path):
    path = tmp_path / "hard.conll"
    path.write_text(HARD, encoding="utf-8")
    report = Report()
    docs = list(read_conll(path, report=report))
    assert report.errors == []
    return docs


def shape(docs, ids=True):
    """What CoNLL holds: documents (and the ids of -DOCSTART- ones), sentences, words and tags."""
    return [(d.id if ids and d.meta.get("docstart") else None, bool(d.meta.get("docstart")),
             [(s.words, s.tags) for s in d.sentences]) for d in docs]


def round_trip(docs, fmt, tmp_path):
    out = tmp_path / FILE_FORMATS[fmt]
    assert dump(docs, out) == sum(len(d.sentences) for d in docs)
    report = Report()
    back = list(load(out, report=report))
    # CoNLL warns again about odd tokens (NBSP inside, look-alike letters); the other formats do not look
    assert (report.errors if fmt == "conll" else report.issues) == []
    return back


def test_hard_case_reads_as_written(tmp_path):
    docs = hard_docs(tmp_path)
    assert [d.id for d in docs] == ["hard-1", "hard-2"]
    assert docs[0].sentences[1].words[1] == "YaLM\xa0100B"
    assert docs[1].sentences[0].tags == ("B-Model", "B-Model", "O", "B-Model", "I-Model", "O")


@pytest.mark.parametrize("fmt", sorted(FILE_FORMATS))
def test_hard_cases_round_trip(fmt, tmp_path):
    docs = hard_docs(tmp_path)
    back = round_trip(docs, fmt, tmp_path)
    assert shape(back, ids=fmt != "conll") == shape(docs, ids=fmt != "conll")  # CoNLL numbers documents
    assert "".join(format_conll(back)) == "".join(format_conll(docs)) == HARD


@pytest.mark.parametrize("fmt", sorted(FILE_FORMATS))
def test_seed_round_trips(fmt, tmp_path):
    docs = list(read_conll(SEED))
    back = round_trip(docs, fmt, tmp_path)
    assert "".join(format_conll(back)) == "".join(format_conll(docs))
    assert sum(len(s) for d in back for s in d.sentences) == 249


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(FILE_FORMATS))
def test_factrueval_round_trips(fmt, tmp_path, factrueval_dev, factrueval_test):
    for path in (factrueval_dev, factrueval_test):
        docs = list(read_conll(path))
        back = round_trip(docs, fmt, tmp_path)
        assert "".join(format_conll(back)) == "".join(format_conll(docs))


def test_texts_offsets_and_spans_survive_jsonl_and_spacy(tmp_path):
    text = "Модель  BERT-а\xa0вышла 😀 в 2018"
    offsets = ((0, 6), (8, 14), (15, 20), (21, 22), (23, 24), (25, 29))
    sentence = Sentence(("Модель", "BERT-а", "вышла", "😀", "в", "2018"),
                        ("O", "B-Model", "O", "O", "O", "B-Date"), 0, "s1", text, offsets)
    docs = [Document("d", (sentence,), "", {"docstart": True})]
    (back,), = [d.sentences for d in round_trip(docs, "jsonl", tmp_path)]
    assert (back.text, back.token_offsets, back.spans) == (text, offsets, sentence.spans)
    assert [s.text for s in back.spans] == ["BERT-а", "2018"]
    (back,), = [d.sentences for d in round_trip(docs, "spacy", tmp_path)]
    # spaCy keeps one space per word: the NBSP and the double space become single spaces
    assert back.text == "Модель BERT-а вышла 😀 в 2018"
    assert back.words == sentence.words and back.tags == sentence.tags and back.id == "s1"


def test_jsonl_record_fields(tmp_path):
    docs = parse_conll_string("-DOCSTART- O\n\nМодель O\nBERT B-Model\n. O\n", path="t.conll")
    dump(docs, tmp_path / "t.jsonl")
    record = json.loads((tmp_path / "t.jsonl").read_text(encoding="utf-8"))
    assert record == {"id": "t:3", "document": "t-1", "docstart": True, "text": "Модель BERT.",
                      "tokens": ["Модель", "BERT", "."], "tags": ["O", "B-Model", "O"],
                      "spans": [{"start": 7, "end": 11, "label": "Model", "text": "BERT"}]}


RECORDS = [
    # text + spans: razdel tokens, spans mapped onto them
    ({"text": "Модель BERT-а вышла в 2018 г.", "spans": [{"start": 7, "end": 13, "label": "Model"},
                                                         {"start": 22, "end": 29, "label": "Date"}]},
     ("Модель", "BERT-а", "вышла", "в", "2018", "г", "."),
     ("O", "B-Model", "O", "O", "B-Date", "I-Date", "I-Date")),
    # tokens + tags only: the text is rebuilt
    ({"tokens": ["GPT", "-", "2", "."], "tags": ["B-Model", "I-Model", "I-Model", "O"]},
     ("GPT", "-", "2", "."), ("B-Model", "I-Model", "I-Model", "O")),
    # text + tokens + spans
    ({"text": "Ёж  и\xa0йод", "tokens": ["Ёж", "и", "йод"], "spans": [{"start": 6, "end": 9, "label": "X"}]},
     ("Ёж", "и", "йод"), ("O", "O", "B-X")),
    # text alone: all O
    ({"text": "Привет 😀"}, ("Привет", "😀"), ("O", "O")),
]


@pytest.mark.parametrize("record, words, tags", RECORDS)
def test_parse_record_shapes(record, words, tags):
    sentence = parse_record(record, "x.jsonl:1")
    assert (sentence.words, sentence.tags) == (words, tags)
    if "text" in record:
        assert sentence.text == record["text"]
        assert [(s.start, s.end, s.label) for s in sentence.spans] == \
               [(s["start"], s["end"], s["label"]) for s in record.get("spans", [])]


BAD_RECORDS = [
    ('{"text": "Модель BERT-а", "spans": [{"start": 7, "end": 10, "label": "Model"}]}',
     "x.jsonl:2: span 7:10 (Model) 'BER' does not start and end on token boundaries"),
    ('{"text": "Модель BERT", "spans": [{"start": 7, "end": 11, "label": "Model", "text": "GPT"}]}',
     "x.jsonl:2: span 7:11 (Model) says 'GPT' but the text there is 'BERT'"),
    ('{"text": "a b", "spans": [{"start": 0, "end": 3, "label": "X"}, {"start": 2, "end": 3, "label": "Y"}]}',
     "x.jsonl:2: span 2:3 (Y) 'b' overlaps span 0:3 (X) 'a b'; BIO cannot hold overlapping spans"),
    ('{"text": "a b", "spans": [{"start": 2, "end": 9, "label": "X"}]}',
     "x.jsonl:2: span 2:9 (X) is outside the text of 3 characters"),
    ('{"text": "a b", "tokens": ["a", "c"], "tags": ["O", "O"]}',
     "x.jsonl:2: token #2 'c' is not at offset 2 of the text"),
    ('{"text": "a b", "tokens": ["a", "b"], "tags": ["O", "B-X"], "spans": []}',
     "x.jsonl:2: 'spans' and 'tags' disagree"),
    ('{"tokens": ["a", "b"], "tags": ["O"]}', "x.jsonl:2: 2 tokens but 1 tags"),
    ('{"tags": ["O"]}', "x.jsonl:2: the record has neither 'tokens' nor 'text'"),
    # an annotation under another tool's key is refused, not read as all O
    ('{"tokens": ["Яндекс", "выложил"], "ner_tags": ["B-Organization", "O"]}',
     "x.jsonl:2: 'ner_tags' is not read here; give the annotation as 'tags'"),
    ('{"tokens": ["a"], "ner_tags": [3]}', "x.jsonl:2: 'ner_tags' is not read here"),
    ('{"text": "Яндекс выложил", "label": [[0, 6, "Organization"]]}', "x.jsonl:2: 'label' is not read here"),
    ('{"text": "a b", "spans": [{"start": 0, "end": 1, "label": "X", "score": 2}]}',
     "x.jsonl:2: span 0:1 (X) has score 2; a score is a number from 0 to 1"),
    ('{"text": "Яндекс выложил", "entities": [[0, 6, "Organization"]]}',            # doccano's lists
     "x.jsonl:2: 'entities' is not read here"),
    # ``ner tag`` output whose entity cuts a token is reported, never dropped or stretched silently
    ('{"line": 1, "text": "Модель BERT-а", "score": 0.9, "entities": [{"start": 7, "end": 11, "label": "Model", '
     '"text": "BERT", "score": 0.9}]}',
     "x.jsonl:2: span 7:11 (Model) 'BERT' does not start and end on token boundaries"),
    ('["a"]', "x.jsonl:2: a record must be a JSON object, not list"),
    ('{"text": "a", ', "x.jsonl:2: not valid JSON (Expecting property name enclosed in double quotes at column 15)"),
]


def test_ner_tag_records_are_read_as_spans(tmp_path):
    path = tmp_path / "tagged.jsonl"
    path.write_text('{"line": 3, "text": "Яндекс выложил YaLM 100B", "score": 0.7, "entities": ['
                    '{"start": 0, "end": 6, "label": "Organization", "text": "Яндекс", "score": 0.7}, '
                    '{"start": 15, "end": 24, "label": "Model", "text": "YaLM 100B", "score": 0.95}]}\n'
                    '{"line": 4, "text": "Ничего", "score": 1.0, "entities": []}\n', encoding="utf-8")
    first, second = [s for doc in load(path) for s in doc.sentences]
    assert first.words == ("Яндекс", "выложил", "YaLM", "100", "B")                  # razdel's tokens
    assert first.tags == ("B-Organization", "O", "B-Model", "I-Model", "I-Model") and second.tags == ("O",)
    assert (first.scores, second.scores) == ((0.7, 0.95), ())                  # kept for ner ls push
    assert first.with_tags(first.tags).scores == (0.7, 0.95) and first.with_tags(("O",) * 5).scores == ()
    assert [(s.start, s.end, s.label, s.text) for s in first.spans] == [(0, 6, "Organization", "Яндекс"),
                                                                        (15, 24, "Model", "YaLM 100B")]


@pytest.mark.parametrize("line, message", BAD_RECORDS)
def test_bad_jsonl_records_name_the_line(line, message, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "ok"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(UserError) as e:
        list(load_jsonl(path))
    assert str(e.value).startswith(str(tmp_path / message))


def test_jsonl_tags_are_checked_on_their_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"tokens": ["a"], "tags": ["O"]}\n\n'
                    '{"tokens": ["BERT", "b"], "tags": ["B-Modle", "I-Foo"]}\n', encoding="utf-8")
    report = Report()
    docs = list(load_jsonl(path, schema=Schema.auto(["Model", "Date"]), report=report))
    assert [(i.line, i.code) for i in report.issues] == [(3, "E112"), (3, "E112")]
    assert "'Modle'" in report.issues[0].message and "did you mean 'Model'" in report.issues[0].message
    assert [s.id for s in docs[0].sentences] == ["x:1", "x:3"]


def test_jsonl_documents_group_consecutive_records(tmp_path):
    path = tmp_path / "x.jsonl"
    lines = [{"document": "a", "docstart": True, "text": "один"}, {"document": "a", "text": "два"},
             {"document": "b", "text": "три"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    docs = list(load_jsonl(path))
    assert [(d.id, d.meta["docstart"], [s.words for s in d.sentences]) for d in docs] == [
        ("a", True, [("один",), ("два",)]), ("b", True, [("три",)])]


def test_locate_tokens_needs_the_tokens_in_order():
    assert locate_tokens("a\tb\n c", ["a", "b", "c"], "w") == ((0, 1), (2, 3), (5, 6))
    with pytest.raises(UserError, match="token #1 'b'"):
        locate_tokens("a b", ["b", "a"], "w")


def test_csv_layout_and_grouping(tmp_path):
    docs = parse_conll_string("-DOCSTART- O\n\nа O\n, B-X\n\n\" O\n", path="t.conll")
    dump(docs, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == (
        'document,sentence,token,tag\nt-1,t:3,а,O\nt-1,t:3,",",B-X\nt-1,t:6,"""",O\n')
    plain = parse_conll_string("а O\n\nб O\n", path="p.conll")
    dump(plain, tmp_path / "p.csv")
    assert (tmp_path / "p.csv").read_text(encoding="utf-8") == \
        "document,sentence,token,tag\n,p:1,а,O\n,p:3,б,O\n"


def test_csv_tags_checked_on_the_row_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("document,sentence,token,tag\nd,1,a,O\nd,1,b,B-Foo\nd,2,c,O\n", encoding="utf-8")
    report = Report()
    docs = list(load(path, schema=Schema.auto(["Model"]), report=report))
    assert [(i.line, i.code) for i in report.issues] == [(3, "E112")]
    assert [(s.line, s.words) for s in docs[0].sentences] == [(2, ("a", "b")), (4, ("c",))]
    assert docs[0].meta["docstart"] is True


@pytest.mark.parametrize("text, message", [
    ("token,tag\na,O\n", ":1: the header ['token', 'tag'] lacks ['sentence']"),
    ("document,sentence,token,tag\nd,1,a,b,O\n", ":2: 5 fields, the header has 4"),
])
def test_bad_csv(text, message, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
        list(load(path))


def test_hf_class_labels_from_schema_or_data(tmp_path):
    import datasets

    docs = parse_conll_string("BERT B-Model\nв O\n2019 B-Date\n")
    dump(docs, tmp_path / "auto")
    features = datasets.load_from_disk(str(tmp_path / "auto")).features
    assert features["ner_tags"].feature.names == ["O", "B-Date", "I-Date", "B-Model", "I-Model"]
    schema = Schema.auto(["Model", "Date", "Task"])
    dump(docs, tmp_path / "schema", schema=schema)
    dataset = datasets.load_from_disk(str(tmp_path / "schema"))
    assert dataset.features["ner_tags"].feature.names == list(schema.tags)
    assert dataset[0]["ner_tags"] == [schema.tag_ids["B-Model"], 0, schema.tag_ids["B-Date"]]
    with pytest.raises(UserError, match="tag 'B-Date' is not one of the schema's tags"):
        dump(docs, tmp_path / "narrow", schema=Schema.auto(["Model"]))


def test_hf_reads_foreign_datasets(tmp_path):
    import datasets

    datasets.Dataset.from_dict({"tokens": [["a", "b"], ["c"]], "tags": [["B-X", "I-X"], ["O"]]}) \
        .save_to_disk(str(tmp_path / "plain"))
    docs = list(load(tmp_path / "plain"))
    assert shape(docs) == [(None, False, [(("a", "b"), ("B-X", "I-X")), (("c",), ("O",))])]
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"tokens": [["a"]], "tags": [["O"]]})}) \
        .save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(UserError, match=r"a DatasetDict with splits \['train'\]; pass one split's directory"):
        list(load(tmp_path / "dd"))


def test_spacy_entities_and_spaces(tmp_path):
    import spacy
    from spacy.tokens import DocBin

    docs = parse_conll_string("GPT-2 B-Model\nGPT-3 B-Model\n( O\n2019 B-Date\n) O\n", path="s.conll")
    dump(docs, tmp_path / "s.spacy")
    (doc,) = DocBin().from_disk(tmp_path / "s.spacy").get_docs(spacy.blank("ru").vocab)
    assert doc.text == "GPT-2 GPT-3 (2019)"
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(0, 1, "Model"), (1, 2, "Model"), (3, 4, "Date")]
    assert (doc.user_data["id"], doc.user_data["document"], doc.user_data["docstart"]) == ("s:1", "s", False)


def test_spacy_refuses_tags_it_would_change(tmp_path):
    docs = [Document("d", (Sentence(("a",), ("I-X",)),))]
    with pytest.raises(UserError, match=r"I-X after O does not continue an entity of its type, and a DocBin holds "
                                        r"only valid IOB2; 'ner validate --fix' turns it into B-X"):
        dump(docs, tmp_path / "x.spacy")


def test_spacy_reads_foreign_docbins(tmp_path):
    import spacy
    from spacy.tokens import Doc, DocBin, Span

    nlp = spacy.blank("ru")
    doc = Doc(nlp.vocab, words=["Яндекс", " ", "вырос", ".", "Ура"], spaces=[True, False, False, True, False],
              sent_starts=[True, False, False, False, True])
    doc.ents = [Span(doc, 0, 1, "ORG")]
    DocBin(docs=[doc]).to_disk(tmp_path / "f.spacy")
    (back,) = load(tmp_path / "f.spacy")
    assert [(s.words, s.tags, s.text) for s in back.sentences] == [
        (("Яндекс", "вырос", "."), ("B-ORG", "O", "O"), "Яндекс  вырос."), (("Ура",), ("O",), "Ура")]


@pytest.mark.parametrize("path, given, expected", [
    ("a.conll", None, "conll"), ("a.TXT", None, "conll"), ("a.jsonl", None, "jsonl"), ("a.csv", None, "csv"),
    ("a.spacy", None, "spacy"), ("out/dataset", None, "hf"), ("a.csv", "jsonl", "jsonl"),
])
def test_guess_format(path, given, expected):
    assert guess_format(path, given) == expected


@pytest.mark.parametrize("path, given, message", [
    ("a.xlsx", None, "cannot tell the format from the suffix '.xlsx'"),
    ("a.csv", "parquet", "unknown format 'parquet'"),
])
def test_guess_format_errors(path, given, message):
    with pytest.raises(UserError, match=message):
        guess_format(path, given)


def test_jsonl_spans_are_the_sentences_token_spans():
    text, offsets = "😀 BERT\xa0base", ((0, 1), (2, 6), (7, 11))
    sentence = Sentence(("😀", "BERT", "base"), ("O", "B-Model", "I-Model"), 1, "x:1", text, offsets)
    record = format_record(sentence, Document("x", (sentence,)), 1)
    assert record["spans"] == [{"start": 2, "end": 11, "label": "Model", "text": "BERT\xa0base"}]


def test_every_format_is_registered():
    assert sorted(FORMATS) == ["conll", "csv", "hf", "jsonl", "spacy"]
    for fmt in FORMATS.values():
        assert callable(fmt.loader()) and callable(fmt.dumper())


@pytest.mark.parametrize("record", [
    {"tokens": ["a b", "c"], "tags": ["O", "O"]},
    {"tokens": ["a\tb"], "tags": ["B-X"]},
    {"tokens": ["-DOCSTART-"], "tags": ["O"]},
])
def test_tokens_conll_cannot_hold_are_refused(record, tmp_path):
    (tmp_path / "x.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    docs = list(load(tmp_path / "x.jsonl"))
    dump(docs, tmp_path / "ok.csv")  # other formats hold them
    assert [s.words for d in load(tmp_path / "ok.csv") for s in d.sentences] == [tuple(record["tokens"])]
    with pytest.raises(UserError, match=r"sentence x:1 of document x: token .* cannot be written to CoNLL"):
        dump(docs, tmp_path / "x.conll")


# Junk never gets past the loaders as a traceback, and nothing is read wrong: a file reads
# exactly when each of its records reads alone, gives what those records give, and otherwise
# fails with one UserError naming the first record that fails alone.
_JSONISH = st.text(alphabet=st.sampled_from(list('{}[]":,0123456789 abtexoksngpdiru-BIOX\n')), max_size=120)
_RECORDS = st.fixed_dictionaries({}, optional={
    "text": st.one_of(st.text(max_size=12), st.integers()),
    "tokens": st.one_of(st.lists(st.text(max_size=4), max_size=4), st.text(max_size=3)),
    "tags": st.lists(st.sampled_from(["O", "B-X", "I-X", "I-Y", "X", ""]), max_size=4),
    "spans": st.lists(st.fixed_dictionaries({"start": st.integers(-2, 14), "end": st.integers(-2, 14),
                                             "label": st.sampled_from(["X", "Y"])}), max_size=3),
    "document": st.one_of(st.none(), st.text(max_size=3)), "id": st.one_of(st.none(), st.integers()),
})
_WORD = st.text(alphabet=st.sampled_from(list('ab,"ё😀 -\xa0\n')), min_size=1, max_size=4)
_PLAIN = st.lists(st.tuples(_WORD.filter(str.strip), st.sampled_from(["O", "B-X", "I-X", "I-Y", "X"])),
                  min_size=1, max_size=4).map(lambda pairs: {"tokens": [w for w, _ in pairs],
                                                             "tags": [t for _, t in pairs]})
_AUTO = Schema.auto(["X", "Y"])


def _outcome(path):
    """(sentences as (words, tags), None) when the file reads; (None, the error's 'path:line') when not."""
    try:
        docs = list(load(path, schema=_AUTO, report=Report()))
    except UserError as e:
        where = str(e).split(": ", 1)[0]
        return None, where
    return [(s.words, s.tags) for d in docs for s in d.sentences], None


def _plain_record(record):
    """What a record of tokens only (no text, no spans) must read as; None for other shapes."""
    if not isinstance(record, dict) or "text" in record or "spans" in record:
        return None
    tokens, tags = record.get("tokens"), record.get("tags", ["O"] * len(record.get("tokens") or []))
    if not (isinstance(tokens, list) and all(isinstance(t, str) and t for t in tokens)):
        return None
    if not tokens or not all(isinstance(t, str) for t in tags) or len(tags) != len(tokens):
        return None
    return tuple(tokens)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.just(""), _JSONISH), records=st.lists(st.one_of(_RECORDS, _PLAIN), max_size=4))
def test_junk_jsonl_reads_record_by_record(text, records, tmp_path):
    lines = (text + "\n" + "".join(json.dumps(r) + "\n" for r in records)).split("\n")[:-1]
    path = tmp_path / "junk.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    expected, failing = [], None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        alone = tmp_path / "alone.jsonl"
        alone.write_text(line + "\n", encoding="utf-8")
        got, where = _outcome(alone)
        if where is not None:
            assert where == f"{alone}:1"
            failing = failing or f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            assert _plain_record(record) is None, line  # a plain record of tokens is never refused
            continue
        record = json.loads(line)
        if _plain_record(record) is not None:
            assert [words for words, _ in got] == [_plain_record(record)]
        expected += got
    got, where = _outcome(path)
    assert (got, where) == ((None, failing) if failing else (expected, None))


def _csv_rows(rows):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sentence", "token", "tag", "document"])
    writer.writerows(rows)
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(
    st.text(alphabet=st.sampled_from(list('document,sentence,token,tag"\n\r ab-BIOX')), max_size=150),
    st.text(alphabet=st.sampled_from(list('ab,"\n\r -BIOX12')), max_size=120).map(
        lambda body: "document,sentence,token,tag\n" + body),
    st.lists(st.one_of(*[st.lists(_WORD, min_size=4, max_size=4)] * 6, st.lists(_WORD, max_size=5)),
             max_size=6).map(_csv_rows),
))
def test_junk_csv_reads_row_by_row(text, tmp_path):
    import csv
    import io

    path = tmp_path / "junk.csv"
    path.write_bytes(text.encode("utf-8"))
    # The reference: rows of the csv module, the header names the columns, a run of rows with one
    # (document, sentence) pair is a sentence; a header without sentence, token and tag, or a row
    # with another number of fields than the header, fails at its line.
    reader = csv.reader(io.StringIO(text, newline=""))
    sentences, failing, key = [], None, object()
    try:
        columns = [c.strip().lower() for c in next(reader, None) or ()]
        if not {"sentence", "token", "tag"} <= set(columns):
            failing = 1
        for row in reader if failing is None else ():
            if not row:
                continue
            if len(row) != len(columns):
                failing = reader.line_num
                break
            doc = row[columns.index("document")] if "document" in columns else ""
            if (doc, row[columns.index("sentence")]) != key:
                key = (doc, row[columns.index("sentence")])
                sentences.append([])
            sentences[-1].append(row[columns.index("token")])
    except csv.Error:
        failing = reader.line_num
    got, where = _outcome(path)
    if failing is not None:
        assert (got, where) == (None, f"{path}:{failing}")
    else:
        assert where is None and [list(words) for words, _ in got] == sentences


def test_a_folder_of_corpus_files_is_named_not_read_as_a_dataset(tmp_path, capsys):
    """'ner validate corpora/' said 'not a dataset saved with save_to_disk (no dataset_info.json...)'."""
    from ner.cli import main

    (tmp_path / "a.conll").write_text("Яндекс\tB-Organization\n\n", encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"ner validate: error: {tmp_path}: a folder, not a dataset saved with "
                                       f"save_to_disk; to read the corpus files in it, name them ({tmp_path}/*.conll)\n")


def test_plain_texts_are_cut_at_line_feeds_only(tmp_path):
    from ner.formats.texts import load_texts

    path = tmp_path / "t.txt"
    path.write_bytes("Первый\u2028текст про BERT\r\nВторой\x0cтекст\n\nТретий\n".encode("utf-8"))
    (doc,) = load_texts(path)
    assert [(s.line, s.source_text) for s in doc.sentences] == [
        (1, "Первый\u2028текст про BERT"), (2, "Второй\x0cтекст"), (4, "Третий")]
