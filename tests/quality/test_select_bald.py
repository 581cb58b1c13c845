"""BALD in ``ner select`` (issue 22): the mutual information of dropout draws against a plain reference,
the draws of a really trained model (dropout on only inside them, seeded, the caller's random state
kept) and the measure's ranking of a pool."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ner.errors import UserError
from ner.quality.select import DRAWS, OVERHEAD, Candidate, mutual_information, select
from tests.conftest import SEED


def reference_mi(draws) -> float:
    """Plain reference: per word, entropy of the mean distribution minus the mean entropy, summed."""
    words = [row for draw in draws for d in draw for row in d]
    if not words:
        return 0.0
    per_draw = [[row for d in draw for row in d] for draw in draws]
    total = 0.0
    for w in range(len(per_draw[0])):
        rows = [draw[w] for draw in per_draw]
        mean = [sum(r[k] for r in rows) / len(rows) for k in range(len(rows[0]))]
        h_mean = -sum(p * math.log(p) for p in mean if p > 0)
        h_each = sum(-sum(p * math.log(p) for p in r if p > 0) for r in rows) / len(rows)
        total += max(0.0, h_mean - h_each)
    return total


def distributions(draw_count, lengths, tags):
    rows = st.lists(st.floats(0.0, 1.0), min_size=tags, max_size=tags).map(
        lambda r: [x / sum(r) for x in r] if sum(r) > 0 else [1.0 / tags] * tags)
    sentence = lambda n: st.lists(rows, min_size=n, max_size=n).map(  # noqa: E731
        lambda rs: np.array(rs, dtype=float).reshape(n, tags))
    one_draw = st.tuples(*[sentence(n) for n in lengths]).map(list)
    return st.lists(one_draw, min_size=draw_count, max_size=draw_count)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(1, 5), st.lists(st.integers(0, 6), min_size=0, max_size=3), st.integers(2, 5))
def test_mutual_information_equals_the_plain_reference(data, draw_count, lengths, tags):
    draws = data.draw(distributions(draw_count, lengths, tags))
    got = mutual_information(draws)
    assert got == pytest.approx(reference_mi(draws), abs=1e-6)
    assert got >= 0.0


def test_mutual_information_at_the_ends():
    sure = [np.array([[0.5, 0.5], [1.0, 0.0]])]
    assert mutual_information([sure]) == 0.0  # one draw agrees with itself
    assert mutual_information([sure, sure, sure]) == 0.0  # unsure, but every draw the same: nothing to learn
    assert mutual_information([[np.zeros((0, 2))], [np.zeros((0, 2))]]) == 0.0  # a text without words
    apart = [[np.array([[1.0, 0.0], [0.9, 0.1]])], [np.array([[0.0, 1.0], [0.9, 0.1]])]]
    assert mutual_information(apart) == pytest.approx(math.log(2))  # the draws disagree on one word


@pytest.fixture(scope="module")
def pool_and_model(navec_model_dir):
    from ner.models import load_model
    from ner.quality.select_pool import pool_from_path

    return pool_from_path(SEED), load_model(navec_model_dir)


def test_dropout_draws_are_seeded_differ_and_leave_the_model_as_it_was(pool_and_model):
    import torch

    candidates, model = pool_and_model
    batch = [words for c in candidates[:12] for words in c.sentences]
    plain = model.probabilities(batch)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    draws = model.sampled_probabilities(batch, 4, seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's random state is kept
    assert len(draws) == 4 and all(len(d) == len(batch) for d in draws)
    for d in draws:
        for p, q in zip(d, plain):
            assert p.shape == q.shape and np.allclose(p.sum(1), 1.0)
    assert any(not np.allclose(a, b) for a, b in zip(draws[0], draws[1]))  # dropout is on in the draws
    again = model.sampled_probabilities(batch, 4, seed=5)
    assert all(np.array_equal(a, b) for x, y in zip(draws, again) for a, b in zip(x, y))
    other = model.sampled_probabilities(batch, 1, seed=6)[0]
    assert any(not np.allclose(a, b) for a, b in zip(draws[0], other))
    after = model.probabilities(batch)  # and off again after them
    assert all(np.array_equal(a, b) for a, b in zip(plain, after))
    assert not model.net.module.training


def test_only_dropout_layers_are_on_in_the_draws(tmp_path):
    """Lexicon dropout reads ``module.training``: a draw that turned the whole module to training mode
    would hide the lists' matches. With lexicon dropout at 1 the draws must not change."""
    from ner.models import load_model
    from ner.train import TrainConfig, train

    out = train(TrainConfig(train=str(SEED), out=str(tmp_path / "lex"), epochs=1, hidden=16, seed=5, morph=False))
    model = load_model(out)
    assert model.net.lexicon is not None  # the bundled lists, the default
    batch = [["Мы", "дообучили", "BERT", "на", "корпусе", "RuSQuAD", "в", "Яндексе"], ["GPT-4", "отвечает"]]
    words_module = model.net.module.words
    plain = model.sampled_probabilities(batch, 3, seed=4)
    words_module.lexicon_dropout = 1.0
    hidden = model.sampled_probabilities(batch, 3, seed=4)
    assert all(np.array_equal(a, b) for x, y in zip(plain, hidden) for a, b in zip(x, y))
    words_module.train()  # the check can fail: in training mode the lists' matches are hidden
    with_hiding = words_module.lexicon_features(model.net.lexicon.tensor(batch[:1]))
    words_module.eval()
    assert not torch_equal(with_hiding, words_module.lexicon_features(model.net.lexicon.tensor(batch[:1])))


def torch_equal(a, b) -> bool:
    import torch

    return bool(torch.equal(a, b))


def test_a_cnn_model_is_refused_its_inference_skips_dropout(tmp_path):
    from ner.models import load_model
    from ner.train import TrainConfig, train

    out = train(TrainConfig(train=str(SEED), out=str(tmp_path / "cnn"), epochs=1, hidden=16, seed=5, morph=False,
                            backbone="navec-cnn"))
    model = load_model(out)
    with pytest.raises(ValueError, match="cannot draw with dropout"):
        model.sampled_probabilities([["Модель", "BERT"]], 2)
    pool = [Candidate("a", "Модель BERT", (("Модель", "BERT"),))]
    with pytest.raises(UserError, match="cannot draw with dropout"):
        select(pool, 1, model=model, measures=("bald",))


def test_the_bald_measure_ranks_mutual_information_per_word_read(pool_and_model):
    candidates, model = pool_and_model
    got = select(candidates, len(candidates), model=model, measures=("bald",), diversity=0.0, seed=3)
    assert len(got) == len(candidates) and all(c.bald is not None for c in got)
    flat = [words for c in candidates for words in c.sentences if words]
    draws = model.sampled_probabilities(flat, DRAWS, seed=3)
    expected, k = {}, 0
    for c in candidates:
        m = sum(1 for words in c.sentences if words)
        expected[c.where] = mutual_information([draw[k:k + m] for draw in draws])
        k += m
    assert {c.candidate.where: c.bald for c in got} == pytest.approx(expected)
    per_word = [expected[c.candidate.where] / (c.tokens + OVERHEAD) for c in got]
    assert per_word == sorted(per_word, reverse=True) and per_word[0] > per_word[-1]
    assert got[0].as_dict()["bald"] == round(got[0].bald, 4)


def test_a_model_without_dropout_draws_is_refused():
    from ner.models.lexicon import BUNDLED, LexiconModel

    pool = [Candidate("a", "GPT-4 хорош", (("GPT-4", "хорош"),))]
    with pytest.raises(UserError, match="cannot draw with dropout"):
        select(pool, 1, model=LexiconModel.load(BUNDLED), measures=("bald",))


def test_the_command_ranks_by_bald(navec_model_dir, tmp_path, capsys):
    import json

    from ner.cli import main

    pool = tmp_path / "pool.txt"
    pool.write_text("Модель BERT обучили на корпусе.\nСегодня тепло.\n"
                    "YandexGPT отвечает на вопросы по RuSQuAD.\n", encoding="utf-8")
    assert main(["select", str(pool), "--model", str(navec_model_dir), "-n", "3", "--measures", "bald",
                 "--diversity", "0", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and all(r["bald"] is not None for r in rows)
    per_word = [r["bald"] / (r["tokens"] + OVERHEAD) for r in rows]
    assert per_word == sorted(per_word, reverse=True)
    assert main(["select", str(pool), "--model", str(navec_model_dir), "-n", "1", "--measures", "bald"]) == 0
    shown = capsys.readouterr().out.split("bald ")[1].split()[0]  # the table shows what ranked the text
    assert float(shown) == pytest.approx(rows[0]["bald"], abs=6e-4)


def test_select_penalises_copies_of_labelled_texts(pool_and_model):
    candidates, model = pool_and_model
    alone = select(candidates, len(candidates), model=model)
    first = alone[0].candidate
    known = [Candidate("labelled", first.text, first.sentences)]
    got = select(candidates, len(candidates), model=model, labelled=known)
    copy = next(c for c in got if c.candidate.where == first.where)
    assert copy.similarity == pytest.approx(1.0) and copy.priority == pytest.approx(0.0)
    assert got[0].candidate.where != first.where  # the most uncertain text goes down: it adds nothing new


def test_the_command_keeps_the_batch_away_from_labelled_texts(navec_model_dir, tmp_path, capsys):
    import json

    from ner.cli import main

    pool = tmp_path / "pool.txt"
    pool.write_text("Модель BERT обучили на корпусе.\nСегодня тепло.\nYandexGPT отвечает на вопросы по RuSQuAD.\n",
                    encoding="utf-8")
    args = ["select", str(pool), "--model", str(navec_model_dir), "-n", "3", "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    done = tmp_path / "done.txt"
    done.write_text(first["text"] + "\n", encoding="utf-8")
    assert main([*args, "--labelled", str(done)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    copy = next(r for r in rows if r["text"] == first["text"])
    assert rows[0]["text"] != first["text"] and copy["similarity"] == pytest.approx(1.0)
    assert main([*args, "--labelled", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt" in capsys.readouterr().err
