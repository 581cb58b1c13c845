"""Cost-aware selection (issue 22): a budget in words is filled as a plain reference fills it, the
density measure prefers what teaches most per word read, and the command takes budgets."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from ner.cli import main
from ner.quality.select import OVERHEAD, Candidate, density, greedy, priorities, select


def reference_fill(prio, costs, budget, n=None):
    """Plain reference: repeatedly take the highest priority (earliest on ties) among what still fits."""
    left, taken = budget, []
    while n is None or len(taken) < n:
        fits = [i for i in range(len(prio)) if i not in taken and costs[i] <= left]
        if not fits:
            break
        best = max(fits, key=lambda i: (prio[i], -i))
        taken.append(best)
        left -= costs[best]
    return taken


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 30)), min_size=0, max_size=25),
       st.integers(0, 120), st.one_of(st.none(), st.integers(1, 30)))
def test_budget_fill_equals_the_plain_reference(items, budget, n):
    prio = [p for p, _ in items]
    costs = [c for _, c in items]
    picks = [i for i, _, _ in greedy(prio, None, n, diversity=0.0, costs=costs, budget=budget)]
    assert picks == reference_fill(prio, costs, budget, n)
    assert sum(costs[i] for i in picks) <= budget


def test_the_budget_boundary_is_inclusive():
    # exactly filling the budget is allowed; one word more is not
    assert [i for i, _, _ in greedy([0.9, 0.8], None, None, 0.0, costs=[5, 5], budget=10)] == [0, 1]
    assert [i for i, _, _ in greedy([0.9, 0.8], None, None, 0.0, costs=[5, 6], budget=10)] == [0]
    # a text too long for what is left is passed over for a shorter, less sure one
    assert [i for i, _, _ in greedy([0.9, 0.8, 0.1], None, None, 0.0, costs=[6, 6, 4], budget=10)] == [0, 2]


def test_density_prefers_the_unsure_word_per_word_read():
    # (mnlp, least, errors): a long text with 3 expected errors in 60 words, a short one with 1 in 5
    scores = [(-0.05, 0.5, 3.0), (-0.3, 0.5, 1.0)]
    assert density(3.0, 60) == pytest.approx(3.0 / (60 + OVERHEAD))
    assert priorities(scores, ("density",), tokens=[60, 5]) == [0.0, 1.0]
    assert priorities(scores, ("errors",)) == [1.0, 0.0]   # the old default took the long one
    with pytest.raises(ValueError, match="tokens"):
        priorities(scores, ("density",))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 50), st.integers(1, 80)), min_size=1, max_size=20), st.floats(0, 100))
def test_density_ranks_with_any_overhead_as_the_plain_ratio(items, overhead):
    """Each text's density priority is its percentile among errors / (words + overhead), computed plainly."""
    scores = [(0.0, 1.0, e) for e, _ in items]
    tokens = [t for _, t in items]
    got = priorities(scores, ("density",), tokens=tokens, overhead=overhead)
    ratio = [e / (t + overhead) for e, t in items]
    for i in range(len(items)):
        below = sum(r < ratio[i] for r in ratio)
        ties = sum(r == ratio[i] for r in ratio)
        assert got[i] == pytest.approx((below + (ties - 1) / 2) / max(1, len(items) - 1))


def test_a_larger_overhead_moves_the_choice_towards_the_longer_text():
    # 3 expected errors in 60 words against 1 in 5: per word read the short one wins at the default
    # overhead; when every text costs 100 words' worth on top of its own, the long one teaches more
    scores = [(-0.05, 0.5, 3.0), (-0.3, 0.5, 1.0)]
    assert priorities(scores, ("density",), tokens=[60, 5]) == [0.0, 1.0]
    assert priorities(scores, ("density",), tokens=[60, 5], overhead=100) == [1.0, 0.0]
    assert density(3.0, 60, overhead=100) == pytest.approx(3.0 / 160)


def cand(words, where):
    return Candidate(where, " ".join(words), (tuple(words),))


def test_random_with_a_budget_stays_within_it_and_is_seeded():
    pool = [cand(["слово"] * k, str(k)) for k in range(1, 21)]
    a = select(pool, strategy="random", seed=1, budget=30)
    assert sum(c.tokens for c in a) <= 30 and len(a) >= 2
    assert [c.candidate.where for c in a] == [c.candidate.where for c in select(pool, strategy="random", seed=1,
                                                                                 budget=30)]
    assert len(select(pool, 3, strategy="random", seed=1, cost="sentences", budget=2)) == 2
    with pytest.raises(ValueError, match="n, a budget"):
        select(pool, strategy="random")


def test_select_budget_tokens_cli(navec_model_dir, tmp_path, capsys):
    pool = tmp_path / "pool.txt"
    lines = ["Модель BERT дообучили на датасете SQuAD и получили хороший результат на тесте .",
             "Яндекс выпустил YaLM .", "GPT-4 вышла в 2023 году .", "LoRA .",
             "Команда сравнила LLaMA и Mistral на MERA по всем задачам бенчмарка ."]
    pool.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["select", str(pool), "--model", str(navec_model_dir), "--budget-tokens", "20", "--json"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and out and sum(r["tokens"] for r in out) <= 20
    # minutes at a rate: 0.1 minute at 100 words/min is 10 words
    code = main(["select", str(pool), "--model", str(navec_model_dir), "--budget-minutes", "0.1",
                 "--words-per-minute", "100", "--json"])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and sum(r["tokens"] for r in out) <= 10


@pytest.mark.parametrize("argv, message", [
    (["--budget-tokens", "0"], "--budget-tokens must be 1 or more"),
    (["--budget-minutes", "-1"], "--budget-minutes must be more than 0"),
    (["--words-per-minute", "0", "--budget-minutes", "1"], "--words-per-minute must be more than 0"),
    (["--budget-tokens", "10", "--budget-minutes", "1"], "one of --budget-tokens and --budget-minutes"),
    ([], "give -n, --budget-tokens or --budget-minutes"),
])
def test_select_budget_usage_errors(argv, message, tmp_path, capsys):
    pool = tmp_path / "pool.txt"
    pool.write_text("Модель BERT\n", encoding="utf-8")
    assert main(["select", str(pool), "--strategy", "random", *argv]) == 2
    assert message in capsys.readouterr().err


def test_markup_only_lines_are_not_candidates_and_an_unfillable_budget_is_said(tmp_path, capsys):
    from ner.quality.select_pool import pool_from_text

    pool = tmp_path / "pool.txt"
    pool.write_text("| Модель | Датасет |\n|---|---|\n| Qwen | ru_alpaca |\n***\n\nСлово и ещё слова тут\n",
                    encoding="utf-8")
    assert [c.where.rsplit(":", 1)[1] for c in pool_from_text(pool)] == ["1", "3", "6"]
    assert main(["select", str(pool), "--strategy", "random", "--budget-tokens", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("0 of 3 texts chosen")
    assert "nothing fits the budget of 2 words: the shortest text has 5" in captured.err


def test_text_pool_cuts_at_line_feeds_only(tmp_path):
    """U+2028, U+0085 and a form feed sit inside a text (as a push to Label Studio keeps them); a CRLF file
    reads as an LF one; the line numbers are the file's."""
    from ner.quality.select_pool import pool_from_text

    pool = tmp_path / "pool.txt"
    pool.write_bytes("Модель BERT\u2028обучена на Википедии\r\nВторой\x0cтекст и\x85 ещё\r\n\r\nТретий текст\r\n"
                     .encode("utf-8"))
    got = pool_from_text(pool)
    assert [(c.where.rsplit(":", 1)[1], c.text) for c in got] == [
        ("1", "Модель BERT\u2028обучена на Википедии"), ("2", "Второй\x0cтекст и\x85 ещё"), ("4", "Третий текст")]
    assert got[0].tokens == 5


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(0.01, 1), st.floats(0, 1)), min_size=1, max_size=20), st.integers(1, 20))
def test_a_start_similarity_penalises_as_an_earlier_pick(items, n):
    """Reference: with no vectors, each priority times (1 - its start similarity), then a plain sort."""
    prio = [p for p, _ in items]
    start = [s for _, s in items]
    got = [i for i, _, _ in greedy(prio, None, n, diversity=1.0, start=start)]
    penalised = [p * (1 - s) for p, s in items]
    assert got == sorted(range(len(items)), key=lambda i: (-penalised[i], i))[:n]


def test_labelled_texts_push_their_near_copies_down():
    from ner.quality.select import Candidate, ngram_vectors

    words = [("Модель", "BERT", "обучили", "на", "корпусе"), ("Вчера", "был", "дождь"),
             ("GigaChat", "отвечает", "на", "вопросы")]
    pool = [Candidate(str(k), " ".join(w), (w,)) for k, w in enumerate(words)]
    labelled = [Candidate("x", "Модель BERT обучили на корпусе", (words[0],))]
    both = ngram_vectors(pool + labelled)
    start = (both[:3] @ both[3:].T).max(axis=1).toarray().ravel()
    assert start[0] == pytest.approx(1.0) and start[1] == 0.0
    picks = [i for i, _, _ in greedy([1.0, 0.5, 0.4], both[:3], None, 1.0, None, None, start)]
    assert picks[-1] == 0  # the labelled text's copy, the most uncertain, goes last: it adds nothing new
    assert [i for i, _, _ in greedy([1.0, 0.5, 0.4], both[:3], None, 1.0)][0] == 0  # first without them
