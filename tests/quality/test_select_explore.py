"""Exploration in ``ner select`` (issue 22): a share of the batch drawn at random beside the uncertain
texts, spread through the ranking; the interleaving against a plain reference, the split of the budget
against select's own uncertain and random choices with a really trained model."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from ner.cli import main
from ner.quality.select import Candidate, interleave, select
from tests.conftest import SEED


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40))
def test_interleave_keeps_both_orders_and_spreads_the_second_evenly(m1, m2):
    first = [("a", k) for k in range(m1)]
    second = [("b", k) for k in range(m2)]
    got = interleave(first, second)
    assert [x for x in got if x[0] == "a"] == first and [x for x in got if x[0] == "b"] == second
    total = m1 + m2
    for length in range(total + 1):  # every prefix holds its share of each, within one text
        drawn = sum(x[0] == "b" for x in got[:length])
        assert abs(drawn - length * m2 / max(1, total)) <= 1


def test_interleave_small_cases():
    assert interleave(["a", "b", "c"], []) == ["a", "b", "c"]
    assert interleave([], ["x", "y"]) == ["x", "y"]
    assert interleave(["a", "b", "c", "d"], ["x"]) == ["a", "b", "x", "c", "d"]
    assert interleave(["a", "b"], ["x", "y"]) == ["a", "x", "b", "y"]


@pytest.fixture(scope="module")
def pool_and_model(navec_model_dir):
    from ner.models import load_model
    from ner.quality.select_pool import pool_from_path

    return pool_from_path(SEED), load_model(navec_model_dir)


def plain_draw(candidates, taken, budget, seed):
    """Reference: the untaken candidates shuffled by ``random.Random(seed)``, each taken if it still fits."""
    rest = [k for k in range(len(candidates)) if k not in taken]
    random.Random(seed).shuffle(rest)
    out = []
    for k in rest:
        if candidates[k].tokens <= budget:
            out.append(k)
            budget -= candidates[k].tokens
    return out


@pytest.mark.parametrize("explore, seed", [(0.25, 1), (0.5, 7), (0.8, 3)])
def test_explore_splits_the_budget_between_the_unsure_and_a_seeded_draw(pool_and_model, explore, seed):
    candidates, model = pool_and_model
    budget = 120
    index = {c.where: k for k, c in enumerate(candidates)}
    got = select(candidates, model=model, budget=budget, explore=explore, seed=seed)
    unsure = [index[c.candidate.where] for c in got if c.priority is not None]
    drawn = [index[c.candidate.where] for c in got if c.priority is None]
    # the unsure part is what select chooses with the rest of the budget; the draw fills what it left
    alone = select(candidates, model=model, budget=budget * (1 - explore))
    assert unsure == [index[c.candidate.where] for c in alone] and unsure
    left = budget - sum(candidates[k].tokens for k in unsure)
    assert drawn == plain_draw(candidates, set(unsure), left, seed) and drawn
    assert sum(c.tokens for c in got) <= budget and [c.rank for c in got] == list(range(1, len(got) + 1))
    assert all(c.errors is not None for c in got)  # a drawn text still shows what the model thinks of it
    other = select(candidates, model=model, budget=budget, explore=explore, seed=seed + 1)
    assert [c.candidate.where for c in other if c.priority is None] != [candidates[k].where for k in drawn]


def test_explore_with_n_and_at_the_ends(pool_and_model):
    candidates, model = pool_and_model
    got = select(candidates, 8, model=model, explore=0.25, cost="sentences", seed=2)
    assert len(got) == 8 and sum(c.priority is None for c in got) == 2
    assert [c.priority is None for c in got] == [False, False, True, False, False, False, True, False]
    plain = select(candidates, 8, model=model, cost="sentences")
    # a share too small to draw a text goes through the exploring path and must give plain select's batch
    assert [c.candidate.where for c in select(candidates, 8, model=model, explore=0.01, cost="sentences")] == \
        [c.candidate.where for c in plain]
    everything = select(candidates, 8, model=model, explore=1.0, cost="sentences", seed=2)
    assert all(c.priority is None for c in everything) and len(everything) == 8
    with pytest.raises(ValueError, match="between 0 and 1"):
        select(candidates, 8, model=model, explore=1.5)


def test_select_explore_cli(navec_model_dir, capsys):
    assert main(["select", str(SEED), "--model", str(navec_model_dir), "-n", "4", "--explore", "0.5",
                 "--cost", "sentences"]) == 0
    out = capsys.readouterr().out
    assert out.count("drawn at random") == 2
    assert main(["select", str(SEED), "--model", str(navec_model_dir), "-n", "4", "--explore", "2"]) == 2
    assert "--explore must be between 0 and 1" in capsys.readouterr().err
