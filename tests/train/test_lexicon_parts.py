"""The lists' words as a feature (#19, ``--lexicon-parts``): a word carries which labels' *other* listed names hold
it, so a new name made of listed words ("распознавание жестов" beside a listed "распознавание речи") reads as
its label, and a listed name's own words count only where another name shares them."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.errors import UserError
from ner.models import load_model
from ner.models.lexfeatures import LexiconFeatures
from ner.models.lexicon import stem
from ner.train import TrainConfig, train
from tests.conftest import SEED

FILES = {"Task.txt": "распознавание речи\nраспознавание лиц\nмашинный перевод\n",
         "Method_ML.txt": "машинное обучение с подкреплением\nградиентный бустинг\n",
         "Model.txt": "BERT\nruBERT base\n", "O.txt": "обучение с учителем\n"}


def parts(words, files=FILES):
    features = LexiconFeatures(files, parts=True)
    return {w: [features.part_labels[k] for k in range(len(features.part_labels)) if m >> k & 1]
            for w, m in zip(words, features.part_masks(words))}


def test_a_new_name_made_of_listed_words_carries_their_labels():
    found = parts(["Для", "распознавания", "жестов", "взяли", "base", "BERT", "."])
    assert found["распознавания"] == ["Task"]  # two listed tasks hold it, in any case ending
    assert found["жестов"] == [] and found["Для"] == [] and found["."] == []
    assert found["base"] == ["Model"]  # from "ruBERT base"
    assert found["BERT"] == []  # listed alone, and matched here as that very name: no other name holds it


def test_a_listed_name_does_not_lend_its_own_words_to_itself():
    found = parts(["распознавание", "речи", "и", "машинный", "перевод"])
    # "распознавание" is in another listed task too, "машинный" in a Method_ML name ("машинное обучение ...");
    # "речи" and "перевод" only in the names matched here
    assert found == {"распознавание": ["Task"], "речи": [], "и": [], "машинный": ["Method_ML"], "перевод": []}
    # outside a match of that name, its words count
    assert parts(["перевод", "машинного", "текста"]) == {"перевод": ["Task"], "машинного": ["Method_ML", "Task"],
                                                         "текста": []}


def reference(files, words):
    """Plain reference: for each word, the labels of listed names (stem tuples) other than the one the lists
    match at the word that hold its stem (3+ characters with a letter)."""
    features = LexiconFeatures(files)
    names = [(fold, label) for fold, (label, _, _) in features.lexicon.seen.items() if label != "O"]
    own = [None] * len(words)
    for i, j, label in features.lexicon.spans(words):
        fold = tuple(stem(w) for w in words[i:j])
        if features.lexicon.seen.get(fold, ("",))[0] == label:
            own[i:j] = [(fold, label)] * (j - i)
    out = []
    for k, w in enumerate(words):
        s = stem(w)
        ok = len(s) >= 3 and any(c.isalpha() for c in s)
        out.append(sorted({label for fold, label in names if ok and s in fold and (fold, label) != own[k]}))
    return out


VOCAB = ["модель", "модели", "речи", "речь", "поиск", "поиска", "Qwen", "qwen", "base", "и", "на", "7B", "GPT",
         "ламу", "лама", "LLaMA", "данных", "данные"]
names = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3).map(" ".join)


@given(st.dictionaries(st.sampled_from(["Model", "Task", "Dataset"]), st.lists(names, max_size=5), min_size=1),
       st.lists(st.sampled_from(VOCAB), max_size=12))
@settings(max_examples=150, deadline=None)
def test_part_masks_equal_a_plain_reference(lists, words):
    seen, files = set(), {}
    for label, entries in lists.items():  # a name under two labels is a user error the lists refuse
        kept = [e for e in entries if tuple(map(stem, e.split())) not in seen]
        seen |= {tuple(map(stem, e.split())) for e in kept}
        files[f"{label}.txt"] = "\n".join(kept) + "\n"
    try:
        features = LexiconFeatures(files, parts=True)
    except UserError:
        return  # two spellings that fold together under two labels
    got = [[features.part_labels[k] for k in range(len(features.part_labels)) if m >> k & 1]
           for m in features.part_masks(words)]
    assert [sorted(g) for g in got] == reference(files, words)


def test_ids_join_match_and_parts_and_split_back_in_the_network():
    from ner.models.navec import NavecNet

    features = LexiconFeatures(FILES, parts=True)
    words = ["распознавание", "речи", "для", "распознавания", "жестов"]
    ids, masks = features.match_ids(words), features.part_masks(words)
    joined = features.word_ids(words)
    assert joined == [i + features.size * m for i, m in zip(ids, masks)] and min(joined) > 0
    net = NavecNet(["O", "B-Task", "I-Task"], "abc", {"hidden": 4, "lexicon_parts": 1}, lexicon=features)
    assert net.hp["lexicon_parts"] == len(features.part_labels)
    module = net.module.eval()
    with torch.no_grad():
        out = module.lexicon_features(torch.tensor([joined + [0]]))
        words_ = module.words
        bits = torch.tensor([[m >> k & 1 for k in range(len(features.part_labels))] for m in masks], dtype=torch.float)
        expected = words_.lexicon(torch.tensor(ids)) + words_.lexicon_parts(bits)
        assert torch.allclose(out[0, :5], expected) and not out[0, 5].any()  # padding stays zero
        # in training a sentence's matches may be hidden; its parts stay (they are what a new name has)
        module.train()
        words_.lexicon_dropout = 1.0
        hidden = module.lexicon_features(torch.tensor([joined]))
        assert torch.allclose(hidden[0], words_.lexicon(torch.ones(5, dtype=torch.long)) + words_.lexicon_parts(bits))


def test_trained_with_parts_the_directory_says_so_and_reloads_the_same(tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    for name, text in FILES.items():
        (lists / name).write_text(text, encoding="utf-8")
    config = TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=1, hidden=16, seed=5,
                         lexicon=str(lists), lexicon_parts=True)
    out = train(config)
    info = json.loads((out / "ner_model.json").read_text())
    assert info["lexicon"]["parts"] is True and info["hparams"]["lexicon_parts"] == 3
    model = load_model(out)
    batch = [["Для", "распознавания", "жестов", "взяли", "BERT", "."]]
    before = model.net.emissions(batch)[0]
    assert np.array_equal(load_model(out).net.emissions(batch)[0], before)
    model.net.lexicon.parts = False  # the same matches without the parts: the emissions move
    assert not np.allclose(model.net.emissions(batch)[0], before)

    plain = json.loads((train(config.replace(out=str(tmp_path / "p"), lexicon_parts=False)) / "ner_model.json")
                       .read_text())
    assert "lexicon_parts" not in plain["hparams"] and "parts" not in plain["lexicon"]  # off: as before


@pytest.mark.parametrize("settings_", [{"lexicon": "none"}, {"backbone": "navec-cnn"}])
def test_parts_without_a_lexicon_are_refused(settings_):
    with pytest.raises(UserError, match="--lexicon-parts"):
        TrainConfig(train="x", lexicon_parts=True, **settings_).validate()


def test_in_training_hidden_and_dropped_matches_keep_their_words_bits():
    """Mention replacement's swapped positions and span dropout hide a match's id, never its part bits."""
    features = LexiconFeatures(FILES, parts=True)
    words = ("распознавание", "речи", "и", "распознавание", "лиц", "для", "распознавания", "жестов")
    ids, masks = features.match_ids(words), features.part_masks(words)
    assert ids[:5] != [1] * 5 and any(masks)
    for hidden, share in (({words: frozenset({0, 1})}, 0.0), ({}, 1.0)):
        row = features.training_tensor([words], {}, hidden, share)[0].tolist()
        assert [r // features.size for r in row] == masks  # the bits, whatever was hidden
        kept = [r % features.size for r in row]
        assert kept[:2] == [1, 1] and kept[5:] == ids[5:]  # the match ids hidden at those places only
        assert kept[2:5] == (ids[2:5] if not share else [1, 1, 1])
