"""Markup: mask() keeps offsets and blanks only markup; clean_tags() keeps markup, punctuation,
speaker tags and URL pieces out of entities; the tagger's model view is the same for a markdown
document and for the same text with its markup blanked."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ner.markup import clean_tags, mask, model_inputs, model_outputs
from ner.models.base import Prediction
from ner.text import segment


@pytest.mark.parametrize("text, kept", [
    ("## Итоги: **LoRA** и [гайд](https://x.io)", ["Итоги:", "LoRA", "и", "гайд"]),
    ("| 1 | **RAG** | ответы по базе |", ["1", "RAG", "ответы", "по", "базе"]),
    ("|---|:---:|---|", []),
    ("---", []),
    ("### ❌ Слишком высокий lr", ["❌", "Слишком", "высокий", "lr"]),
    ("SP_1: ну, короче, лора", ["ну,", "короче,", "лора"]),
    ("[10:02] Антон: привет", ["Антон:", "привет"]),
    ("@anna: кто сравнивал gpt-4o?", ["кто", "сравнивал", "gpt-4o?"]),
    ("> **Важно:** цифры", ["Важно:", "цифры"]),
    ("- [ ] Алерты в Grafana", ["Алерты", "в", "Grafana"]),
    ("1. **Роль.** «Ты юрист»", ["Роль.", "«Ты", "юрист»"]),
    ("запусти `python train.py --lr 2e-4` или `vLLM`", ["запусти", "или", "vLLM"]),
    ("пиши на ivan.petrov@example.com или https://github.com/x/y.", ["пиши", "на", "или", "."]),
    ("snake_case, SP_1 и __init__", ["snake_case,", "SP_1", "и", "init"]),
    ("*Таблица обновлена в сентябре.*", ["Таблица", "обновлена", "в", "сентябре."]),
    ("текст <br> ещё ![схема](img.png)", ["текст", "ещё", "схема"]),
    ("C++ и 2 * 3 — это ~~не~~ код", ["C++", "и", "2", "3", "—", "это", "не", "код"]),
])
def test_mask_blanks_markup_only(text, kept):
    masked = mask(text)
    assert len(masked) == len(text)
    assert masked.split() == kept
    assert all(m == c or m == " " for m, c in zip(masked, text))


def test_fenced_code_is_blank_and_line_breaks_stay():
    text = "Запуск:\r\n```bash\r\npython train.py --model BERT\r\n```\r\nГотово, [BERT](x.md) обучен.\n"
    masked = mask(text)
    assert len(masked) == len(text) and masked.count("\n") == text.count("\n") and masked.count("\r") == text.count("\r")
    assert masked.split() == ["Запуск:", "Готово,", "BERT", "обучен."]
    assert masked.index("BERT") == text.index("[BERT]") + 1


@pytest.mark.parametrize("words, tags, expected", [
    # markup and punctuation trimmed off both edges; the entity keeps its inner words
    (["|", "**", "LoRA", "**", "|"], ["B-Method_ML", "I-Method_ML", "I-Method_ML", "I-Method_ML", "O"],
     ["O", "O", "B-Method_ML", "O", "O"]),
    (["#", "#", "#", "❌", "GPT-4"], ["B-Model", "I-Model", "I-Model", "I-Model", "I-Model"],
     ["O", "O", "O", "O", "B-Model"]),
    (["**", "“", "RLHF", "”", "**"], ["O", "B-Method_ML", "I-Method_ML", "I-Method_ML", "I-Method_ML"],
     ["O", "O", "B-Method_ML", "O", "O"]),
    (["GPT", "-", "2", "—"], ["B-Model", "I-Model", "I-Model", "I-Model"], ["B-Model", "I-Model", "I-Model", "O"]),
    # entities of nothing but markup go
    (["|", "---", "|", "---", "|"], ["O", "B-Date", "I-Date", "I-Date", "O"], ["O"] * 5),
    ([">", "—", "текст"], ["B-Task", "I-Task", "O"], ["O", "O", "O"]),
    # a speaker tag opening a turn is not an entity; the same word elsewhere may be
    (["SP_1", ":", "взяли", "LoRA"], ["B-Model", "O", "O", "B-Method_ML"], ["O", "O", "O", "B-Method_ML"]),
    (["модель", "T5_3", "лучше"], ["O", "B-Model", "O"], ["O", "B-Model", "O"]),
    # pieces of a URL or e-mail address are not entities; a name after the URL is
    (["https", ":", "/", "/", "huggingface", ".", "co", "/", "Qwen", "и", "Qwen"],
     ["O", "O", "O", "O", "B-Organization", "O", "O", "O", "B-Model", "O", "B-Model"],
     ["O"] * 10 + ["B-Model"]),
    (["ivan", "@", "openai", ".", "com"], ["O", "O", "B-Organization", "O", "O"], ["O"] * 5),
    # an I- that opens an entity is read as B- (conlleval), two neighbours stay two
    (["BERT", "RoBERTa"], ["I-Model", "B-Model"], ["B-Model", "B-Model"]),
])
def test_clean_tags(words, tags, expected):
    assert clean_tags(words, tags) == expected


def test_clean_tags_wants_one_tag_per_word():
    with pytest.raises(ValueError, match="2 words but 1 tags"):
        clean_tags(["a", "b"], ["O"])


class _Echo:
    """A real tagging rule for the plumbing: every Latin word with a capital letter is a Model."""

    def predict(self, batch):
        return [Prediction(tuple("B-Model" if w.isascii() and not w.islower() and w.isalpha() else "O" for w in words),
                           tuple(0.5 for _ in words)) for words in batch]


def _entities(text):
    sentences = segment(text)
    batch, plan = model_inputs([(text, sentences)])
    out = model_outputs(plan, _Echo().predict(batch))
    found = []
    for sentence, prediction in zip(sentences, out):
        for k, tag in enumerate(prediction.tags):
            if tag != "O":
                found.append((sentence[k][0], sentence[k][1], tag))
    return batch, found


def test_model_view_of_a_markdown_document_exact_offsets():
    text = "## Методы\n| 1 | **LoRA** | см. [PEFT](https://hf.co/docs) |\nSP_1: берём `vLLM`, пиши на a@b.io\n"
    batch, found = _entities(text)
    assert batch == [["Методы"], ["1"], ["LoRA"], ["см", ".", "PEFT"], ["берём", "vLLM", ",", "пиши", "на"]]
    assert found == [(text.index("LoRA"), text.index("LoRA") + 4, "B-Model"),
                     (text.index("PEFT"), text.index("PEFT") + 4, "B-Model"),
                     (text.index("vLLM"), text.index("vLLM") + 4, "B-Model")]


def test_lines_are_separate_model_inputs():
    batch, _ = _entities("Итог\nGPT-4 лучше.\n\nA: да")
    assert batch == [["Итог"], ["GPT-4", "лучше", "."], ["A", ":", "да"]]


_PIECES = st.sampled_from([
    "LoRA", "Яндекс", "GPT-4", "обучение", "в", "2023", "году", "**", "*", "`vLLM`", "`pip install x`", "|",
    "[PEFT](https://hf.co/p)", "https://x.com/a", "a@b.io", "<br>", "~~", "—", "«", "»", ",", ".", "_", "SP_2",
])
_LINE_STARTS = st.sampled_from(["", "## ", "> ", "- ", "1. ", "- [x] ", "SP_1: ", "[00:01] ", "@anna: ", "| ",
                                "|---|---|\n| "])  # the last: a header row above


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_LINE_STARTS, st.lists(_PIECES, max_size=8)), max_size=6))
def test_markdown_and_its_blanked_twin_give_the_same_model_view_and_entities(lines):
    """Outside tables (whose cells are pieces of their own: tests/test_tables.py)."""
    from ner.tables import is_row

    text = "\n".join(start + " ".join(pieces) for start, pieces in lines)
    assume(not any(is_row(line) for line in text.splitlines()))
    twin = mask(text)
    assert mask(twin) == twin  # blanking is idempotent: the twin has no markup left
    batch, found = _entities(text)
    twin_batch, twin_found = _entities(twin)
    assert batch == twin_batch
    assert found == twin_found
    for start, end, _ in found:
        assert text[start:end] == twin[start:end] and text[start:end].strip() == text[start:end]


@pytest.mark.parametrize("text", ["У ChatGPT есть датасет Alpaca. И ещё GPT-4.", "", "😀 BERT-а и PyTorch'е", "a\u2028b BERT",
                                  "Строка\r\nУ ChatGPT\r\n\r\nесть датасет Alpaca.\r\n"])
def test_plain_text_takes_the_short_way_to_the_same_pieces(text):
    from ner.markup import pieces

    batch, plan = model_inputs([(text, segment(text))])
    assert batch == [[w for _, _, w in piece] for piece in pieces(text)]


def test_the_tagger_keeps_urls_code_and_markup_out_of_entities():
    from ner.tagger.core import Tagger

    text = "SP_1: см. https://huggingface.co/Qwen и `pip install Peft` про **LoRA**\n| 1 | BERT | Api |"
    got = [(e.start, e.end, e.label, e.text) for e in Tagger(_Echo()).tag(text)]
    lora, bert, api = text.index("LoRA"), text.index("BERT"), text.index("Api")
    assert got == [(lora, lora + 4, "Model", "LoRA"), (bert, bert + 4, "Model", "BERT"), (api, api + 3, "Model", "Api")]
    assert [(e.start, e.end) for e in Tagger(_Echo()).tag(mask(text))] == [g[:2] for g in got]


def _model_outputs_reference(plan, predictions):
    """The plain version of ``model_outputs``: every sentence looks at every entity range of its text."""
    from bisect import bisect_left, bisect_right

    from ner.bio import spans_tags, tags_spans, to_iob2
    from ner.markup import _disjoint

    out, p = [], 0
    for sentences, text_pieces in plan:
        ranges, scored = [], []
        for piece in text_pieces:
            prediction = predictions[p]
            p += 1
            own = [k for k, (start, _, _) in enumerate(piece) if start >= 0]  # a header's words come first
            for i, j, label in tags_spans(to_iob2(prediction.tags)):
                inside = [k for k in own if i <= k < j]
                if inside:
                    ranges.append((piece[inside[0]][0], piece[j - 1][1], label))
            scored += [(piece[k][0], piece[k][1], prediction.scores[k]) for k in own]
        for sentence in sentences:
            spans = []
            for start, end, label in ranges:
                first = bisect_right([e for _, e, _ in sentence], start)
                last = bisect_left([s for s, _, _ in sentence], end)
                if first < last:
                    spans.append((first, last, label))
            tags = spans_tags(len(sentence), _disjoint(spans))
            scores = [min([sc for s, e, sc in scored if s < end and e > start] or [1.0]) for start, end, _ in sentence]
            out.append(Prediction(tuple(clean_tags([w for _, _, w in sentence], tags, addresses=False)),
                                  tuple(scores)))
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_LINE_STARTS, st.lists(_PIECES, max_size=8)), max_size=8), st.data())
def test_model_outputs_equals_the_plain_reference(lines, data):
    """The ranges a sentence looks at are found by bisection (a 400 kB line took 35 s, quadratic):
    the same tags and scores as looking at every range, for random tags over random markdown."""
    text = "\n".join(start + " ".join(pieces) for start, pieces in lines) * data.draw(st.integers(1, 3))
    batch, plan = model_inputs([(text, segment(text))])
    tags = st.sampled_from(["O", "B-Model", "I-Model", "B-Task", "I-Task"])
    predictions = [Prediction(tuple(data.draw(st.lists(tags, min_size=len(w), max_size=len(w)))),
                              tuple(data.draw(st.lists(st.floats(0, 1), min_size=len(w), max_size=len(w)))))
                   for w in batch]
    assert model_outputs(plan, predictions) == _model_outputs_reference(plan, predictions)


_PLAIN_WORDS = st.sampled_from(["LoRA", "Яндекс", "GPT-4", "обучение", "в", "2023", "году", "—", "«", "»", ",", ".",
                                "Он ушёл.", "Да!", "(ruBERT)", "T-Bank", "10%", "😀", "a-b", "'", '"', "?"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_PLAIN_WORDS, max_size=30), st.data())
def test_plain_text_outputs_equal_the_plain_reference(words, data):
    """One-line text without markup skips the mapping of pieces onto sentences (they are the same):
    the same tags and scores as the reference, invalid IOB2 and junk-edged entities included."""
    text = " ".join(words)
    batch, plan = model_inputs([(text, segment(text))])
    assert all(text_pieces is sentences for sentences, text_pieces in plan)  # the short way was taken
    tags = st.sampled_from(["O", "B-Model", "I-Model", "B-Task", "I-Task"])
    predictions = [Prediction(tuple(data.draw(st.lists(tags, min_size=len(w), max_size=len(w)))),
                              tuple(data.draw(st.lists(st.floats(0, 1), min_size=len(w), max_size=len(w)))))
                   for w in batch]
    assert model_outputs(plan, predictions) == _model_outputs_reference(plan, predictions)


# near misses of every markup pattern (a hyphen inside a word, digits without a dot, a lone bracket), its
# characters one by one, and a smallest real instance of each pattern
_NEAR_MARKUP = st.lists(st.sampled_from(
    list("aZяЁ19 \t\n\r-.,()!?/'\"«»—=$%&^;{}\\\x00\u2028`~#>*+•[]|_<@:")
    + ["www.", "http://x", "--", "- ", "1. ", "2) ", "user: ", "a1: ", "@a: ", "12:34", "[x] ", "`x`", "**", "~~",
       "<b>", "a@b.cd", "# ", "> ", "| ", "```", "[a](b)", "_a_", " - - -", "- - -"]), max_size=30).map("".join)


@settings(max_examples=2000, deadline=None)
@given(st.one_of(_NEAR_MARKUP, st.text(max_size=40)))
def test_has_markup_is_mask_changing_the_text(text):
    """``has_markup`` looks for a character every markup pattern needs before it runs ``mask``: text it
    calls plain is exactly the text ``mask`` leaves alone."""
    from ner.markup import _MAYBE_MARKUP, has_markup

    assert has_markup(text) == (mask(text) != text)
    if not _MAYBE_MARKUP.search(text):
        assert mask(text) == text


@pytest.mark.parametrize("text, blanked", [
    ("файл ds-5c0e77b2, хэш 88f3c2a1.", ["ds-5c0e77b2", "88f3c2a1"]),
    ("глянь 1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms , там выгрузка", ["1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"]),
    ("коммит a1b2c3d сломал сборку", ["a1b2c3d"]),
])
def test_identifiers_are_blanked_with_their_word_and_the_full_stop_stays(text, blanked):
    masked = mask(text)
    for word in blanked:
        start = text.index(word)
        assert masked[start:start + len(word)].strip() == ""
    kept = text
    for word in blanked:
        kept = kept.replace(word, " " * len(word))
    assert masked == kept


@pytest.mark.parametrize("name", ["GPT-4o", "Qwen2.5-VL-7B", "YOLOv8", "A100", "gpt-4o-mini-2024-07-18", "e5-mistral-7b",
                                  "x86_64", "Llama-3.1-8B-Instruct", "ruT5-large", "support_dump_0611.jsonl", "v2b3"])
def test_names_with_digits_are_not_identifiers(name):
    assert mask(f"берём {name} сегодня") == f"берём {name} сегодня"


@pytest.mark.parametrize("text, blanked", [
    ("коммит 6c8e907 и 0698a34 откатили", ["6c8e907", "0698a34"]),
    ("run 550e8400-e29b-41d4-a716-446655440000 упал", ["550e8400-e29b-41d4-a716-446655440000"]),
])
def test_short_git_hashes_and_uuids_are_identifiers_too(text, blanked):
    kept = text
    for word in blanked:
        kept = kept.replace(word, " " * len(word))
    assert mask(text) == kept


def test_an_identifier_glued_to_a_russian_word_blanks_only_its_ascii_part():
    assert mask("хэш a1b2c3d4e5.Потом") == "хэш           .Потом"


def test_a_messenger_export_stamp_with_its_date_is_a_prefix_like_a_time_alone():
    assert mask("[21.06.2025 19:45] Лёша: берём ламу") == " " * 18 + " Лёша: берём ламу"
