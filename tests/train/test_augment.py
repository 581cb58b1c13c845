"""Mention replacement: swapped names keep valid IOB2 and their label, dates stay, the lexicon feature
is hidden exactly on swapped-in words, epochs differ but are seeded, and training runs with it."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.bio import tags_spans, to_iob2
from ner.records import Sentence
from ner.train.augment import Augmenter, generate_name, name_pool, replace_names
from tests.conftest import SEED

S1 = Sentence(("Яндекс", "выпустил", "YaLM", "100B", "в", "2022", "году", "."),
              ("B-Organization", "O", "B-Model", "I-Model", "O", "B-Date", "I-Date", "O"))
S2 = Sentence(("Мы", "дообучили", "BERT", "через", "LoRA", "."), ("O", "B-Activity", "B-Model", "O", "B-Method_ML", "O"))
S3 = Sentence(("Без", "имён", "."), ("O", "O", "O"))


def test_the_pool_holds_each_labels_names_once():
    assert name_pool([S1, S2, S1]) == {"Organization": [("Яндекс",)], "Model": [("YaLM", "100B"), ("BERT",)],
                                       "Date": [("2022", "году")], "Activity": [("дообучили",)],
                                       "Method_ML": [("LoRA",)]}


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([S1, S2]))
def test_swapped_names_keep_labels_dates_and_context(seed, sentence):
    pool = name_pool([S1, S2]) | {"Method_ML": [("LoRA",), ("дистилляция", "знаний")]}
    out, new = replace_names(sentence, pool, random.Random(seed))
    assert list(out.tags) == to_iob2(list(out.tags))  # valid IOB2
    before, after = tags_spans(sentence.tags), tags_spans(out.tags)
    assert [label for *_, label in before] == [label for *_, label in after]
    for (a, b, label), (c, d, _) in zip(before, after):
        if label == "Date":
            assert out.words[c:d] == sentence.words[a:b] and not set(range(c, d)) & new
        else:
            assert set(range(c, d)) <= new and out.words[c:d] != sentence.words[a:b]
    context = [w for i, w in enumerate(out.words) if out.tags[i] == "O"]
    assert context == [w for i, w in enumerate(sentence.words) if sentence.tags[i] == "O"]
    assert new <= {i for i, t in enumerate(out.tags) if t != "O"}


def test_generated_names_take_their_labels_shapes():
    rng = random.Random(0)

    def names(label):
        return [generate_name(label, rng, like="Яндексом") for _ in range(300)]

    models, apps, orgs = names("Model"), names("Application"), names("Organization")
    assert any(n.split("-")[0].isupper() and len(n.split("-")[0]) >= 2 for n in models if "-" in n)  # acronym-version
    assert any(n[0].isupper() and any(c.isupper() for c in n[1:]) and n.isalpha() for n in orgs)  # CamelCase
    assert any(n.endswith((" AI", " Labs")) for n in orgs) and not any(n.endswith(" AI") for n in models)
    assert any(n.islower() and "-" in n for n in apps) and any("." in n and n.split(".")[1].isalpha() for n in apps)
    assert any(n.endswith("ом") and n[0] in "БДФГКЛМНПРСТВЗ" for n in models)  # Cyrillic, the replaced word's case
    assert all(n.isascii() or not any("a" <= c <= "z" for c in n.lower()) for n in models + apps + orgs)


def test_epochs_differ_are_seeded_and_leave_other_sentences_alone():
    aug = Augmenter([S1, S2, S3], share=1.0, seed=3)
    first, hidden = aug.epoch(1)
    assert first[2] is S3 and first[0] is not S1 and set(hidden) == {first[0].words, first[1].words}
    assert aug.epoch(1)[0] == first and Augmenter([S1, S2, S3], 1.0, 3).epoch(1)[0] == first
    assert any(Augmenter([S1, S2], 1.0, 3).epoch(k)[0] != first[:2] for k in range(2, 5))
    assert Augmenter([S1, S2], share=0.0).epoch(1)[0] == [S1, S2]


def test_the_lexicon_feature_is_hidden_on_swapped_in_words(tmp_path):
    from ner.models.lexfeatures import LexiconFeatures
    from ner.models.navec import NavecNet

    (tmp_path / "Model.txt").write_text("BERT\nLlama 2\n", encoding="utf-8")
    net = NavecNet(["O", "B-Model", "I-Model"], "abc", {"hidden": 4}, lexicon=LexiconFeatures.read(tmp_path))
    words = ("Мы", "взяли", "BERT", "и", "Llama", "2")
    assert net._training_lexicon_ids([words]).tolist() == [[1, 1, 2, 1, 2, 3]]
    net.lexicon_hidden = {words: frozenset({4, 5})}
    assert net._training_lexicon_ids([words, ("BERT",)]).tolist() == [[1, 1, 2, 1, 1, 1], [2, 0, 0, 0, 0, 0]]


@pytest.mark.parametrize("backbone", ["navec", "navec-cnn"])
def test_training_with_mention_replacement(tmp_path, backbone):
    from ner.models import load_model
    from ner.train.config import TrainConfig
    from ner.train import train

    lines = []
    config = TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=2, hidden=16, seed=5, augment=1.0,
                         backbone=backbone, morph=False)
    out = train(config, progress=lines.append)
    assert json.loads((out / "train_config.json").read_text())["augment"] == 1.0
    assert len([line for line in lines if line.startswith("epoch ") and "dev F1" in line]) == 2
    assert len(load_model(out).predict([["Яндекс", "выпустил", "YaLM"]])[0].tags) == 3
    with pytest.raises(Exception, match="augment"):
        TrainConfig(train="x", augment=1.5).validate()


def test_a_distillations_silver_sentences_pass_untouched():
    import numpy as np

    from ner.train.silver import SilverSentence

    silver = SilverSentence(("Zorax", "вышла"), ("B-Model", "O"), (0.9, 0.9), np.full((2, 3), 1 / 3), 1,
                            "Zorax вышла", ((0, 5), (6, 11)))
    aug = Augmenter([S1, silver, S2], share=1.0, seed=0)
    assert aug.pool == name_pool([S1, S2])  # the teacher's guesses are no names to swap in
    out, hidden = aug.epoch(1)
    assert out[1] is silver and out[0] != S1 and silver.words not in hidden
