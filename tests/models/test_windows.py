"""Windows over long inputs: the plan (hand cases and properties) and the per-word merge of scores."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.models.windows import merge_scores, open_window, plan_windows


@pytest.mark.parametrize("costs,size,stride,expected", [
    ([], 4, 1, []),
    ([1], 4, 1, [(0, 1)]),
    ([1] * 4, 4, 1, [(0, 4)]),
    ([1] * 10, 4, 2, [(0, 4), (2, 6), (4, 8), (6, 10)]),
    ([1] * 7, 4, 0, [(0, 4), (4, 7)]),
    ([2, 2, 2, 2], 4, 2, [(0, 2), (1, 3), (2, 4)]),
    ([1, 9, 1], 4, 1, [(0, 1), (1, 2), (2, 3)]),  # an over-long word gets a window of its own
    # the case: (4, 8), (5, 8) and (6, 9) sat inside their neighbours; word 8 (9 pieces)
    # leaves room for only 2 more pieces in the window that holds it
    ([1, 3, 1, 1, 1, 1, 1, 1, 9, 1, 5, 1, 3], 11, 4, [(0, 8), (6, 9), (9, 13)]),
])
def test_plan_windows(costs, size, stride, expected):
    assert plan_windows(costs, size, stride) == expected


def check_plan(costs, size, stride, windows):
    n = len(costs)
    if n == 0:
        assert windows == []
        return
    assert windows[0][0] == 0 and windows[-1][1] == n
    covered = set()
    for a, b in windows:
        assert 0 <= a < b <= n
        assert sum(costs[a:b]) <= size or b - a == 1  # within size, or one over-long word alone
        covered |= set(range(a, b))
    assert covered == set(range(n))
    for (a, b), (c, d) in zip(windows, windows[1:]):
        assert a < c and b < d  # strictly advancing on both ends: no window holds another
        assert c <= b  # no gap
        assert sum(costs[c:b]) <= stride  # the overlap stays within the stride


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_plan_windows_properties(data):
    size = data.draw(st.integers(1, 20), label="size")
    stride = data.draw(st.integers(0, size - 1), label="stride")
    costs = data.draw(st.lists(st.integers(1, size + 3), max_size=40), label="costs")
    check_plan(costs, size, stride, plan_windows(costs, size, stride))


@pytest.mark.parametrize("n,size,stride", [(1000, 38, 8), (97, 10, 3), (50, 7, 6), (13, 5, 1)])
def test_unit_costs_overlap_by_exactly_the_stride(n, size, stride):
    windows = plan_windows([1] * n, size, stride)
    check_plan([1] * n, size, stride, windows)
    assert all(b - a == size for a, b in windows[:-1])
    assert all(b - c == stride for (_, b), (c, _) in zip(windows, windows[1:]))


def test_merge_weights_words_by_their_distance_from_a_cut():
    # words 3..5 are in both windows; a cut edge is 3 (b's start) and 6 (a's end)
    windows = [(0, 6), (3, 9)]
    a, b = np.zeros((6, 2)), np.ones((6, 2))
    got = merge_scores(9, windows, [a, b])[:, 0]
    # word 3: weight 3 in a (2 from a's end, +1), 1 in b; word 4: 2 and 2; word 5: 1 and 3
    assert got.tolist() == [0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1]


def test_merged_probabilities_stay_distributions():
    rng = np.random.default_rng(0)
    windows = plan_windows([1] * 30, 8, 3)
    rows = [rng.dirichlet(np.ones(5), size=b - a) for a, b in windows]
    merged = merge_scores(30, windows, rows)
    assert merged.shape == (30, 5) and np.allclose(merged.sum(1), 1.0)


def test_merge_refuses_a_wrong_row_count_and_a_gap():
    with pytest.raises(ValueError):
        merge_scores(3, [(0, 3)], [np.zeros((2, 4))])
    with pytest.raises(ValueError):
        merge_scores(4, [(0, 2)], [np.zeros((2, 4))])


@pytest.mark.parametrize("tags,expected", [
    (["I-Model", "I-Model", "O"], ["B-Model", "I-Model", "O"]),
    (["B-Model", "I-Model"], ["B-Model", "I-Model"]),
    (["O", "I-Model"], ["O", "I-Model"]),  # only the window's start is a cut; the rest is the corpus's
    ([], []),
])
def test_open_window(tags, expected):
    assert open_window(tags) == expected
