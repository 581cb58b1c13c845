"""The lexicon pre-annotator: loading (errors name file and line), matching (longest match, case
rules, Russian endings, dates), the model protocol through the real Tagger, and the union with a model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.bio import tags_spans
from ner.errors import UserError
from ner.models.lexicon import BUNDLED, LexiconModel, is_acronym, load_lexicon, stem, union
from ner.markup import mask
from ner.tagger.core import Tagger
from ner.text import tokenize


_CACHE = []


def _bundled():
    if not _CACHE:
        _CACHE.append(load_lexicon())
    return _CACHE[0]


@pytest.fixture(scope="module")
def bundled():
    return _bundled()


def _found(lexicon, text):
    words = [w for _, _, w in tokenize(text)]
    return [(" ".join(words[i:j]), label) for i, j, label in lexicon.spans(words)]


@pytest.mark.parametrize("word, key", [
    ("обучение", "обучен"), ("обучения", "обучен"), ("обучении", "обучен"), ("обучением", "обучен"),
    ("Дистилляцией", "дистилляц"), ("Сбера", "сбер"), ("Сбер", "сбер"), ("BERT-а", "bert"), ("GPT-3-ей", "gpt-3"),
    ("LoRA", "lora"), ("ёлка", "ёлка"), ("Йошкар-Олы", "йошкар-олы"), ("", ""),
])
def test_stem(word, key):
    assert stem(word) == key


@pytest.mark.parametrize("name, acronym", [("RAG", True), ("CoT", True), ("MoE", True), ("T5", True), ("GPT-4", True),
                                           ("LoRA", True), ("Llama", False), ("gpt-4o", False), ("transformers", False),
                                           ("2023", False)])
def test_is_acronym(name, acronym):
    assert is_acronym(name) is acronym


def test_the_bundled_lexicon_is_big_and_consistent(bundled):
    files = {p.stem for p in BUNDLED.glob("*.txt")}
    assert {"Model", "Dataset", "Organization", "Application", "Method_ML", "Task", "Activity", "O"} <= files
    names = sum(n for label, n in bundled.sizes.items() if label != "O")
    assert names >= 2000
    assert min(bundled.sizes[label] for label in ("Model", "Dataset", "Organization", "Application",
                                                  "Method_ML", "Task")) >= 200


@pytest.mark.parametrize("text, expected", [
    ("Мы дообучили BERT-а с LoRA в PyTorch'е на Alpaca.",
     [("BERT-а", "Model"), ("LoRA", "Method_ML"), ("PyTorch ' е", "Application"), ("Alpaca", "Dataset")]),
    # longest match: the versioned name, not its family
    ("берём gpt-4o-mini-2024-07-18 и LLaMA-2 70B, а не Qwen 2",
     [("gpt-4 o-mini-2024-07-18", "Model"), ("LLaMA-2 70 B", "Model"), ("Qwen 2", "Model")]),
    # acronyms only as written; other names in any case
    ("RAG и rag, MoE и moe, openai и OpenAI", [("RAG", "Method_ML"), ("MoE", "Method_ML"),
                                              ("openai", "Organization"), ("OpenAI", "Organization")]),
    # Russian endings
    ("дистилляцией, квантизации и распознавания именованных сущностей от Сбером",
     [("дистилляцией", "Method_ML"), ("квантизации", "Method_ML"), ("распознавания именованных сущностей", "Task"),
      ("Сбером", "Organization")]),
    # "not an entity" phrases block a shorter entity inside them
    ("машинное обучение, скорость обучения, но обучение модели", [("обучение", "Activity")]),
    ("Hugging Face Hub от Hugging Face", [("Hugging Face Hub", "Application"), ("Hugging Face", "Organization")]),
    ("SP_1: API, JSON, Input и config.yaml", []),
])
def test_spans(bundled, text, expected):
    assert _found(bundled, text) == expected


@pytest.mark.parametrize("text, dates", [
    ("в 2022 году", ["2022 году"]), ("в марте 2023 года", ["марте 2023 года"]), ("в мае", ["мае"]),
    ("14 марта 2023 года", ["14 марта 2023 года"]), ("с 2019 по 2021 год", ["с 2019 по 2021 год"]),
    ("с января по декабрь 2023 года", ["с января по декабрь 2023 года"]), ("к концу 2025 года", ["концу 2025 года"]),
    ("в первом квартале 2024 года", ["первом квартале 2024 года"]), ("2024-05-20 и 12.03.2024", ["2024-05-20", "12.03.2024"]),
    ("2020–2023 годов", ["2020–2023 годов"]), ("в Q1 2025 и H2 2024", ["Q 1 2025", "H 2 2024"]),
    ("в 2048 токенов за три эпохи", []), ("gpt-4o-mini-2024-07-18", []), ("| --- | --- |", []),
])
def test_dates(bundled, text, dates):
    assert [t for t, label in _found(bundled, text) if label == "Date"] == dates


def _write(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_users_own_lists_add_to_the_bundled_ones(tmp_path, bundled):
    own = _write(tmp_path, {"Model.txt": "# наши модели\nСуперМодель-7B\nAlpaca\n\n", "Organization.txt": "ООО Ромашка  # заказчик\n"})
    lexicon = load_lexicon(BUNDLED, own)
    assert _found(lexicon, "ООО Ромашка дообучила СуперМодель-7B с LoRA") == [
        ("ООО Ромашка", "Organization"), ("СуперМодель-7 B", "Model"), ("LoRA", "Method_ML")]
    # the user's label wins over the bundled one (Alpaca is a Dataset in the bundled lists)
    assert _found(bundled, "Alpaca") == [("Alpaca", "Dataset")] and _found(lexicon, "Alpaca") == [("Alpaca", "Model")]
    assert _found(load_lexicon(own), "LoRA") == []
    assert lexicon.version != bundled.version


@pytest.mark.parametrize("files, message", [
    ({"Modle.txt": "BERT\n"}, "Modle.txt: 'Modle' is not a label (labels: Model, Dataset"),
    ({"Model.txt": "BERT\nGPT-2\n", "Application.txt": "PyTorch\nbert\n"},
     "Model.txt:1: 'BERT' is listed as Model and as Application"),
    ({}, "no <Label>.txt files"),
])
def test_bad_lexicon_directories_are_one_clear_line(tmp_path, files, message):
    with pytest.raises(UserError) as e:
        load_lexicon(_write(tmp_path, files))
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_missing_directory(tmp_path):
    with pytest.raises(UserError, match="no such lexicon directory"):
        load_lexicon(tmp_path / "nope")


def test_the_lexicon_model_tags_raw_markdown_through_the_tagger(bundled):
    tagger = Tagger(LexiconModel(bundled))
    text = "### ✅ Итоги\n| 1 | **[LoRA](https://arxiv.org/abs/2106.09685)** | от Microsoft |\nSP_1: берём `vLLM`"
    got = [(e.start, e.end, e.label, e.text) for e in tagger.tag(text)]
    lora, ms, vllm = text.index("LoRA"), text.index("Microsoft"), text.index("vLLM")
    assert got == [(lora, lora + 4, "Method_ML", "LoRA"), (ms, ms + 9, "Organization", "Microsoft"),
                   (vllm, vllm + 4, "Application", "vLLM")]
    assert [(e.start, e.end, e.label) for e in tagger.tag(mask(text))] == [g[:3] for g in got]
    probabilities = tagger.model.probabilities([["LoRA", "и", "BERT"]])[0]
    assert probabilities.shape == (3, len(tagger.model.tags)) and (probabilities.sum(axis=1) == 1).all()


@pytest.mark.parametrize("model, lexicon, expected", [
    (["B-Model", "O", "O"], ["B-Dataset", "B-Method_ML", "O"], ["B-Model", "B-Method_ML", "O"]),
    (["O", "B-Model", "O"], ["B-Task", "I-Task", "I-Task"], ["O", "B-Model", "O"]),  # overlaps: the model wins
    (["I-Date", "O"], ["O", "B-Task"], ["B-Date", "B-Task"]),
    (["O"] * 3, ["O"] * 3, ["O"] * 3),
])
def test_union(model, lexicon, expected):
    assert union(model, lexicon) == expected


_WORDS = st.sampled_from(["LoRA", "RAG", "rag", "BERT-а", "Hugging", "Face", "Hub", "2023", "году", "в", "марте", "с", "по",
                          "машинное", "обучение", "'", "е", "PyTorch", "Qwen", "2", "|", "**", "Сбера", "gpt-4"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=30))
def test_spans_are_ordered_disjoint_valid_tags(words):
    lexicon = _bundled()
    spans = lexicon.spans(words)
    assert all(0 <= i < j <= len(words) for i, j, _ in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert tags_spans(lexicon.tags(words)) == spans


def test_ner_tag_with_the_lexicon_alone(tmp_path, capsys):
    import json

    from ner.cli import main

    text = "| 1 | **LoRA** | от Microsoft, в PyTorch'е |"
    path = tmp_path / "in.txt"
    path.write_text(text + "\n", encoding="utf-8")
    for argv in (["tag", str(path), "--lexicon", "--no-progress"], ["tag", "--lexicon", str(path), "--no-progress"]):
        assert main(argv) == 0
        (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [(e["text"], e["label"], e["start"]) for e in record["entities"]] == [
            ("LoRA", "Method_ML", text.index("LoRA")), ("Microsoft", "Organization", text.index("Microsoft")),
            ("PyTorch'е", "Application", text.index("PyTorch"))]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "Model.txt").write_text("Microsoft\n", encoding="utf-8")
    assert main(["tag", str(path), "--lexicon", str(mine), "--no-progress"]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert ("Microsoft", "Model") in [(e["text"], e["label"]) for e in record["entities"]]
    assert main(["tag", str(path), "--lexicon", str(tmp_path / "nope"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such lexicon directory" in err[0]
