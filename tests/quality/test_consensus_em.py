"""The consensus model: EM against brute-force references, known rates recovered, decoding to valid IOB2."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ner.bio import spans_tags, tags_spans
from ner.quality.consensus.decode import best_spans, decode_text
from ner.quality.consensus.em import Candidates, _one_hot, build_candidates, e_step, fit, m_step, pseudo_counts
from ner.quality.consensus.merge import merge, truth
from ner.quality.consensus.versions import Text
from ner.records import Sentence


def random_model(rng, n_annotators, k):
    prior = rng.dirichlet(np.ones(k + 1))
    confusion = rng.dirichlet(np.ones(k + 2), size=(n_annotators, k + 1))
    return prior, confusion


@st.composite
def problems(draw):
    k = draw(st.integers(1, 3))
    n_annotators = draw(st.integers(1, 4))
    n_cands = draw(st.integers(1, 3))
    responses = np.array(draw(st.lists(st.lists(st.integers(-1, k + 1), min_size=n_annotators,
                                                max_size=n_annotators), min_size=n_cands, max_size=n_cands)))
    seed = draw(st.integers(0, 2**16))
    return k, responses, seed


@settings(max_examples=60, deadline=None)
@given(problems())
def test_e_step_equals_enumerating_every_assignment(problem):
    """The vectorised posterior and log-likelihood against a plain sum over all joint class assignments."""
    k, responses, seed = problem
    prior, confusion = random_model(np.random.default_rng(seed), responses.shape[1], k)
    posterior, ll = e_step(_one_hot(responses, k + 2), prior, confusion, np.full(len(responses), -1))
    n = len(responses)
    joint = {}
    for zs in itertools.product(range(k + 1), repeat=n):
        p = 1.0
        for c, z in enumerate(zs):
            p *= prior[z]
            for a, r in enumerate(responses[c]):
                if r >= 0:
                    p *= confusion[a, z, r]
        joint[zs] = p
    evidence = sum(joint.values())
    assert ll == pytest.approx(np.log(evidence), rel=1e-9, abs=1e-9)
    for c in range(n):
        for z in range(k + 1):
            marginal = sum(p for zs, p in joint.items() if zs[c] == z) / evidence
            assert posterior[c, z] == pytest.approx(marginal, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_m_step_equals_plain_counting(problem):
    k, responses, seed = problem
    rng = np.random.default_rng(seed)
    posterior = rng.dirichlet(np.ones(k + 1), size=len(responses))
    prior, confusion = m_step(_one_hot(responses, k + 2), posterior, 0.5)
    alpha = pseudo_counts(k + 1, 0.5)
    for a in range(responses.shape[1]):
        for z in range(k + 1):
            counts = [alpha[z, r] + sum(posterior[c, z] for c in range(len(responses)) if responses[c, a] == r)
                      for r in range(k + 2)]
            assert confusion[a, z] == pytest.approx(np.array(counts) / sum(counts))
    expected = posterior.sum(0) + 0.5
    assert prior == pytest.approx(expected / expected.sum())


@settings(max_examples=40, deadline=None)
@given(problems())
def test_em_never_lowers_the_penalised_likelihood(problem):
    """Each EM step raises log-likelihood + log prior of the parameters (MAP EM), never lowers it."""
    k, responses, seed = problem
    onehot = _one_hot(responses, k + 2)
    alpha = pseudo_counts(k + 1, 1.0)
    prior, confusion = random_model(np.random.default_rng(seed), responses.shape[1], k)
    known = np.full(len(responses), -1)

    def objective(prior, confusion):
        _, ll = e_step(onehot, prior, confusion, known)
        # the M-step's (counts + pseudo-counts) / total is the mode under Dirichlet(pseudo-counts + 1) priors
        return ll + (alpha * np.log(confusion)).sum() + (1.0 * np.log(prior)).sum()

    last = objective(prior, confusion)
    for _ in range(5):
        posterior, _ = e_step(onehot, prior, confusion, known)
        prior, confusion = m_step(onehot, posterior, 1.0)
        now = objective(prior, confusion)
        assert now >= last - 1e-7
        last = now


def simulate(n_texts, rates, seed, labels=("PER", "LOC")):
    """Texts of 6 words, each word a one-word gold entity with probability 0.3; annotator ``a`` keeps a gold
    span with probability ``rates[a][0]`` (recall; else drops it or, half the time, mislabels it) and adds a
    spurious span on an empty word with probability ``rates[a][1]``; errors are independent."""
    rng = np.random.default_rng(seed)
    texts, gold = [], {}
    for t in range(n_texts):
        g = {(i, i + 1, labels[rng.integers(len(labels))]) for i in range(6) if rng.random() < 0.3}
        gold[t] = frozenset(g)
        tags = {}
        for who, (recall, spurious) in rates.items():
            spans = []
            for i in range(6):
                here = next((s for s in g if s[0] == i), None)
                if here and rng.random() < recall:
                    spans.append(here)
                elif here and rng.random() < 0.5:
                    spans.append((i, i + 1, next(x for x in labels if x != here[2])))
                elif not here and rng.random() < spurious:
                    spans.append((i, i + 1, labels[rng.integers(len(labels))]))
            tags[who] = tuple(spans_tags(6, spans))
        words = tuple(f"w{t}_{i}" for i in range(6))
        texts.append(Text("".join(words), Sentence(words, ("O",) * 6), f"x:{t}", tags))
    return texts, gold


def test_em_recovers_known_rates_of_independent_annotators():
    rates = {"good": (0.95, 0.02), "fair": (0.8, 0.1), "poor": (0.6, 0.25)}
    texts, gold = simulate(1500, rates, seed=3)
    result = merge(texts, list(rates), labels=["LOC", "PER"])
    true = truth(texts, result, gold)
    for est in result.estimates:
        real = sum(true[est.who].values(), type(est.micro)())
        assert est.micro.precision == pytest.approx(real.precision, abs=0.03), est.who
        assert est.micro.recall == pytest.approx(real.recall, abs=0.03), est.who
    assert [e.who for e in sorted(result.estimates, key=lambda e: -e.micro.f1)] == ["good", "fair", "poor"]
    merged = sum(true["merge"].values(), type(result.estimates[0].micro)())
    voted = sum(true["vote"].values(), type(result.estimates[0].micro)())
    assert merged.f1 > voted.f1 + 0.01


def test_two_annotators_with_known_rates_give_the_closed_form_posterior():
    """Rates known from anchored texts: a free candidate's posterior is prior x rates, normalised."""
    texts, gold = simulate(800, {"a": (0.9, 0.05), "b": (0.7, 0.2)}, seed=5)
    anchors = {t: gold[t] for t in range(600)}
    result = merge(texts, ["a", "b"], labels=["LOC", "PER"], anchors=anchors)
    cands = result.candidates
    onehot = _one_hot(cands.responses, 4)
    prior, confusion = m_step(onehot, np.eye(3)[cands.known.clip(0)] * (cands.known >= 0)[:, None], 1.0)
    free = [c for c in range(len(cands.spans)) if cands.known[c] < 0 and cands.spans[c][1] >= 0]
    assert free
    # a free candidate's posterior is the closed form: prior x both annotators' rates, normalised
    model = fit(cands)
    for c in free[:20]:
        expected = model.prior * np.prod([model.confusion[a, :, cands.responses[c, a]] for a in range(2)], axis=0)
        assert model.posterior[c] == pytest.approx(expected / expected.sum(), abs=1e-6)
    # and the anchored texts alone give rates close to the simulated ones: a keeps 90%, b 70% of gold spans
    kept_a = confusion[0, :2, :2].trace() / confusion[0, :2].sum()
    kept_b = confusion[1, :2, :2].trace() / confusion[1, :2].sum()
    assert kept_a == pytest.approx(0.9, abs=0.05) and kept_b == pytest.approx(0.7, abs=0.06)


def test_the_merge_equals_the_gold_when_one_annotator_is_perfect_and_known():
    texts, gold = simulate(600, {"perfect": (1.0, 0.0), "noisy": (0.7, 0.2), "noisier": (0.6, 0.3)}, seed=11)
    anchors = {t: gold[t] for t in range(200)}   # known: gold on a third of the texts
    result = merge(texts, ["perfect", "noisy", "noisier"], labels=["LOC", "PER"], anchors=anchors)
    for t in range(len(texts)):
        assert {s[:3] for s in result.spans[t]} == set(gold[t]), t
    voted_wrong = sum({s[:3] for s in result.vote[t]} != set(gold[t]) for t in range(200, 600))
    assert voted_wrong > 20   # majority vote does not get there: the two noisy ones outvote the perfect one


def test_candidates_read_exact_other_and_none_responses():
    per = [[{(0, 2, "PER")}, {(1, 2, "PER")}, set()]]
    cands = build_candidates(per, [[True, True, False]], ["PER"], ["a", "b", "c"])
    assert cands.spans == ((0, 0, 2), (0, 1, 2))
    assert cands.responses.tolist() == [[0, 2, -1], [2, 0, -1]]   # PER, other (overlaps), absent


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 4), st.floats(-1, 1)), max_size=7))
def test_best_spans_is_the_best_non_overlapping_subset(raw):
    options = [(i, i + n, w, k) for k, (i, n, w) in enumerate(raw)]
    chosen = best_spans(options)
    for x, y in itertools.combinations(chosen, 2):
        assert not (x[0] < y[1] and y[0] < x[1])
    best = 0.0
    for r in range(len(options) + 1):
        for subset in itertools.combinations(options, r):
            if all(not (x[0] < y[1] and y[0] < x[1]) for x, y in itertools.combinations(subset, 2)):
                best = max(best, sum(o[2] for o in subset))
    assert sum(o[2] for o in chosen) == pytest.approx(best)


def test_overlapping_candidates_decode_to_valid_iob2_with_scores():
    ranges = [(0, 2), (1, 3), (3, 4)]
    posterior = np.array([[0.7, 0.1, 0.2], [0.6, 0.0, 0.4], [0.1, 0.3, 0.6]])   # labels PER, LOC; then none
    spans, score = decode_text(ranges, posterior, ["PER", "LOC"])
    assert spans == [(0, 2, "PER", pytest.approx(0.7))]
    assert score == pytest.approx(0.7 * 0.6)   # (1, 3) overlaps the chosen span: already counted
    tags = spans_tags(4, [s[:3] for s in spans])
    assert tags_spans(tags) == [(0, 2, "PER")]


def test_fit_of_no_candidates_is_empty():
    cands = Candidates((), np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64), ("PER",), ("a", "b"))
    assert fit(cands).posterior.shape == (0, 2)


def test_redundant_annotators_count_as_one_voice():
    from ner.quality.consensus.merge import Counts, redundancy_weights

    texts, gold = simulate(1500, {"good": (0.95, 0.03), "fair": (0.75, 0.15), "other": (0.7, 0.2)}, seed=21)
    clones = [Text(t.key, t.sentence, t.where, {**t.tags, "clone": t.tags["fair"]}) for t in texts]
    names = ["good", "fair", "clone", "other"]
    sets = [[frozenset(tags_spans(t.tags[a])) for a in names] for t in clones]
    weights = redundancy_weights(sets, [[True] * 4 for _ in clones])
    assert weights[1] == pytest.approx(weights[2]) and weights[1] <= 0.5               # fair and its clone: one voice
    assert weights[3] > 1.5 * weights[1], weights
    plain = merge(clones, names, labels=["LOC", "PER"])
    weighted = merge(clones, names, labels=["LOC", "PER"], redundancy=True)
    f1 = {name: sum(truth(clones, r, gold)["merge"].values(), Counts()).f1
          for name, r in (("plain", plain), ("weighted", weighted))}
    assert f1["weighted"] > f1["plain"] + 0.05, f1   # plain EM takes fair and its clone for the truth


def test_a_unanimous_sentence_is_not_less_sure_for_being_long():
    """The sentence score counts the candidates, not the words nobody marked (a length penalty that put long
    unanimous sentences before real disagreements in the review order)."""
    texts, _ = simulate(300, {"a": (0.9, 0.05), "b": (0.8, 0.1), "c": (0.7, 0.1)}, seed=2)
    tags = ("B-PER", "O", "O", "O", "O", "O")
    short = Text("short", Sentence(("Иван", "спит"), ("O", "O")), "s:1", {w: tags[:2] for w in "abc"})
    long = Text("long", Sentence(("Иван",) + ("спит",) * 5, ("O",) * 6), "l:1", {w: tags for w in "abc"})
    result = merge([*texts, short, long], ["a", "b", "c"], labels=["LOC", "PER"])
    assert result.scores[-1] == pytest.approx(result.scores[-2]) and result.scores[-1] > 0.9


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**16), st.floats(0.3, 3.0), st.floats(-2, 2))
def test_calibration_fit_equals_plain_logistic_regression(seed, slope, shift):
    from sklearn.linear_model import LogisticRegression

    from ner.quality.consensus.calibrate import fit_calibration, logit

    rng = np.random.default_rng(seed)
    p = rng.uniform(0.01, 0.99, 400)
    y = rng.random(400) < 1 / (1 + np.exp(-(slope * logit(p) + shift)))
    if y.all() or not y.any():
        return
    ours = fit_calibration(p, y, ridge=0.0)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(logit(p)[:, None], y)
    assert ours.a == pytest.approx(reference.coef_[0, 0], abs=1e-3)
    assert ours.b == pytest.approx(reference.intercept_[0], abs=1e-3)


def test_anchored_sentences_calibrate_overconfident_span_scores():
    """A clone makes EM far too sure; a fifth of the texts known brings the span scores to the precision."""
    texts, gold = simulate(1500, {"good": (0.95, 0.03), "fair": (0.75, 0.15), "other": (0.7, 0.2)}, seed=21)
    clones = [Text(t.key, t.sentence, t.where, {**t.tags, "clone": t.tags["fair"]}) for t in texts]
    names = ["good", "fair", "clone", "other"]
    plain = merge(clones, names, labels=["LOC", "PER"])
    known = merge(clones, names, labels=["LOC", "PER"], anchors={t: gold[t] for t in range(300)})
    assert known.calibration is not None and plain.calibration is None

    def gap(result):
        spans = [(s[3], s[:3] in gold[t]) for t in range(300, 1500) for s in result.spans[t]]
        return abs(np.mean([s for s, _ in spans]) - np.mean([ok for _, ok in spans]))

    assert gap(plain) > 0.1 and gap(known) < 0.03, (gap(plain), gap(known))
