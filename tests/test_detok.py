"""Detokenization (ner/detok.py): tokens back into the text a person wrote, measured on the written corpus,
whose sources (corpora/src/) hold the original sentences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.labelstudio.layout import detokenize  # what Label Studio tasks show
from ner.text import tokenize

from .conftest import build_corpus_script


NOTES = "ml_ru_written_notes.md"  # the register added for names the lists lack (#19): IDs, flags, shell lines
NOTES2 = "ml_ru_written_notes2.md"  # its second register (#19): CV, speech, recsys, MLOps names with digits, paths
NOTES3 = "ml_ru_written_notes3.md"  # its third register (#19): review comments with file:line, Telegram exports, units


@pytest.fixture(scope="module")
def build():
    return build_corpus_script()


@pytest.fixture(scope="module")
def written(build):
    """The registers the detokenizer was measured on when it was written (every source but the notes)."""
    return build.sentence_texts([p for p in build.SOURCES if p.name not in (NOTES, NOTES2, NOTES3)])


def test_the_written_corpus_comes_back_exactly_for_98_percent_of_its_sentences(written):
    exact = sum(detokenize(words)[0] == text for words, text in written)
    assert len(written) > 3000
    assert exact / len(written) >= 0.98, f"{exact} of {len(written)} sentences given back exactly"


def test_the_notes_register_comes_back_exactly_for_92_percent_of_its_lines(build):
    """Work notes and chat exports cut razdel's way (file IDs, hashes, flags, `a=b`): 354 of 381 when added."""
    notes = build.sentence_texts([p for p in build.SOURCES if p.name == NOTES])
    exact = sum(detokenize(words)[0] == text for words, text in notes)
    assert len(notes) > 350
    assert exact / len(notes) >= 0.92, f"{exact} of {len(notes)} notes lines given back exactly"


def test_the_second_notes_register_comes_back_exactly_for_90_percent_of_its_lines(build):
    """Names with digits razdel cuts (YOLO11, pi0, When2Call, MOT17), device paths, `a=b`, "20 M" in tables:
    409 of 454 when added."""
    notes = build.sentence_texts([p for p in build.SOURCES if p.name == NOTES2])
    exact = sum(detokenize(words)[0] == text for words, text in notes)
    assert len(notes) > 400
    assert exact / len(notes) >= 0.90, f"{exact} of {len(notes)} notes2 lines given back exactly"


def test_the_third_notes_register_comes_back_exactly_for_90_percent_of_its_lines(build):
    """Review comments quoting `train.py:41`, names razdel cuts (InternVL3, Node2Vec, Crawl4AI), `8×A100`,
    `токенов/с`, hashes and file IDs: 424 of 464 when added."""
    notes = build.sentence_texts([p for p in build.SOURCES if p.name == NOTES3])
    exact = sum(detokenize(words)[0] == text for words, text in notes)
    assert len(notes) > 450
    assert exact / len(notes) >= 0.90, f"{exact} of {len(notes)} notes3 lines given back exactly"


def test_every_joined_sentence_of_the_written_corpus_tokenizes_into_its_words(written):
    wrong = [text for words, text in written if [w for _, _, w in tokenize(detokenize(words)[0])] != list(words)]
    assert not wrong, wrong[:3]


@pytest.mark.parametrize("text", [
    "Берём Qwen2.5-7B-Instruct и Mistral-7B-Instruct-v0.2, эмбеддинги multilingual-e5-base.",
    "### Итоги: **LoRA** быстрее, см. https://arxiv.org/abs/2106.09685",
    "| Модель | Данные |",
    "строка-разделитель |---|:---:| в таблице",
    "[10:02] @anna: запусти `python train.py --lr 2e-4`, r=16",
    "GPT-4o-mini набрал F1 0,91 на GSM8K, A100 и bf16, 71 % диалогов.",
    "Ошибка в PyTorch'е: `tokenizer.from_pretrained(\"my-org/rubert-tiny2\")` не нашёл файл config.yaml",
    "Ключи лежат в .env, а кэш в ~/.cache/huggingface.",
    "- [ ] Метрики посчитаны",
])
def test_written_forms_come_back(text):
    words = [w for _, _, w in tokenize(text)]
    assert detokenize(words)[0] == text


SAMPLE = ["Qwen", "2.5-7", "B-Instruct", "**", "|", "#", "`", "'", '"', "(", ")", ".", ":", "/", "https", "=",
          "7", "B", "x", "--", "lr", "@", "anna", "е", "в", "%", "+", "~", "$", "[", "]", "<", ">", "v", "0.2"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SAMPLE), max_size=25))
def test_a_gap_is_one_space_or_none_and_every_word_keeps_its_range(words):
    text, offsets = detokenize(words)
    assert [text[s:e] for s, e in offsets] == words
    gaps = [text[a:b] for a, b in zip([e for _, e in offsets], [s for s, _ in offsets][1:])]
    assert set(gaps) <= {"", " "} and text == text.strip()
