"""Ways the lists stop being all a model learns (#19): natasha's news NER tags as a word feature, the lists'
matches hidden one by one in training (``lexicon_span_dropout``) and the lists as a prior at decoding
(``lexicon_boost``)."""

from __future__ import annotations

import json
import random

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.errors import UserError
from ner.models import load_model
from ner.models.lexfeatures import hide_matches
from ner.models.natasha_tags import IDS, NatashaTags, natasha_tags
from ner.train import TrainConfig, train
from tests.conftest import SEED

WORDS = [["Иван", "Петров", "из", "Сбербанка", "обучил", "модель", "в", "Москве", "."]]


# ---- lexicon_span_dropout: each match hidden whole or kept whole ------------------------------------------

def matches_of(ids):
    """Plain reference: (start, end) of each lexicon match, read tag by tag (B-X even from 2, its I-X the next id)."""
    out, i = [], 0
    while i < len(ids):
        if ids[i] >= 2 and ids[i] % 2 == 0:
            end = i + 1
            while end < len(ids) and ids[end] == ids[i] + 1:
                end += 1
            out.append((i, end))
            i = end
        else:
            i += 1
    return out


lexicon_ids = st.lists(st.integers(min_value=1, max_value=9), max_size=30)


@given(lexicon_ids, st.integers(0, 2**16))
@settings(max_examples=300, deadline=None)
def test_each_match_is_hidden_whole_or_kept_whole_and_nothing_else_changes(ids, seed):
    rng = random.Random(seed)
    out = hide_matches(ids, 0.5, rng.random)
    assert len(out) == len(ids)
    covered = set()
    for a, b in matches_of(ids):
        covered.update(range(a, b))
        assert out[a:b] == ids[a:b] or out[a:b] == [1] * (b - a)
    assert all(out[i] == ids[i] for i in range(len(ids)) if i not in covered)


@given(lexicon_ids)
def test_share_zero_keeps_all_and_share_one_hides_every_match(ids):
    assert hide_matches(ids, 0.0, lambda: 0.0) == ids  # draw() < 0 never holds
    hidden = hide_matches(ids, 1.0, lambda: 0.999)
    assert hidden == [1 if any(a <= i < b for a, b in matches_of(ids)) else v for i, v in enumerate(ids)]


def test_a_match_is_drawn_once_so_neighbours_keep_theirs():
    draws = iter([0.1, 0.9])  # first match hidden, second kept
    assert hide_matches([1, 2, 3, 3, 1, 4, 5], 0.5, lambda: next(draws)) == [1, 1, 1, 1, 1, 4, 5]
    assert hide_matches([2, 2, 3], 1.0, lambda: 0.0) == [1, 1, 1]  # two adjacent matches, B B-I


# ---- natasha's tags -------------------------------------------------------------------------------------

def test_natasha_tags_people_places_and_companies_on_the_words_as_given():
    tags = natasha_tags(WORDS + [[]])
    assert tags[1] == []
    assert tags[0][:2] == ["B-PER", "I-PER"] and tags[0][3] == "B-ORG" and tags[0][7] == "B-LOC"
    assert NatashaTags().ids(WORDS)[0][:4] == [IDS["B-PER"], IDS["I-PER"], IDS["O"], IDS["B-ORG"]]


def test_a_sentence_cached_before_the_cache_starts_over_is_still_answered(monkeypatch):
    """A batch that mixes a cached sentence with new ones, when the new ones fill the cache: the cached one
    is answered too (the cache started over in the middle of the batch: KeyError before)."""
    import ner.models.natasha_tags as module

    monkeypatch.setattr(module, "CACHE", 2)
    monkeypatch.setattr(module, "natasha_tags", lambda batch: [["B-PER"] * len(words) for words in batch])
    tags = NatashaTags()
    assert tags.ids([["a"], ["b"]]) == [[IDS["B-PER"]]] * 2
    assert tags.ids([["a"], ["c"], ["d", "e"]]) == [[IDS["B-PER"]], [IDS["B-PER"]], [IDS["B-PER"]] * 2]


@pytest.fixture(scope="module")
def with_natasha(tmp_path_factory):
    out = tmp_path_factory.mktemp("nat") / "m"
    return train(TrainConfig(train=str(SEED), out=str(out), epochs=1, hidden=16, seed=5, morph=False, natasha=True,
                             lexicon_span_dropout=0.5))


def test_trained_with_natasha_the_directory_says_so_and_the_tags_move_the_emissions(with_natasha):
    hp = json.loads((with_natasha / "ner_model.json").read_text())["hparams"]
    assert hp["natasha_dim"] > 0 and hp["lexicon_span_dropout"] == 0.5
    model = load_model(with_natasha)
    before = model.net.emissions(WORDS)[0]
    with torch.no_grad():
        model.net.module.words.natasha.weight[IDS["B-PER"]] += 5.0
    after = model.net.emissions(WORDS)[0]
    assert abs(after[0] - before[0]).max() > 1e-3  # Иван: natasha's B-PER reaches the emissions
    assert abs(after[4] - before[4]).max() < abs(after[0] - before[0]).max()  # обучил: O, moved only by context


def test_off_by_default_and_absent_from_the_directory(tmp_path):
    out = train(TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=1, hidden=16, seed=5, morph=False))
    hp = json.loads((out / "ner_model.json").read_text())["hparams"]
    assert "natasha_dim" not in hp and "lexicon_span_dropout" not in hp
    assert load_model(out).net.natasha is None


def test_a_lexicon_boost_gives_listed_names_the_lists_tag_and_zero_changes_nothing(with_natasha):
    model = load_model(with_natasha)
    words = [["Яндекс", "выпустил", "модель", "YaLM", "и", "обучил", "её", "на", "ImageNet", "."]]
    lists = model.net.lexicon.lexicon.tags(words[0])
    assert lists[0] == "B-Organization" and lists[8] == "B-Dataset"  # what the bundled lists hold
    before = model.predict(words)[0].tags
    model.net.hp["lexicon_boost"] = 0.0
    assert model.predict(words)[0].tags == before
    model.net.hp["lexicon_boost"] = 1000.0
    boosted = model.predict(words)[0].tags
    assert [t for t, listed in zip(boosted, lists) if listed != "O"] == [t for t in lists if t != "O"]


def test_a_trained_boost_is_saved_and_loaded(tmp_path):
    out = train(TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=1, hidden=16, seed=5, morph=False,
                            lexicon_boost=3.0))
    assert json.loads((out / "ner_model.json").read_text())["hparams"]["lexicon_boost"] == 3.0
    assert load_model(out).net.hp["lexicon_boost"] == 3.0


@pytest.mark.parametrize("settings_, message", [
    ({"lexicon_boost": -1.0}, "--lexicon-boost"),
    ({"lexicon_boost": 4.0, "backbone": "navec-cnn"}, "--lexicon-boost: a setting of the lexicon feature"),
    ({"lexicon_span_dropout": 0.5, "lexicon": "none"}, "--lexicon-span-dropout: a setting of the lexicon"),
    ({"natasha": True, "backbone": "navec-cnn"}, "--natasha"),
    ({"lexicon_span_dropout": 1.5}, "--lexicon-span-dropout"),
    ({"lexicon_dropout": 2.0}, "--lexicon-dropout"),
])
def test_settings_that_cannot_train_are_refused(settings_, message):
    with pytest.raises(UserError, match=message):
        TrainConfig(train="x", **settings_).validate(corpus=False)


@given(st.lists(st.lists(st.sampled_from(["Яндекс", "выпустил", "YaLM", "в", "2022", "году", "BERT", "и", "GPT-4"]),
                         max_size=8), max_size=12))
@settings(max_examples=60, deadline=None)
def test_remembered_lexicon_tags_equal_the_matcher_across_the_cache_starting_over(batches):
    """LexiconFeatures.tags keeps recent answers (RECENT word lists, then starts over): the same tags as the
    matcher itself, whatever the order and repetitions, including right at the start-over."""
    import ner.models.lexfeatures as lexfeatures

    features = lexfeatures.LexiconFeatures.read(lexfeatures.Path(__file__).resolve().parents[2] / "annotation"
                                                / "lexicons")
    saved = lexfeatures.RECENT
    lexfeatures.RECENT = 3
    try:
        for words in batches + batches[::-1]:
            assert features.tags(words) == tuple(features.lexicon.tags(list(words)))
            assert len(features._recent) <= 3
    finally:
        lexfeatures.RECENT = saved
