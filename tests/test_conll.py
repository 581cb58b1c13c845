"""The CoNLL reader: what real files contain, each case with exact tokens, tags, lines and codes."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ner.check import Report
from ner.formats import conll, textfile
from ner.formats.conll import format_conll, iter_sentences, parse_conll_string, read_conll, write_conll
from ner.schema import load_schema

from .conftest import SEED

SCHEMA = load_schema()


def parse(text, schema=SCHEMA, **kwargs):
    report = Report()
    docs = parse_conll_string(text, path="t.conll", schema=schema, report=report, **kwargs)
    return docs, report


def sentences(docs):
    return [(list(s.words), list(s.tags)) for d in docs for s in d.sentences]


def codes(report):
    return [(i.line, i.code) for i in report.issues]


# -- layouts that must all read the same -------------------------------------------------------

SAME = [("Яндекс", "B-Organization"), ("выложил", "O"), ("YaLM", "B-Model"), ("100B", "I-Model")]


@pytest.mark.parametrize("name, text", [
    ("tab", "Яндекс\tB-Organization\nвыложил\tO\nYaLM\tB-Model\n100B\tI-Model\n"),
    ("space", "Яндекс B-Organization\nвыложил O\nYaLM B-Model\n100B I-Model\n"),
    ("several spaces and trailing", "Яндекс   B-Organization  \nвыложил  O \nYaLM\t B-Model\t\n100B  I-Model\n"),
    ("crlf", "Яндекс\tB-Organization\r\nвыложил\tO\r\nYaLM\tB-Model\r\n100B\tI-Model\r\n"),
    ("three columns", "Яндекс NNP B-Organization\nвыложил VB O\nYaLM NNP B-Model\n100B CD I-Model\n"),
    ("label studio conll2003", "Яндекс -X- _ B-Organization\nвыложил -X- _ O\nYaLM -X- _ B-Model\n"
                               "100B -X- _ I-Model\n"),
    ("no final newline", "Яндекс\tB-Organization\nвыложил\tO\nYaLM\tB-Model\n100B\tI-Model"),
    ("leading and trailing blank lines", "\n\n\nЯндекс\tB-Organization\nвыложил\tO\nYaLM\tB-Model\n"
                                         "100B\tI-Model\n\n\n"),
    ("comment before", "# sent_id = 1\n# text = Яндекс выложил YaLM 100B\nЯндекс\tB-Organization\n"
                       "выложил\tO\nYaLM\tB-Model\n100B\tI-Model\n"),
])
def test_layouts_read_the_same(name, text):
    docs, report = parse(text)
    assert sentences(docs) == [([w for w, _ in SAME], [t for _, t in SAME])]
    assert report.issues == []


def test_line_numbers_survive_blank_runs_and_comments():
    text = "а\tO\n\n\n\nб\tB-Model\n# note\nв\tO\n\nг\tO\n"
    docs, report = parse(text)
    assert [(s.line, s.words) for s in docs[0].sentences] == [(1, ("а",)), (5, ("б",)), (7, ("в",)), (9, ("г",))]


def test_docstart_breaks_documents_and_round_trips():
    text = "-DOCSTART- -X- O O\n\nа\tO\nб\tB-Model\n\n-DOCSTART- -X- O O\n\nв\tB-Date\n"
    docs, report = parse(text)
    assert [d.id for d in docs] == ["t-1", "t-2"]
    assert sentences(docs) == [(["а", "б"], ["O", "B-Model"]), (["в"], ["B-Date"])]
    again, _ = parse("".join(format_conll(docs)))
    assert sentences(again) == sentences(docs) and len(again) == 2


def test_hash_token_is_a_token_not_a_comment():
    docs, _ = parse("#\tO\nC#\tB-Application\n")
    assert sentences(docs) == [(["#", "C#"], ["O", "B-Application"])]


def test_tab_file_keeps_spaces_inside_a_token_and_warns():
    docs, report = parse("New York\tO\nгород\tO\n")
    assert sentences(docs) == [(["New York", "город"], ["O", "O"])]
    assert codes(report) == [(1, "W105")]


def test_nbsp_inside_token_is_kept_not_split():
    docs, report = parse("1\xa0000\tO\nрублей\tO\n")
    assert sentences(docs)[0][0] == ["1\xa0000", "рублей"]
    assert codes(report) == [(1, "W105")]


# -- sentence inference ----------------------------------------------------------------------

def test_no_blank_lines_infers_breaks_but_not_inside_numbers():
    text = "Обучение B-Activity\nзаняло O\n2 O\n. O\n5 O\nминуты O\n. O\nФайл O\n. O\nbin O\nготов O\n. O\n"
    docs, report = parse(text)
    assert [list(s.words) for s in docs[0].sentences] == [
        ["Обучение", "заняло", "2", ".", "5", "минуты", "."],
        ["Файл", ".", "bin", "готов", "."],
    ]
    assert [s.line for s in docs[0].sentences] == [1, 8]
    assert codes(report) == [(1, "W101")]
    assert [(c.line, c.after) for c in report.changes] == [(8, "<blank line>")]


def test_breaks_are_not_inferred_when_the_file_has_blank_lines():
    docs, report = parse("Привет O\n. O\nКак O\n\nДа O\n")
    assert [len(s) for s in docs[0].sentences] == [3, 1]
    assert report.issues == []


def test_seed_corpus_sentences():
    report = Report()
    docs = list(read_conll(SEED, schema=SCHEMA, report=report))
    assert len(docs) == 1
    sents = docs[0].sentences
    assert len(sents) == 14
    assert sum(len(s) for s in sents) == 249
    assert list(sents[0].words) == ["Пробуем", "запустить", "с", "датасетом", "по", "умолчанию", "-", "Alpaca", "."]
    assert [s.label for d in docs for s in d.spans][:3] == ["Dataset", "Dataset", "Activity"]
    assert [i.code for i in report.issues] == ["W101"]
    assert report.errors == []


# -- tag schemes -------------------------------------------------------------------------------

def test_iob1_file_is_converted_with_one_warning():
    text = "Яндекс\tI-Organization\nи\tO\nGPT\tI-Model\n-\tI-Model\n4\tI-Model\nBERT\tB-Model\n"
    docs, report = parse(text)
    assert sentences(docs)[0][1] == ["B-Organization", "O", "B-Model", "I-Model", "I-Model", "B-Model"]
    assert codes(report) == [(0, "W102")]
    assert [(c.line, c.before, c.after) for c in report.changes] == [
        (1, "I-Organization", "B-Organization"), (3, "I-Model", "B-Model")]


def test_bioes_file_is_converted():
    text = "GPT\tB-Model\n-\tI-Model\n4\tE-Model\nот\tO\nOpenAI\tS-Organization\n"
    docs, report = parse(text)
    assert sentences(docs)[0][1] == ["B-Model", "I-Model", "I-Model", "O", "B-Organization"]
    assert codes(report) == [(0, "W102")]


def test_bilou_file_is_converted():
    docs, report = parse("GPT\tB-Model\n4\tL-Model\nот\tO\nOpenAI\tU-Organization\n")
    assert sentences(docs)[0][1] == ["B-Model", "I-Model", "O", "B-Organization"]


def test_mixed_schemes_are_reported():
    docs, report = parse("GPT\tI-Model\n4\tE-Model\n\nот\tO\nOpenAI\tS-Organization\n")
    assert {c for _, c in codes(report)} == {"W102", "W108"}


def test_iob2_file_with_i_after_o_is_an_error_with_a_fix():
    text = "Яндекс\tB-Organization\nи\tO\nGPT\tI-Model\n"
    docs, report = parse(text)
    assert codes(report) == [(3, "E113")]
    assert "--fix turns it into B-Model" in report.issues[0].message
    assert sentences(docs)[0][1] == ["B-Organization", "O", "B-Model"]


def test_i_after_another_type_is_an_error_not_fixed():
    docs, report = parse("GPT\tB-Model\nOpenAI\tI-Organization\n")
    assert codes(report) == [(2, "E113")]
    assert "ambiguous, not fixed" in report.issues[0].message
    assert sentences(docs)[0][1] == ["B-Model", "I-Organization"]
    assert report.changes == []


# -- errors with exact lines -----------------------------------------------------------------

@pytest.mark.parametrize("text, expected, fixed_tags", [
    ("а\tO\nб\n", [(2, "E110")], ["O", ""]),
    ("BERT\tB_Model\n", [(1, "E111")], ["B-Model"]),
    ("BERT\tb-Model\n", [(1, "E111")], ["B-Model"]),
    ("BERT\tX-Model\n", [(1, "E111")], ["X-Model"]),
    ("BERT\tModel\n", [(1, "E111")], ["Model"]),
    ("и\t0\n", [(1, "E111")], ["O"]),
    ("BERT\tB-Modle\n", [(1, "E112")], ["B-Modle"]),
    ("BERT\tB-model\n", [(1, "E112")], ["B-Model"]),
])
def test_tag_errors(text, expected, fixed_tags):
    docs, report = parse(text)
    assert codes(report) == expected
    assert sentences(docs)[0][1] == fixed_tags


def test_unknown_label_names_the_closest():
    _, report = parse("BERT\tB-Modle\n")
    assert "'Modle' is not in the schema" in report.issues[0].message
    assert "did you mean 'Model'?" in report.issues[0].message


def test_labels_auto_accepts_any_label():
    docs, report = parse("Путин\tB-Person\n", schema=None)
    assert report.issues == [] and sentences(docs)[0][1] == ["B-Person"]


def test_issue_line_format():
    _, report = parse("GPT\tB-Model\nи\tO\nBERT\tI-Model\n")
    assert str(report.issues[0]) == ("t.conll:3: error E113: I-Model after O (expected B-Model); "
                                     "--fix turns it into B-Model")


# -- files: encodings, binary, empty, missing ------------------------------------------------

CYR = "Яндекс\tB-Organization\nобучил\tO\nмодель\tO\nёжик\tO\n"


@pytest.mark.parametrize("encoding, code", [
    ("utf-8", None), ("utf-8-sig", None), ("cp1251", "W103"), ("koi8-r", "W103"), ("utf-16", "W103"),
])
def test_encodings_are_detected(tmp_path, encoding, code):
    path = tmp_path / "x.conll"
    path.write_bytes(CYR.encode(encoding))
    report = Report()
    docs = list(read_conll(path, schema=SCHEMA, report=report))
    assert sentences(docs) == [(["Яндекс", "обучил", "модель", "ёжик"], ["B-Organization", "O", "O", "O"])]
    assert [i.code for i in report.issues] == ([code] if code else [])


@pytest.mark.parametrize("codec, word", [("mac_roman", "Яндекс"), ("cp1252", "Модель"), ("latin-1", "Яндекс")])
def test_mojibake_is_reported_and_repaired(codec, word):
    broken = word.encode("utf-8").decode(codec)
    docs, report = parse(f"{broken}\tO\nвыпустил\tO\n")
    assert sentences(docs)[0][0] == [word, "выпустил"]
    assert codes(report) == [(1, "W104")]
    assert report.changes[0].before == broken and report.changes[0].after == word


def test_lookalike_and_control_characters():
    docs, report = parse("Мoдель\tO\nсло\x07во\tO\nBERT-а\tB-Model\n")
    assert codes(report) == [(1, "W107"), (2, "W106")]


@pytest.mark.parametrize("content, code", [
    (b"", "E102"), (b"\n\n  \n", "E102"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "E101"),
])
def test_bad_files(tmp_path, content, code):
    path = tmp_path / "x.conll"
    path.write_bytes(content)
    report = Report()
    assert list(read_conll(path, report=report)) == []
    assert [i.code for i in report.issues] == [code]


def test_missing_file_and_directory(tmp_path):
    report = Report()
    assert list(read_conll(tmp_path / "nope.conll", report=report)) == []
    assert list(read_conll(tmp_path, report=report)) == []
    assert [i.code for i in report.issues] == ["E100", "E100"]


def test_invalid_utf8_bytes_in_the_middle(tmp_path):
    path = tmp_path / "x.conll"
    path.write_bytes(("а\tO\n" * 10).encode() + b"\xff\xfe\tO\n" + "б\tO\n".encode())
    report = Report()
    docs = list(read_conll(path, report=report))
    assert sum(len(s) for d in docs for s in d.sentences) == 12


# -- streaming across chunks -----------------------------------------------------------------

def test_a_blank_line_split_between_two_pieces_still_breaks_the_sentence():
    # issue 8, defect 1: the two newlines of a blank line arrive in different pieces
    docs = list(conll.parse_conll(["a\tO\n", "\nc\tO\n"]))
    assert sentences(docs) == [(["a"], ["O"]), (["c"], ["O"])]
    assert [s.line for s in docs[0].sentences] == [1, 3]


def test_a_million_byte_chunk_ending_inside_a_blank_line_loses_no_sentence(tmp_path):
    # issue 8, defect 1, as found: 300,001 one-token sentences read with the default 1 MiB chunk
    path = tmp_path / "x.conll"
    path.write_text("abcdefgh\tO\n\n" + "x\tO\n\n" * 300_000, encoding="utf-8")
    got = list(iter_sentences(path, report=Report()))
    assert len(got) == 300_001
    assert [s.line for s in got[-2:]] == [599_999, 600_001]


def test_label_studio_conll2003_export_reads_whole():
    # issue 8, defect 2: the last sentence came out as [('BERT', '-X-'), ('_', 'B-Model')]
    text = ("-DOCSTART- -X- O O\n\nЯндекс -X- _ B-Organization\nвыложил -X- _ O\n\n"
            "BERT -X- _ B-Model\n\n")
    docs, report = parse(text)
    assert sentences(docs) == [(["Яндекс", "выложил"], ["B-Organization", "O"]), (["BERT"], ["B-Model"])]
    assert report.issues == []


def test_a_tagless_line_after_a_three_column_line_is_e110_not_e111():
    docs, report = parse("Яндекс NNP B-Organization\nвыложил\n")
    assert codes(report) == [(2, "E110")]
    assert sentences(docs) == [(["Яндекс", "выложил"], ["B-Organization", ""])]


def test_streamed_sentences_are_the_documents_sentences(tmp_path):
    # iter_sentences dropped the sentences of documents that -DOCSTART- closed, and every
    # sentence whose breaks were inferred (W101)
    for text in ("-DOCSTART-\n\nа\tO\n\nб\tO\n-DOCSTART-\nв\tO\n",
                 "Привет\tO\n.\tO\nКак\tO\nдела\tO\n"):
        path = tmp_path / "x.conll"
        path.write_text(text, encoding="utf-8")
        docs = list(read_conll(path, report=Report()))
        streamed = list(iter_sentences(path, report=Report()))
        assert streamed == [s for d in docs for s in d.sentences] and len(streamed) in (3, 2)


def test_every_chunk_size_reads_the_same(tmp_path):
    text = ("-DOCSTART- -X- O O\r\n\r\n# text = x\r\nЯндекс\tB-Organization\r\n \t\r\nмодель NN O\n\n\n"
            "1\xa0000\tO\nBERT -X- _ B-Model\nслово\n\n")
    path = tmp_path / "x.conll"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    expected = [(4, ["Яндекс"], ["B-Organization"]), (6, ["модель"], ["O"]),
                (9, ["1\xa0000", "BERT", "слово"], ["O", "B-Model", ""])]
    for size in range(1, len(text) + 2):
        report = Report()
        docs = list(read_conll(path, schema=SCHEMA, report=report, chunk_size=size))
        got = [(s.line, list(s.words), list(s.tags)) for d in docs for s in d.sentences]
        assert (size, got, codes(report)) == (size, expected, [(9, "W105"), (11, "E110")])


def test_write_then_read_is_identity(tmp_path):
    docs, _ = parse("-DOCSTART-\n\nа\tO\nб\tB-Model\n\nв\tI-Model\n")
    write_conll(docs, tmp_path / "o.conll")
    again = list(read_conll(tmp_path / "o.conll", schema=SCHEMA))
    assert sentences(again) == sentences(docs)


def test_detect_encoding_on_utf16_and_binary():
    assert conll.detect_encoding(codecs.BOM_UTF16_LE + "а".encode("utf-16-le")) == "utf-16"
    assert conll.detect_encoding(b"\x00\x01\x02") is None


# -- the reader against a plain reference, on random files and random chunk sizes ----------------
# The reference reads a line at a time, shares no code with the reader, and says what the
# README says: tabs separate columns when a line has one (spaces then belong to the token),
# otherwise spaces do; the tag is the last column; a line of spaces and tabs breaks the
# sentence; -DOCSTART- breaks the document; '#' opens a comment unless the line ends in a tag;
# a document with no break at all is cut after final punctuation before a capital or a quote.

def _fields(line):
    if "\t" in line:
        return [f.strip(" ") for f in line.split("\t") if f.strip(" ")]
    return [f for f in line.split(" ") if f]


def _tag_like(field):
    return field == "O" or (len(field) > 2 and field[1] == "-" and field[0] in "BIESLU")


def reference(text, infer=True):
    """(documents as [(docstart, [(line, words, tags)])], lines of tagless tokens, lines with > 4 columns)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()  # the last line break ends the last line; it opens no new one
    docs, tagless, wide = [], [], []
    doc, sent = [], []
    docstart, broke = False, False

    def close(at_doc_end):
        nonlocal sent, broke
        if not sent:
            return
        cuts = []
        if infer and at_doc_end and not broke:
            cuts = [i + 1 for i in range(len(sent) - 1)
                    if sent[i][1] in {".", "!", "?", "…", "...", "?!", "!?", "?.."} and sent[i][2] == "O"
                    and (sent[i + 1][1][:1].isupper() or sent[i + 1][1][:1] in "«\"“„")]
        broke = broke or not at_doc_end
        for a, b in zip([0, *cuts], [*cuts, len(sent)]):
            part = sent[a:b]
            doc.append((part[0][0], tuple(w for _, w, _ in part), tuple(t for _, _, t in part)))
        sent = []

    for number, line in enumerate(lines, 1):
        fields = _fields(line)
        if not fields:
            close(False)
        elif fields[0] == "-DOCSTART-":
            close(True)
            if doc:
                docs.append((docstart, doc))
            doc, docstart, broke = [], True, False
        elif fields[0].startswith("#") and (len(fields) == 1 or not _tag_like(fields[-1])):
            close(False)
        else:
            if len(fields) == 1:
                tagless.append(number)
            if len(fields) > 4:
                wide.append(number)
            sent.append((number, fields[0], fields[-1] if len(fields) > 1 else ""))
    close(True)
    if doc:
        docs.append((docstart, doc))
    return docs, tagless, wide


_WORD_CHARS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЯabcxyzABCXYZ0123456789.,!?«»-…\xa0\u2009\u1680\x07\ufeff😀"
_WORDS = st.one_of(
    st.sampled_from([".", "!", "...", "Яндекс", "BERT", "модель", "1\xa0000", "Мoдель", "«Сбер»", "-", "ё"]),
    st.text(alphabet=_WORD_CHARS, min_size=1, max_size=5),
).filter(lambda w: w.strip(" \t") == w and not w.startswith("#"))
_SEPARATORS = st.sampled_from(["\t", " ", "   ", "\t ", " \t"])


@st.composite
def _token_lines(draw, tags):
    """Token lines for consecutive tags (one entity or one O), 1 to 5 columns each."""
    lines = []
    for tag in tags:
        sep = draw(_SEPARATORS)
        columns = [draw(_WORDS), *draw(st.lists(st.sampled_from(["-X-", "_", "NN", "O"]), max_size=3))]
        if tag is not None:
            columns.append(tag)
        else:
            columns = columns[:1]
        if "\t" in sep and len(columns) > 1 and draw(st.booleans()):
            columns[0] += " " + draw(_WORDS)  # with tabs, a space belongs to the token
        pad = draw(st.sampled_from(["", " ", "\t"] if "\t" in sep else ["", " "]))
        lines.append(draw(st.sampled_from(["", " "])) + sep.join(columns) + pad)
    return lines


@st.composite
def _entity(draw):
    label = draw(st.sampled_from(["X", "Y"]))
    return [f"B-{label}"] + [f"I-{label}"] * draw(st.integers(0, 2))


_ITEMS = st.one_of(
    _token_lines([None]),                                      # a token with no tag (E110)
    _token_lines(["O"]), _token_lines(["O"]), _token_lines(["O"]),
    _entity().flatmap(_token_lines),
    st.sampled_from([[""], ["", ""], ["", "", ""], [" "], ["\t "], ["-DOCSTART- -X- O O"], ["-DOCSTART-"],
                     ["# sent_id = 3"], ["# text = Яндекс"], ["#"], ["#\tO"], ["# B-X"]]),
)


@st.composite
def conll_files(draw):
    lines = [line for item in draw(st.lists(_ITEMS, max_size=40)) for line in item]
    ends = draw(st.lists(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"]), min_size=len(lines),
                         max_size=len(lines)))
    text = "".join(line + end for line, end in zip(lines, ends))
    if text and draw(st.booleans()):
        text = text[: -len(ends[-1])]  # no line break at the end
    return text.lstrip("\ufeff")  # at the start of a file it is a byte-order mark, not part of a token


def _read_back(docs):
    return [(d.meta["docstart"], [(s.line, s.words, s.tags) for s in d.sentences]) for d in docs]


def _issues(report):
    # an empty file and a file of blank lines say different things, both E102 at line 0
    return [(i.line, i.code, i.message if i.code != "E102" else "") for i in report.issues]


def _lines_of(report, code):
    return [i.line for i in report.issues if i.code == code]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=conll_files(), data=st.data(), infer=st.booleans(), bom=st.booleans())
def test_reader_equals_the_reference_at_every_chunk_size(text, data, infer, bom, tmp_path):
    expected, tagless, wide = reference(text, infer)
    whole = Report()
    assert _read_back(conll.parse_conll([text], schema=None, report=whole, infer_sentences=infer)) == expected
    assert _lines_of(whole, "E110") == tagless and _lines_of(whole, "W109") == wide
    issues = _issues(whole)

    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=12), label="cuts"))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
    report = Report()
    assert _read_back(conll.parse_conll(pieces, schema=None, report=report, infer_sentences=infer)) == expected
    assert _issues(report) == issues

    size = data.draw(st.one_of(st.integers(1, 8), st.integers(1, len(text) + 2)), label="chunk size")
    path = tmp_path / "random.conll"
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8"))
    report = Report()
    docs = list(read_conll(path, schema=None, report=report, infer_sentences=infer, chunk_size=size))
    assert _read_back(docs) == expected
    assert _issues(report) == issues
    streamed = list(iter_sentences(path, schema=None, report=Report(), infer_sentences=infer, chunk_size=size))
    assert [(s.line, s.words, s.tags) for s in streamed] == [s for _, doc in expected for s in doc]
