"""The CoNLL reader: what real files contain, each case with exact tokens, tags, lines and codes."""

from __future__ import annotations

import codecs

import pytest

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

def test_sentences_across_chunk_boundaries_keep_their_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(textfile, "CHUNK", 64)
    lines = []
    expected = []
    for i in range(40):
        words = [f"слово{i}_{j}" for j in range(i % 5 + 1)]
        expected.append((len(lines) + 1, words))
        lines += [f"{w}\tO" for w in words] + [""]
    path = tmp_path / "x.conll"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = Report()
    got = [(s.line, list(s.words)) for s in iter_sentences(path, report=report)]
    assert got == expected and report.issues == []


def test_write_then_read_is_identity(tmp_path):
    docs, _ = parse("-DOCSTART-\n\nа\tO\nб\tB-Model\n\nв\tI-Model\n")
    write_conll(docs, tmp_path / "o.conll")
    again = list(read_conll(tmp_path / "o.conll", schema=SCHEMA))
    assert sentences(again) == sentences(docs)


def test_detect_encoding_on_utf16_and_binary():
    assert conll.detect_encoding(codecs.BOM_UTF16_LE + "а".encode("utf-16-le")) == "utf-16"
    assert conll.detect_encoding(b"\x00\x01\x02") is None
