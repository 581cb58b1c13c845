"""The CRF against brute force over every tag sequence of a tiny problem."""

import itertools

import pytest

torch = pytest.importorskip("torch")

from ner.models.crf import CRF, iob2_forbidden  # noqa: E402

TAGS = ["O", "B-A", "I-A", "B-B", "I-B"]


def _brute(crf, emissions, length, dtype=torch.float32):
    start, trans, end = (t.detach().to(dtype) for t in crf._scores())
    emissions = emissions.to(dtype)
    scores = {}
    for path in itertools.product(range(len(TAGS)), repeat=length):
        s = start[path[0]] + end[path[-1]] + sum(emissions[t, path[t]] for t in range(length))
        s = s + sum(trans[path[t - 1], path[t]] for t in range(1, length))
        scores[path] = s
    return scores


def _random_crf(seed):
    torch.manual_seed(seed)
    model = CRF(TAGS)
    with torch.no_grad():
        model.transitions.normal_()
        model.start.normal_()
        model.end.normal_()
    return model


@pytest.fixture
def crf():
    return _random_crf(0)


def test_forbidden_moves_are_iob2():
    start, trans = iob2_forbidden(TAGS)
    assert start.tolist() == [False, False, True, False, True]
    assert trans[0, 2] and trans[3, 2] and trans[4, 2] and not trans[1, 2] and not trans[2, 2]


def test_partition_viterbi_and_marginals_match_brute_force(crf):
    torch.manual_seed(1)
    emissions = torch.randn(2, 4, len(TAGS))
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.bool)
    log_z = crf.log_partition(emissions, mask)
    paths = crf.viterbi(emissions, mask)
    marg = crf.marginals(emissions, mask)
    for b, length in enumerate([4, 3]):
        scores = _brute(crf, emissions[b], length)
        all_scores = torch.stack(list(scores.values()))
        assert torch.allclose(log_z[b], torch.logsumexp(all_scores, 0), atol=1e-4)
        assert tuple(paths[b]) == max(scores, key=lambda p: scores[p].item())
        probs = torch.softmax(all_scores, 0)
        for t in range(length):
            for tag in range(len(TAGS)):
                expected = sum(p for path, p in zip(scores, probs) if path[t] == tag)
                assert marg[b, t, tag].item() == pytest.approx(float(expected), abs=1e-4)


def test_nll_is_the_negative_log_probability_of_the_gold_path(crf):
    emissions = torch.randn(1, 3, len(TAGS))
    mask = torch.ones(1, 3, dtype=torch.bool)
    gold = torch.tensor([[1, 2, 0]])
    scores = _brute(crf, emissions[0], 3)
    expected = torch.logsumexp(torch.stack(list(scores.values())), 0) - scores[(1, 2, 0)]
    assert crf.neg_log_likelihood(emissions, gold, mask).item() == pytest.approx(expected.item(), abs=1e-4)


def test_decoded_paths_are_valid_iob2(crf):
    emissions = torch.zeros(1, 3, len(TAGS))
    emissions[0, :, 2] = 10.0  # I-A everywhere is the strongest emission, but I-A cannot open
    assert crf.viterbi(emissions, torch.ones(1, 3, dtype=torch.bool)) == [[1, 2, 2]]


def test_decode_matches_brute_force():
    """The numpy prediction path (Viterbi and marginals in one pass) against brute force, in float64."""
    import numpy as np

    crf = _random_crf(3)
    emissions = torch.randn(3, 4, len(TAGS))
    lengths = [4, 1, 3]
    paths, probs = crf.decode(emissions.numpy(), lengths)
    for b, n in enumerate(lengths):
        scores = _brute(crf, emissions[b], n, torch.float64)
        assert tuple(paths[b, :n].tolist()) == max(scores, key=lambda p: scores[p].item())
        weights = torch.softmax(torch.stack(list(scores.values())), 0)
        for t in range(n):
            for tag in range(len(TAGS)):
                expected = sum(float(w) for path, w in zip(scores, weights) if path[t] == tag)
                assert probs[b][t, tag] == pytest.approx(expected, abs=1e-6)
        assert np.all(probs[b][:, 2][: 1] < 1e-6) and np.all(probs[b][:, 4][:1] < 1e-6)  # I- cannot open
