"""Pure Label Studio JSON <-> records: offsets, snapping, overlaps, the round trip on hard strings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.check import Report
from ner.formats.conll import parse_conll_string
from ner.labelstudio.layout import Layout
from ner.labelstudio.config import ConfigNames, config_names, format_labeling_config, label_styles
from ner.labelstudio.offsets import Resolver, snap
from ner.labelstudio.tasks import document_tasks, spans_to_results, task_sentences
from ner.records import Span
from ner.schema import Label, Schema, load_schema
from ner.text import index_to_utf16

NAMES = ConfigNames()
HARD = "Смотрим 😀 BERT-а и PyTorch'е.\r\nЁжик\u00a0йод в 2022 году 🚀🚀 обучили ruBERT."


def region(text, start, end, label, utf16=False, shown=None):
    """A region as the editor writes it: code-point offsets and the selected text (UTF-16 as old exports)."""
    s, e = (index_to_utf16(text, start), index_to_utf16(text, end)) if utf16 else (start, end)
    return {"from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": s, "end": e, "text": text[start:end] if shown is None else shown, "labels": [label]}}


def pull(text, results, data=None):
    report = Report()
    task = {"id": 7, "data": {"text": text, **(data or {})}}
    sentences = task_sentences(task, results, names=NAMES, where="task 7", report=report)
    pairs = [(w, t) for s in sentences for w, t in zip(s.words, s.tags)]
    return [p for p in pairs if p[1] != "O"], report


@pytest.mark.parametrize("word,label", [("BERT-а", "Model"), ("Ёжик", "Dataset"), ("йод", "Task"),
                                        ("ruBERT", "Model"), ("2022", "Date")])
@pytest.mark.parametrize("utf16", [True, False])
def test_region_lands_on_its_token_in_either_unit(word, label, utf16):
    start = HARD.index(word)
    tagged, report = pull(HARD, [region(HARD, start, start + len(word), label, utf16)])
    assert tagged == [(word, f"B-{label}")]
    shifted = utf16 and index_to_utf16(HARD, start) != start
    assert [i.code for i in report.issues] == (["W206"] if shifted else [])
    if shifted:
        assert "read as UTF-16" in report.issues[0].message


ASTRAL = "🚀 🚀 Компания OpenAI выпустила GPT-4 👍 в 2023 году."


def test_code_points_are_read_first_and_the_issue_example_lands_exactly():
    # The regions of issue 9 item 8, as Label Studio 1.23 stores them (code points).
    results = [region(ASTRAL, 13, 19, "Organization"), region(ASTRAL, 30, 35, "Model"),
               region(ASTRAL, 40, 49, "Date")]
    tagged, report = pull(ASTRAL, results)
    assert tagged == [("OpenAI", "B-Organization"), ("GPT-4", "B-Model"), ("2023", "B-Date"), ("году", "I-Date")]
    assert report.issues == []


def test_utf16_reading_is_a_reported_fallback_and_two_fits_are_ambiguous():
    text = "😀 аааа"
    # Code points 3:5 and UTF-16 3:5 (code points 2:4) both give 'аа': not placed, both places named.
    tagged, report = pull(text, [region(text, 3, 5, "Model")])
    assert tagged == [] and [i.code for i in report.issues] == ["E205"]
    assert "3:5 in code points, 2:4 in UTF-16" in report.issues[0].message


def test_spans_to_results_writes_code_points_for_astral_characters_before_inside_and_between():
    text = "🚀 Llama🦙2 и 👍 GPT-4 👍"
    spans = [Span(2, 9, "Model", "Llama🦙2"), Span(14, 19, "Model", "GPT-4")]
    out = spans_to_results(text, spans, "label", "text")
    assert [(r["value"]["start"], r["value"]["end"]) for r in out] == [(2, 9), (14, 19)]


def test_crlf_counted_as_one_character_resolves():
    text = "Строка\r\nBERT 😀 вышел"
    start = text.index("BERT")
    # A browser that folds \r\n to \n counts one character less before BERT.
    r = {"from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": start - 1, "end": start + 3, "text": "BERT", "labels": ["Model"]}}
    assert pull(text, [r])[0] == [("BERT", "B-Model")]


def test_unresolvable_offsets_are_reported_not_placed():
    tagged, report = pull(HARD, [region(HARD, 0, 7, "Model", shown="Другое")])
    assert tagged == []
    assert [i.code for i in report.issues] == ["E201"]
    assert "task 7" in str(report.issues[0]) and "'Другое'" in str(report.issues[0])


def test_a_labels_region_without_offsets_or_labels_is_reported_not_dropped():
    """A broken export: a region that lost its start, or a ``labels`` result with no labels key."""
    text = "BERT и GPT тут"
    no_start = region(text, 0, 4, "Model")
    del no_start["value"]["start"]
    no_labels = region(text, 7, 10, "Model")
    del no_labels["value"]["labels"]
    per_region_choice = {"from_name": "kind", "to_name": "text", "type": "choices",
                         "value": {"start": 0, "end": 4, "text": "BERT", "choices": ["open"]}}
    tagged, report = pull(text, [no_start, no_labels, per_region_choice])
    assert tagged == []
    assert sorted(i.code for i in report.issues) == ["E201", "E204"]
    assert "'BERT'" in str(report.issues[0]) + str(report.issues[1])


def test_a_task_without_its_text_is_reported_not_read_as_empty():
    """Not an export of this project (another text key, or no Label Studio task at all): say so."""
    report = Report()
    task = {"id": 9, "data": {"foo": 1, "bar": ["BERT"]}, "annotations": []}
    assert task_sentences(task, [region("BERT", 0, 4, "Model")], names=NAMES, where="task 9", report=report) == []
    assert [(i.code, i.severity) for i in report.issues] == [("E206", "error")]
    assert "task 9" in str(report.issues[0]) and "data.text" in str(report.issues[0])


def test_a_region_across_a_sentence_break_is_split_per_sentence_and_reported():
    """The editor shows sentences on lines of one text; a region may run over the line break (often a
    sentence split in the wrong place). Never a sentence that opens with I-X, never silently."""
    from ner.formats.conll import parse_conll_string

    docs = parse_conll_string("Мы\tO\nвзяли\tO\nCommon\tO\n\nCrawl\tO\nвчера\tO\n\nДа\tO\n.\tO\n\n", path="x.conll")
    [task] = document_tasks(docs[0], tags_as=None)
    text = task["data"]["text"]
    assert text == "Мы взяли Common\nCrawl вчера\nДа."
    start = text.index("Common")
    report = Report()
    got = task_sentences(task, [region(text, start, text.index(" вчера"), "Dataset")], names=NAMES, where="task 7",
                         report=report)
    assert [(s.words, s.tags) for s in got] == [
        (("Мы", "взяли", "Common"), ("O", "O", "B-Dataset")), (("Crawl", "вчера"), ("B-Dataset", "O")),
        (("Да", "."), ("O", "O"))]
    assert [i.code for i in report.issues] == ["W208"] and "after 'Common'" in report.issues[0].message


def test_span_crossing_a_token_boundary_is_snapped_and_listed():
    text = "Обучили модель GPT-3 на данных"
    start = text.index("ель GPT-3")  # starts inside 'модель' (covers 3 of 6 letters: ambiguous)
    tagged, report = pull(text, [region(text, start, start + len("ель GPT-3"), "Model")])
    assert tagged == []
    assert [i.code for i in report.issues] == ["E202"]
    start = text.index("ль GPT")  # covers 2 of 6 letters of 'модель', 3 of 5 of 'GPT-3'
    tagged, report = pull(text, [region(text, start, start + len("ль GPT"), "Model")])
    assert tagged == [("GPT-3", "B-Model")]
    assert [i.code for i in report.issues] == ["W201"]
    assert "start moved past 'модель'" in report.issues[0].message
    assert "-> 'GPT-3'" in report.issues[0].message


def test_region_inside_one_token_grows_to_it():
    text = "Дообучили BERT-а вчера"
    start = text.index("BERT")
    tagged, report = pull(text, [region(text, start, start + 4, "Model")])
    assert tagged == [("BERT-а", "B-Model")]
    assert report.issues[0].code == "W201" and "'BERT-а'" in report.issues[0].message
    # the whole token once: it read "grown to the whole token 'BERT-а' -> 'BERT-а'" (the trial)
    assert report.issues[0].message.endswith("not on token boundaries: grown to the whole token 'BERT-а'")


def test_overlapping_regions_keep_the_longer_and_list_the_other():
    text = "Библиотека Hugging Face Transformers удобна"
    outer = text.index("Hugging")
    inner = text.index("Hugging Face")
    tagged, report = pull(text, [region(text, inner, inner + len("Hugging Face"), "Organization"),
                                 region(text, outer, outer + len("Hugging Face Transformers"), "Application")])
    assert tagged == [("Hugging", "B-Application"), ("Face", "I-Application"), ("Transformers", "I-Application")]
    assert [i.code for i in report.issues] == ["E203"]
    assert "Organization 'Hugging Face'" in report.issues[0].message


def test_whitespace_only_region_and_several_labels_are_reported():
    text = "BERT и GPT"
    r = region(text, 0, 4, "Model")
    r["value"]["labels"] = ["Model", "Application"]
    tagged, report = pull(text, [r, region(text, 4, 5, "Task")])
    assert tagged == [("BERT", "B-Model")]
    assert sorted(i.code for i in report.issues) == ["E202", "E204"]


def test_spans_to_results_writes_code_points_with_text_and_scores():
    text = "🚀 LoRA"
    out = spans_to_results(text, [Span(2, 6, "Method_ML", "LoRA")], "label", "text", scores=[0.5])
    assert out[0]["value"] == {"start": 2, "end": 6, "text": "LoRA", "labels": ["Method_ML"]}
    assert out[0]["score"] == 0.5 and out[0]["from_name"] == "label" and out[0]["to_name"] == "text"
    with pytest.raises(ValueError):
        spans_to_results(text, [Span(0, 4, "X", "LoRA")], "label", "text")


CONLL = ("-DOCSTART- O\n\n😀\tO\nBERT-а\tB-Model\nобучили\tB-Activity\nна\tO\nЁжик\u00a0йод\tB-Dataset\n.\tO\n\n"
         "В\tO\n2022\tB-Date\nгоду\tI-Date\nPyTorch'е\tB-Application\n\n")


@pytest.mark.parametrize("per_task", [0, 1])
@pytest.mark.parametrize("tags_as", ["annotations", "predictions"])
def test_document_tasks_round_trip_exactly(per_task, tags_as):
    docs = parse_conll_string(CONLL, path="x.conll")
    layout = Layout(per_task, 0) if per_task else Layout(0, 0)
    tasks = document_tasks(docs[0], layout=layout, tags_as=tags_as, model_version="v1")
    assert len(tasks) == (2 if per_task else 1)
    back = []
    for task in tasks:
        data = task["data"]
        assert sorted(data) == ["ner", "text"]  # bookkeeping in meta, out of the Data Manager's columns
        for s, e in task["meta"]["ner"]["tokens"]:
            assert data["text"][s:e] in {w for sent in docs[0].sentences for w in sent.words}
        entry = task[tags_as][0]
        if tags_as == "predictions":
            assert entry["model_version"] == "v1" and all(r["score"] == 1.0 for r in entry["result"])
        report = Report()
        back += task_sentences(task, entry["result"], names=NAMES, where="t", report=report)
        assert report.issues == []
    assert [(s.words, s.tags) for s in back] == [(s.words, s.tags) for s in docs[0].sentences]


def test_edited_task_text_falls_back_to_razdel_with_a_warning():
    docs = parse_conll_string("BERT\tB-Model\nвышел\tO\n", path="x.conll")
    task = document_tasks(docs[0])[0]
    task["data"]["text"] = "BERT вышел вчера"
    report = Report()
    sentences = task_sentences(task, task["annotations"][0]["result"], names=NAMES, where="t", report=report)
    assert sentences[0].words == ("BERT", "вышел", "вчера")
    assert sentences[0].tags == ("B-Model", "O", "O")
    assert [i.code for i in report.issues] == ["W203"]


def test_config_has_distinct_colours_and_hotkeys_and_reads_back():
    schema = load_schema()
    xml = format_labeling_config(schema)
    names = config_names(xml)
    assert names == ConfigNames("label", "text", "text", schema.names)
    styles = label_styles(schema)
    assert len({c for _, c, _ in styles}) == len({k for _, _, k in styles}) == len(schema.labels)
    clash = Schema("c", (Label("A", "#000000", "a"), Label("B", "#000000", "a"), Label("C")))
    styles = label_styles(clash)
    assert len({c for _, c, _ in styles}) == len({k for _, _, k in styles}) == 3


def test_resolver_and_snap_tables():
    r = Resolver("😀a😀bc")
    assert r.resolve(3, 7, "😀bc") == (2, 5, "UTF-16")
    assert r.resolve(2, 5, "😀bc") == (2, 5, "code points")
    assert r.resolve(2, 4, None) == (2, 4, "code points")  # what Label Studio stores, no text to check
    assert snap([0, 5], [4, 9], "BERT и", 0, 2)[:2] == (0, 1)
    assert snap([0, 5], [4, 9], "abcd efgh", 4, 5) == "the region holds only whitespace"


@pytest.mark.parametrize("words,text", [
    (["Через", "2", ".", "5", "минуты"], "Через 2.5 минуты"),
    (["файл", "некий", ".", "bin", "удалён", "."], "файл некий.bin удалён."),
    (["Модель", "(", "2018", ")", ",", "т", ".", "е", ".", "BERT", "!"], "Модель (2018), т. е. BERT!"),
    (["«", "Яндекс", "»", "и", '"', "Сбер", '"', "."], "«Яндекс» и \"Сбер\"."),
    (["Итог", ":", "50", "%", "…"], "Итог: 50 %…"),  # as the written corpus has it (48 of 49)
    (["Конец", ".", "Затем"], "Конец. Затем"),
])
def test_detokenize_writes_as_a_person_writes(words, text):
    from ner.labelstudio.layout import detokenize

    got, offsets = detokenize(words)
    assert got == text
    assert [got[s:e] for s, e in offsets] == words


TOKENS = ["BERT", "2", "5", "2023", ".", ",", ":", "!", "?", "(", ")", "«", "»", '"', "'", "-", "—", "bin", "py",
          "некий", "ёж", "😀", "🚀x", "%", "…", "Ёжик\u00a0йод", "a.b"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS) | st.text(min_size=1, max_size=4).filter(lambda w: not any(
    c.isspace() for c in w)), max_size=30))
def test_detokenize_keeps_every_token_range_exactly(words):
    from ner.labelstudio.layout import detokenize

    text, offsets = detokenize(words)
    assert [text[s:e] for s, e in offsets] == words
    gaps = zip([0, *(e for _, e in offsets)], [*(s for s, _ in offsets), len(text)])
    assert all(text[a:b] in ("", " ") for a, b in gaps)  # one space at most, only between tokens
    assert all(a <= b for a, b in gaps)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 400), max_size=40), st.integers(0, 6), st.integers(0, 1200))
def test_chunks_cover_the_document_in_order_within_both_limits(sizes, n, m):
    from ner.labelstudio.layout import Layout, chunks

    ranges = chunks(sizes, Layout(n, m))
    assert [i for a, b in ranges for i in range(a, b)] == list(range(len(sizes)))
    assert all(a < b for a, b in ranges) or sizes == []
    for a, b in ranges:
        chars = sum(sizes[a:b]) + (b - a - 1)
        assert not n or b - a <= n
        assert not m or chars <= m or b - a == 1  # only a sentence longer than M stands alone
    # greedy: the next sentence would not have fitted
    for (a, b), (c, _) in zip(ranges, ranges[1:]):
        fits_n = not n or b - a + 1 <= n
        fits_m = not m or sum(sizes[a:b + 1]) + (b - a) <= m
        assert not (fits_n and fits_m)


def test_a_file_without_docstart_becomes_tasks_of_one_sitting_that_pull_puts_back_together():
    from ner.labelstudio.tasks import assemble

    conll = "".join(f"Предложение\tO\nномер\tO\n{k}\tO\n.\tO\n\n" for k in range(25))
    [doc] = parse_conll_string(conll, path="long.conll")
    tasks = document_tasks(doc)
    assert [len(t["meta"]["ner"]["sentences"]) for t in tasks] == [10, 10, 5]
    assert {t["meta"]["ner"]["doc"] for t in tasks} == {"long"}
    back = assemble([(t, task_sentences(t, t["annotations"][0]["result"], names=NAMES, where="t", report=Report()))
                     for t in reversed(tasks)])
    assert [(d.id, [s.words for s in d.sentences]) for d in back] == [("long", [s.words for s in doc.sentences])]


def test_keep_spans_drops_low_scores_and_spans_on_tokens_without_letters_or_digits():
    from ner.labelstudio.predict import keep_spans
    from ner.records import Token
    from ner.tagger.core import Entity, TaggedText

    text = "ChatGPT — и GPT - 4 от OpenAI"
    words = [(0, 7), (8, 9), (10, 11), (12, 15), (16, 17), (18, 19), (20, 22), (23, 29)]
    tokens = tuple(Token(text[s:e], s, e) for s, e in words)
    entities = (Entity(0, 9, "Model", "ChatGPT —", 0.9),   # ends on a dash (guidelines rule 3)
                Entity(12, 17, "Model", "GPT -", 0.9),      # ends on a hyphen
                Entity(12, 19, "Model", "GPT - 4", 0.9),    # kept: ends on a digit
                Entity(23, 29, "Organization", "OpenAI", 0.4))
    tagged = TaggedText(text, entities, 0.4, tokens)
    assert [e.text for e in keep_spans(tagged, 0.5).entities] == ["GPT - 4"]
    assert [e.text for e in keep_spans(tagged, 0.0).entities] == ["GPT - 4", "OpenAI"]
    assert [e.text for e in keep_spans(tagged, 0.0, labels={"Model"}).entities] == ["GPT - 4"]


@pytest.mark.parametrize("action", ["pull", "convert"])
def test_pull_and_convert_refuse_an_output_extension_that_names_no_format(action, tmp_path, capsys):
    from ner.cli import main

    export = tmp_path / "export.json"
    export.write_text("[]", encoding="utf-8")
    argv = ["ls", "pull", str(tmp_path / "out.xyz"), "--project", "p", "--url", "http://127.0.0.1:9",
            "--api-key", "k"] if action == "pull" else ["ls", "convert", str(export), str(tmp_path / "out.xyz")]
    assert main(argv) == 2
    assert "out.xyz: the extension names no corpus format; use one of .conll" in capsys.readouterr().err
    assert not (tmp_path / "out.xyz").exists()


def test_tasks_pushed_before_meta_are_still_read_with_their_stored_tokens():
    from ner.labelstudio.tasks import task_info, task_key

    text = "2. 5 минуты BERT-а"  # as the old join wrote it; the stored ranges are the truth
    task = {"id": 3, "data": {"text": text, "ner_doc": "d", "ner_part": 2, "ner_sentences": [5],
                              "ner_tokens": [[0, 1], [1, 2], [3, 4], [5, 11], [12, 18]], "ner_docstart": True}}
    assert task_key(task) == ("d", 2) and task_info(task)["docstart"] is True
    tagged, report = pull(text, [region(text, 12, 18, "Model")], data=task["data"])
    assert tagged == [("BERT-а", "B-Model")] and report.issues == []


@pytest.mark.parametrize("name, content, says", [
    ("README.md", "# ner\n\nSome prose, not an export.\n", "not a Label Studio export (JSON, JSON-MIN, or CONLL2003"),
    ("plain.conll", "Яндекс\tB-Organization\n\n", "for a corpus file use 'ner convert'"),
    ("bad.json", '{"a": 1}', "neither tasks with 'data' (JSON) nor rows with the text field 'text'"),
])
def test_ls_convert_refuses_what_is_not_an_export(tmp_path, capsys, name, content, says):
    """README.md was read as a CONLL2003 export (hundreds of errors, a file written) and {"a": 1} as an empty
    JSON-MIN export (exit 0)."""
    from ner.cli import main

    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert main(["ls", "convert", str(path), str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0]
    assert not (tmp_path / "out.jsonl").exists()


def test_an_annotation_counts_as_accepted_only_when_made_from_a_prediction_and_left_as_it_was():
    from ner.labelstudio.annotations import accepted_from

    def region(start, end, label, text):
        return {"from_name": "label", "to_name": "text", "type": "labels",
                "value": {"start": start, "end": end, "text": text, "labels": [label]}}

    llama, yandex = region(0, 5, "Model", "Llama"), region(8, 14, "Organization", "Яндекс")
    viewed = {"id": 7, "model_version": "v1", "result": [llama, yandex]}
    export = {"predictions": [7]}                                     # a JSON export lists them by id
    assert accepted_from({"parent_prediction": 7, "prediction": viewed, "result": [yandex, llama]}, export) == "v1"
    assert accepted_from({"parent_prediction": 7, "prediction": viewed, "result": [llama]}, export) is None
    moved = region(0, 6, "Model", "Llama ")
    assert accepted_from({"parent_prediction": 7, "prediction": viewed, "result": [moved, yandex]}, export) is None
    retyped = region(8, 14, "Model", "Яндекс")
    assert accepted_from({"parent_prediction": 7, "prediction": viewed, "result": [llama, retyped]}, export) is None
    assert accepted_from({"parent_prediction": None, "prediction": viewed, "result": [llama, yandex]}, export) is None
    assert accepted_from({"result": [llama, yandex]}, {"predictions": [viewed]}) is None     # drawn by hand
    assert accepted_from({"parent_prediction": 8, "prediction": viewed, "result": [llama, yandex]}, export) is None
    # the task's own prediction objects (the paged listing), none recorded as viewed; an empty one accepted empty
    listed = {"predictions": [{"id": 3, "model_version": "v0", "result": []}, viewed]}
    assert accepted_from({"parent_prediction": 7, "prediction": {}, "result": [llama, yandex]}, listed) == "v1"
    assert accepted_from({"parent_prediction": 3, "result": []}, listed) == "v0"
    assert accepted_from({"parent_prediction": 3, "result": [llama]}, listed) is None
    assert accepted_from({"parent_prediction": 9, "result": []}, listed) is None              # deleted since
    # a prediction made without the regions' text (an ML backend's), submitted as it stood: the editor adds the text
    bare = {"id": 5, "model_version": "v2", "result": [{**llama, "value": {**llama["value"], "text": None}}]}
    assert accepted_from({"parent_prediction": 5, "result": [llama]}, {"predictions": [bare]}) == "v2"
