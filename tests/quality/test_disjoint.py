"""Name-disjoint evaluation: names folded across case, endings and script; held-out names never in
training; the lists pruned of them; seen and unseen names scored apart, counted by hand."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ner.bio import spans_tags, tags_spans
from ner.quality.consensus.merge import Counts
from ner.quality.disjoint import disjoint_split, name_key, seen_unseen, without_names
from ner.records import Sentence


def _s(*parts):
    """A sentence from words and (words, label) pairs."""
    words, spans = [], []
    for part in parts:
        if isinstance(part, tuple):
            spans.append((len(words), len(words) + len(part[0].split()), part[1]))
            words += part[0].split()
        else:
            words += part.split()
    return Sentence(tuple(words), tuple(spans_tags(len(words), spans)))


def test_one_name_across_case_endings_yo_and_script():
    assert name_key(["Яндекса"]) == name_key(["яндексом"]) == name_key(["Yandex"])
    assert name_key(["Лламы", "2"]) == name_key(["LLaMA", "2"])
    assert name_key(["BERT-а"]) == name_key(["BERT"])
    assert name_key(["Ёлка"]) == name_key(["елка"])
    assert name_key(["GPT-4"]) != name_key(["GPT-3"])


NAMES = [("BERT", "Model"), ("GPT-4", "Model"), ("Яндекс", "Organization"), ("SQuAD", "Dataset"),
         ("PyTorch", "Application"), ("LoRA", "Method_ML"), ("Qwen", "Model"), ("Сбер", "Organization")]
_sentences = st.lists(st.lists(st.sampled_from(range(len(NAMES))), min_size=0, max_size=3), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None)
@given(_sentences, st.integers(0, 5))
def test_no_held_out_name_reaches_training_and_every_sentence_lands_once(picks, seed):
    sentences = [_s("мы взяли", *[(NAMES[k][0], NAMES[k][1]) for k in ks], ".") for ks in picks]
    split = disjoint_split(sentences, 0.3, seed)
    assert sorted(map(id, split.train + split.test)) == sorted(map(id, sentences))
    distinct = {(NAMES[k][1], name_key([NAMES[k][0]])) for ks in picks for k in ks}
    assert split.names == len(distinct) and len(split.held_out) == round(0.3 * len(distinct))
    for s in split.train:
        assert not any((label, name_key(s.words[a:b])) in split.held_out for a, b, label in tags_spans(s.tags))
    for s in split.test:
        assert any(NAMES[k][0] in s.words and (NAMES[k][1], name_key([NAMES[k][0]])) in split.held_out
                   for k in range(len(NAMES)))
    assert disjoint_split(sentences, 0.3, seed) == split  # seeded


def test_the_lists_lose_every_spelling_of_a_held_out_name():
    files = {"Model.txt": "# models\nBERT\nЛлама\nGPT-4\n", "Organization.txt": "Yandex\nСбер\n"}
    held = {("Model", name_key(["LLaMA"])), ("Organization", name_key(["Яндексу"]))}
    pruned, dropped = without_names(files, held)
    assert pruned == {"Model.txt": "# models\nBERT\nGPT-4\n", "Organization.txt": "Сбер\n"} and dropped == 2


def test_seen_and_unseen_names_are_counted_apart():
    gold = [_s(("Яндекс", "Organization"), "обучил", ("Zorax", "Model"), "на", ("SQuAD", "Dataset"), "."),
            _s("модель", ("Zorax", "Model"), "и", ("BERT", "Model"))]
    held = {("Model", name_key(["Zorax"])), ("Dataset", name_key(["SQuAD"]))}
    predicted = [
        # Яндекс right (seen), Zorax as Application (unseen: a false positive and a miss), SQuAD right (unseen)
        ["B-Organization", "O", "B-Application", "O", "B-Dataset", "O"],
        # Zorax right (unseen); "и BERT" one span overlapping nothing unseen: a seen false positive, BERT missed
        ["O", "B-Model", "B-Model", "I-Model"],
    ]
    counts = seen_unseen(gold, predicted, held)
    # Counts(true positives, predicted spans, gold spans)
    assert counts["unseen"] == {"Model": Counts(1, 1, 2), "Application": Counts(0, 1, 0), "Dataset": Counts(1, 1, 1)}
    assert counts["seen"] == {"Organization": Counts(1, 1, 1), "Model": Counts(0, 1, 1)}
