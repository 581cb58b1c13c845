"""tag(): segmentation, entity assembly, exact offsets on hard strings, scores, caching, defaults."""

from __future__ import annotations

import pytest

from ner.errors import UserError
from ner.tagger.core import Entity, Tagger, entities_of
from ner.text import segment, split_pictographs
from ner.text import tokenize

BASE = "У ChatGPT есть датасет Alpaca."


@pytest.mark.parametrize("word, parts", [
    ("😀Яндекс", ["😀", "Яндекс"]),
    ("Яндекс😀", ["Яндекс", "😀"]),
    ("👍🏽Сбер", ["👍🏽", "Сбер"]),            # skin-tone modifier stays with its emoji
    ("🇷🇺Сбер", ["🇷🇺", "Сбер"]),            # a flag is two regional indicators
    ("👨‍💻GPT", ["👨‍💻", "GPT"]),             # zero-width joiner sequence
    ("C++", ["C++"]),                      # ASCII symbols stay with their word
    ("5°C", ["5°C"]),
    ("ёлка", ["ёлка"]),
])
def test_split_pictographs(word, parts):
    pieces = split_pictographs(7, word)
    assert [p[2] for p in pieces] == parts
    assert pieces[0][0] == 7 and pieces[-1][1] == 7 + len(word)
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))


HARD = [
    "",
    " \t\r\n\u00a0 ",
    BASE,
    "😀" + BASE,
    "😀 У 😀ChatGPT есть датасет 👍🏽Alpaca.",
    "Строка\r\nУ ChatGPT\r\n\r\nесть датасет Alpaca.\r\n",
    "У\u00a0ChatGPT\u00a0есть\u202fдатасет\u2009Alpaca.",
    "Ёжик и йод: ёмкость Йошкар-Олы, BERT-а и PyTorch'е.",
    "e\u0301 combining accents and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP",
]


@pytest.mark.parametrize("text", HARD)
def test_segment_keeps_every_character(text):
    sentences = segment(text)
    words = [w for s in sentences for w in s]
    assert all(text[start:end] == word for start, end, word in words)
    assert all(a[1] <= b[0] for a, b in zip(words, words[1:]))
    covered = set()
    for start, end, _ in words:
        covered.update(range(start, end))
    # every non-space character is in exactly one word; nothing dropped, nothing shifted
    assert {i for i, c in enumerate(text) if not c.isspace()} == covered


def test_segment_agrees_with_the_corpus_tokenizer():
    text = "Яндекс выложил YaLM 100B в 2022 году. 😀Сбер: GPT-3.5 вышла в 2023г."
    assert [w for s in segment(text) for w in s] == tokenize(text)


def test_two_neighbouring_entities_of_one_type_stay_two():
    text = "GPT-2 GPT-3 и BERT"
    words = tokenize(text)
    tags = ["B-Model", "B-Model", "O", "B-Model"]
    entities = entities_of(text, words, tags, [0.9, 0.7, 0.99, 0.6])
    assert entities == (Entity(0, 5, "Model", "GPT-2", 0.9), Entity(6, 11, "Model", "GPT-3", 0.7),
                        Entity(14, 18, "Model", "BERT", 0.6))


def test_entity_score_is_its_least_confident_word():
    text = "LLama 2 от Яндекса"
    words = tokenize(text)
    entities = entities_of(text, words, ["B-Model", "I-Model", "O", "B-Organization"], [0.9, 0.6, 0.99, 0.8])
    assert [(e.text, e.score) for e in entities] == [("LLama 2", 0.6), ("Яндекса", 0.8)]


def test_stray_inside_tag_opens_an_entity_and_a_label_change_closes_one():
    text = "LoRA для BERT"
    words = tokenize(text)
    entities = entities_of(text, words, ["I-Method_ML", "I-Model", "B-Model"], [0.5, 0.5, 0.5])
    assert [(e.text, e.label) for e in entities] == [("LoRA", "Method_ML"), ("для", "Model"), ("BERT", "Model")]


# With the trained model --------------------------------------------------------------------------


def _shifted(entities, by):
    return [(e.start - by, e.end - by, e.label, e.text) for e in entities]


def test_tag_finds_the_seed_entities(tagger):
    entities = tagger.tag(BASE)
    assert ("ChatGPT", "Model") in [(e.text, e.label) for e in entities]
    for e in entities:
        assert BASE[e.start:e.end] == e.text and 0 < e.score <= 1


@pytest.mark.parametrize("prefix", ["\r\n", "\u00a0", "😀😀 ", "Ёжик ёлка йод.\r\n", "🇷🇺 👍🏽.\r\n\r\n", "𝔘𝔫𝔦 "])
def test_offsets_are_exact_after_hard_prefixes(tagger, prefix):
    expected = [(e.start, e.end, e.label, e.text) for e in tagger.tag(BASE)]
    assert expected
    text = prefix + BASE
    got = tagger.tag(text)
    assert [e for e in got if e.start < len(prefix)] == []
    assert _shifted([e for e in got if e.start >= len(prefix)], len(prefix)) == expected
    assert all(text[e.start:e.end] == e.text for e in got)


def test_emoji_glued_to_an_entity_is_not_part_of_it(tagger):
    text = "У 😀ChatGPT есть датасет Alpaca."
    chatgpt = [e for e in tagger.tag(text) if e.text.endswith("ChatGPT")]
    assert [(e.start, e.end, e.text) for e in chatgpt] == [(3, 10, "ChatGPT")]


def test_crlf_text_keeps_offsets_into_the_original(tagger):
    text = "Первая строка.\r\n" + BASE.replace(" есть", "\r\nесть")
    entities = tagger.tag(text)
    assert entities and all(text[e.start:e.end] == e.text and "\r" not in e.text for e in entities)
    assert text.index("ChatGPT") in [e.start for e in entities]


def test_a_3000_word_text_is_tagged_to_the_end(tagger):
    chunk = "модель ChatGPT обучали на датасете Alpaca и потом"
    text = " ".join([chunk] * 375)  # 3,000 words, one sentence: longer than any window
    analysis = tagger.analyze(text)
    assert len(analysis.tags) == len(analysis.tokens) == 3000
    assert analysis.tokens[-1].end == len(text)
    first = [e for e in analysis.entities if e.end <= len(chunk)]
    last = [e for e in analysis.entities if e.start >= len(text) - len(chunk)]
    assert first and _shifted(last, len(text) - len(chunk)) == _shifted(first, 0)
    assert all(text[e.start:e.end] == e.text for e in analysis.entities)


@pytest.mark.parametrize("text", ["", "   ", "\r\n\t\u00a0"])
def test_empty_text_has_no_entities(tagger, text):
    assert tagger.tag(text) == []
    assert tagger.analyze(text).score == 1.0


def test_text_score_is_the_lowest_word_probability(tagger):
    analysis = tagger.analyze(BASE)
    assert analysis.score == min(analysis.scores)
    assert all(e.score >= analysis.score for e in analysis.entities)
    assert 0 < analysis.score <= 1


def _spans(found, tolerance=1e-6):
    return [[(e.start, e.end, e.label, e.text, pytest.approx(e.score, abs=tolerance)) for e in es] for es in found]


def test_tag_many_matches_tag_one_by_one_whatever_the_batch(tagger):
    # Every sentence has the same words (only the spacing differs), so batches pad none of them and the
    # model's output cannot move; the offsets tell the texts apart, so any mix-up of order shows.
    texts = [BASE, "", "  " + BASE, BASE + "\r\n" + BASE, "\u00a0" + BASE + " " + BASE + "\n" + BASE] * 3
    one_by_one = _spans(tagger.tag(t) for t in texts)
    assert sum(map(len, one_by_one)) >= 3 * 7
    assert _spans(tagger.tag_many(texts, batch_size=1)) == one_by_one
    assert _spans(tagger.tag_many(iter(texts), batch_size=5)) == one_by_one
    assert _spans(tagger.tag_many(texts, batch_size=1000)) == one_by_one


def test_batching_with_other_sentences_does_not_move_probabilities(tagger):
    texts = [BASE, "GitHub Copilot и Amazon CodeWhisperer, а также ChatGPT и Alpaca и ещё много слов."]
    # the navec backbone packs its BiLSTM input and masks char padding: batch-mates change nothing
    assert _spans(tagger.tag_many(texts, batch_size=2)) == _spans(tagger.tag_many(texts, batch_size=1), 1e-5)


def test_tag_many_rejects_non_strings(tagger):
    with pytest.raises(TypeError):
        tagger.tag_many([BASE, None])


def test_load_is_cached(model_dir):
    assert Tagger.load(model_dir) is Tagger.load(str(model_dir))


def test_module_tag_uses_ner_model(monkeypatch, model_dir, tagger):
    import ner

    monkeypatch.setenv("NER_MODEL", str(model_dir))
    assert ner.tag(BASE) == tagger.tag(BASE)
    assert ner.Tagger is Tagger


def test_module_tag_without_a_model_says_what_to_do(monkeypatch, tmp_path):
    from ner import tag

    monkeypatch.delenv("NER_MODEL", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="no model at models/default .*ner train"):
        tag("текст")
    monkeypatch.setenv("NER_MODEL", str(tmp_path / "missing"))
    with pytest.raises(UserError, match="NER_MODEL"):
        tag("текст")


def _copy_model(source, target):
    """A model directory beside ``source``: the big files hard-linked, the weights copied (to be changed)."""
    import os
    import shutil

    target.mkdir()
    for f in source.iterdir():
        (shutil.copyfile if f.name == "model.pt" else os.link)(f, target / f.name)
    return target


def test_a_model_retrained_in_place_replaces_the_old_one(model_dir, tmp_path):
    import torch

    copy = _copy_model(model_dir, tmp_path / "m")
    first = Tagger.load(copy)
    assert Tagger.load(copy) is first
    state = torch.load(copy / "model.pt", weights_only=True)
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name] = state[name] + 0.5
    torch.save(state, copy / "model.pt")  # retrained: new weights, new hash
    second = Tagger.load(copy)
    assert second is not first and second.version != first.version
    assert first not in Tagger.cached() and second in Tagger.cached()
    assert Tagger.load(copy) is second


def test_the_cache_keeps_the_most_recently_used_models(model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(Tagger, "cache_size", 2)
    copies = [_copy_model(model_dir, tmp_path / f"m{i}") for i in range(4)]
    taggers = [Tagger.load(c) for c in copies]
    assert len(Tagger.cached()) == 2 and Tagger.cached() == taggers[2:]
    assert Tagger.load(copies[2]) is taggers[2]   # used again: now the most recent
    assert Tagger.load(copies[0]) is not taggers[0]  # dropped earlier, loaded again
    assert Tagger.cached()[-2:] == [taggers[2], Tagger.load(copies[0])] and len(Tagger.cached()) == 2
