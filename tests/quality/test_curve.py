"""ner curve: the arithmetic (counts against seqeval, bootstrap, verdicts, next point, nested subsets)
and tiny, really trained navec curves through the library and the CLI."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ner.bio import spans_tags
from ner.errors import UserError
from ner.quality.curve import plan_points, take, units_of
from ner.quality.curve_stats import Estimate, bootstrap, f1_of, next_point, run_undertrained, span_counts, verdict
from tests.conftest import ROOT

WRITTEN = ROOT / "corpora" / "ml_ru_written.conll"
SEED_NORMALIZED = ROOT / "corpora" / "ml_ru_seed.normalized.conll"
LABELS = ["X", "Y", "Z"]

raw_spans = st.lists(st.tuples(st.integers(0, 9), st.integers(1, 3), st.sampled_from(LABELS)), max_size=4)


def to_tags(n, raw):
    taken, out = set(), []
    for start, length, label in raw:
        cells = set(range(start, min(n, start + length)))
        if cells and not cells & taken:
            taken |= cells
            out.append((start, min(n, start + length), label))
    return spans_tags(n, out)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(raw_spans, raw_spans), min_size=1, max_size=6))
def test_counts_give_seqeval_strict_scores(pairs):
    from ner.evaluate import score

    gold = [to_tags(10, g) for g, _ in pairs]
    pred = [to_tags(10, p) for _, p in pairs]
    micro, per_label = f1_of(span_counts(gold, pred, LABELS).sum(0))
    ev = score(gold, pred)
    assert float(micro) == pytest.approx(ev.micro.f1)
    for k, label in enumerate(LABELS):
        if label in ev.labels:
            assert float(per_label[k]) == pytest.approx(ev.labels[label].f1)


def test_span_counts_known_case():
    gold = [["B-X", "I-X", "O", "B-Y"]]
    pred = [["B-X", "I-X", "O", "B-X"]]
    assert span_counts(gold, pred, ["X", "Y"]).tolist() == [[[1, 1, 0], [0, 0, 1]]]


def test_bootstrap_interval_degenerate_and_spread():
    perfect = np.zeros((20, 1, 3), dtype=np.int64)
    perfect[:, 0, 0] = 1
    micro, (label,) = bootstrap([perfect, perfect], n=200)
    assert (micro.mean, micro.low, micro.high, micro.std) == (1.0, 1.0, 1.0, 0.0) and label == micro
    half = perfect.copy()
    half[10:, 0] = [0, 1, 1]  # half the sentences wrong: F1 0.5 on the whole set
    micro, _ = bootstrap([half], n=2000, seed=3)
    assert micro.mean == pytest.approx(0.5)
    assert 0.25 < micro.low < 0.5 < micro.high < 0.75
    two, _ = bootstrap([perfect, half], n=2000, seed=3)  # seeds disagree: the interval spans both
    assert two.mean == pytest.approx(0.75) and two.std == pytest.approx(0.25)
    assert two.low < 0.5 and two.high == 1.0


def est(m, half=0.005):
    return Estimate(m, m - half, m + half, 0.0)


NAMES = ["10%", "25%", "50%", "75%", "100%"]


@pytest.mark.parametrize("values, expected", [
    ([0.2, 0.4, 0.5, 0.55, 0.6], "Method_ML still rising over the last step (75% -> 100%: +0.050): more data helps"),
    ([0.2, 0.4, 0.7, 0.705, 0.7], "Method_ML flat since 50% (0.700): more of the same data will not help it; "
                                 "label harder examples (ner select)"),
    ([0.2, 0.4, 0.6, 0.7, 0.705], "Method_ML flat since 75% (0.705): more of the same data will not help it; "
                                  "label harder examples (ner select)"),
    ([0.2, 0.4, 0.6, 0.7, 0.65], "Method_ML fell over the last step (75% -> 100%: -0.050); if it holds, look "
                                 "for inconsistent labels (ner critic)"),
])
def test_verdicts(values, expected):
    assert verdict("Method_ML", NAMES, [est(v) for v in values], 50) == expected


def test_a_label_never_learned_is_not_called_flat():
    assert verdict("Project", NAMES, [est(0.0)] * 5, 11) == (
        "Project not learned at any point (F1 0.000): it needs more examples of its own (check its count in ner stats)")


def test_verdict_says_when_the_change_is_inside_the_interval_and_when_support_is_small():
    wide = [est(0.5, 0.1), est(0.55, 0.1)]
    assert verdict("Date", ["50%", "100%"], wide, 30) == (
        "Date: the last step (50% -> 100%: +0.050) is within the noise (95% interval ±0.100): no verdict; "
        "more seeds (--seeds) or a larger evaluation set would tell")
    assert "more data helps" not in verdict("Date", ["50%", "100%"], wide, 30)
    assert "within the noise" in verdict("Date", ["50%", "100%"], [est(0.5, 0.1), est(0.45, 0.1)], 30)   # fell
    assert verdict("Date", ["50%", "100%"], [est(0.3, 0.1), est(0.55, 0.1)], 30).startswith(
        "Date still rising over the last step (50% -> 100%: +0.250): more data helps")          # outside: a verdict
    assert verdict("Date", ["50%", "100%"], wide, 3) == "Date: only 3 in the evaluation set, too few to tell"
    assert verdict("Date", ["100%"], wide[:1], 30) == "Date: one point only, nothing to compare"


def test_undertrained_points_are_named_in_the_verdict():
    flags = ["", "", "", "1 of 3 runs scored 0.000", "3 of 3 runs stopped at the epoch cap"]
    assert verdict("Method_ML", NAMES, [est(v) for v in (0.2, 0.4, 0.5, 0.55, 0.6)], 50, undertrained=flags) == (
        "Method_ML still rising over the last step (75% -> 100%: +0.050): more data helps; but 75% and 100% are "
        "undertrained (*): this may be the training, not the data; raise --epochs")
    assert verdict("Method_ML", NAMES, [est(v) for v in (0.2, 0.4, 0.5, 0.55, 0.6)], 50,
                   undertrained=flags[:-1] + [""]).endswith("; but 75% is undertrained (*): this may be the "
                                                             "training, not the data; raise --epochs")
    assert "undertrained" not in verdict("Method_ML", NAMES, [est(v) for v in (0.2, 0.4, 0.5, 0.55, 0.6)], 50,
                                         undertrained=["3 of 3 runs stopped at the epoch cap"] + [""] * 4)


@pytest.mark.parametrize("run, best, epochs, patience, micro, expected", [
    (3, 3, 3, 6, 0.5, "stopped at the epoch cap"),      # ran every epoch, still improving
    (30, 27, 30, 6, 0.5, "stopped at the epoch cap"),
    (30, 24, 30, 6, 0.5, ""),                           # early stop on the last epoch: converged
    (14, 8, 30, 6, 0.5, ""),                            # early stop
    (9, 9, 30, 6, 0.5, "stopped by the time budget"),
    (14, 8, 30, 6, 0.0, "scored 0.000"),
])
def test_a_run_is_undertrained_when_it_stopped_still_improving_or_scored_zero(run, best, epochs, patience, micro,
                                                                              expected):
    assert run_undertrained(run, best, epochs, patience, micro) == expected


def test_next_point_extrapolates_on_log_size():
    size, f1 = next_point([100, 200, 400], [0.5, 0.6, 0.7])
    assert size == 600 and f1 == pytest.approx(0.5 + 0.1 * np.log2(6))
    assert next_point([100, 200], [0.99, 1.0])[1] <= 1.0
    assert next_point([100], [0.5]) is None


def test_plan_points_and_bad_fractions():
    assert plan_points(200, (0.1, 0.25, 0.5, 0.75, 1.0), 0) == [
        ("10%", 20), ("25%", 50), ("50%", 100), ("75%", 150), ("100%", 200)]
    assert plan_points(200, (0.1, 0.25, 1.0), 50) == [("50 sentences", 50), ("100%", 200)]
    with pytest.raises(UserError, match="fractions"):
        plan_points(200, (0.5, 1.5), 0)
    with pytest.raises(UserError, match="fewer than --start 500"):
        plan_points(200, (0.1,), 500)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=30), st.integers(0, 10 ** 6),
       st.lists(st.integers(1, 60), min_size=2, max_size=5))
def test_subsets_are_nested_and_reach_their_size(sizes, seed, targets):
    units = [tuple(f"u{i}s{j}" for j in range(n)) for i, n in enumerate(sizes)]
    order = list(range(len(units)))
    random.Random(seed).shuffle(order)
    total = sum(sizes)
    previous = []
    for target in sorted(targets):
        subset = take(units, order, target)
        assert subset[:len(previous)] == previous  # nested: each holds the smaller ones
        assert len(subset) >= min(target, total)
        assert len(subset) - max(sizes) < target or len(subset) == total  # the shortest prefix
        previous = subset


def test_units_by_document_or_sentence():
    from ner.formats.conll import read_conll

    docs = list(read_conll(WRITTEN))
    unit, units = units_of(docs, "auto")
    assert unit == "document" and len(units) == len(docs)
    unit, units = units_of(docs, "sentence")
    assert unit == "sentence" and len(units) == sum(len([s for s in d.sentences if len(s)]) for d in docs)


@pytest.fixture
def small_corpus(tmp_path):
    """The first 12 documents of the written corpus (about 200 sentences): runs of a second or two."""
    from ner.formats.conll import read_conll, write_conll

    path = tmp_path / "small.conll"
    write_conll(list(read_conll(WRITTEN))[:12], path)
    return path


@pytest.mark.slow
def test_tiny_trained_curve_through_the_library(small_corpus):
    from ner.formats.conll import read_conll
    from ner.quality.curve import CurveOptions, learning_curve
    from ner.train.config import TrainConfig

    docs = list(read_conll(small_corpus))
    evaluation = [s for d in read_conll(SEED_NORMALIZED) for s in d.sentences]
    lines = []
    curve = learning_curve(docs, evaluation, base=TrainConfig(epochs=1, hidden=16, patience=1),
                           options=CurveOptions(fractions=(0.1, 1.0), start=40, seeds=2, bootstrap=100),
                           progress=lines.append)
    assert [p.name for p in curve.points] == ["40 sentences", "100%"]  # 10% (20 sentences) is under --start
    assert all(len(p.counts) == 2 and p.micro is not None for p in curve.points)
    assert all(40 <= n for n in curve.points[0].sentences) and curve.points[-1].sentences[0] == len(
        [s for d in docs for s in d.sentences if len(s)])
    assert sum(1 for line in lines if line.endswith(": training")) == 4
    assert len(curve.verdicts()) == len(curve.labels)
    # one epoch with patience 1: every run stopped at the epoch cap (or scored nothing), and says so
    assert all(set(p.undertrained) <= {"stopped at the epoch cap", "scored 0.000"} and p.flag for p in curve.points)
    assert all("undertrained (*)" in line or "only" in line for line in curve.verdicts())
    data = curve.as_dict()
    assert data["next"]["add_sentences"] > 0 and data["skipped"] == []


@pytest.mark.slow
def test_curve_cli_json_plot_and_budget(small_corpus, tmp_path, capsys):
    from ner.cli import main

    config = tmp_path / "tiny.toml"
    config.write_text("epochs = 1\nhidden = 16\npatience = 1\n", encoding="utf-8")
    png = tmp_path / "curve.png"
    args = ["curve", str(small_corpus), "--dev", str(SEED_NORMALIZED), "--config", str(config), "--fractions", "50,100",
            "--seeds", "1", "--bootstrap", "50"]
    assert main([*args, "--plot", str(png)]) == 0
    captured = capsys.readouterr()
    assert "Verdicts" in captured.out and "Next point: about" in captured.out
    assert "100%*" in captured.out and "* undertrained (50%: 1 of 1 run" in captured.out
    assert "[2/2] 100%" in captured.err and png.stat().st_size > 10_000
    assert main([*args, "--json", "--seeds", "3", "--budget", "0.0001"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [len(p["seeds"]) for p in data["points"]] == [1, 0]  # only the first run fitted
    assert data["skipped"] == ["100% seed 1", "50% seed 2", "100% seed 2", "50% seed 3", "100% seed 3"]
    assert "would not fit the 0.0001-minute budget" in captured.err


def test_a_dev_label_the_training_corpus_lacks_is_not_learned_not_a_crash(tmp_path, capsys):
    """--dev with a label TRAIN has not: every run stopped on "labels outside the schema" in the
    temporary dev copy (and its advice, --labels auto, changed nothing); now the label scores 0."""
    from ner.cli import main

    dev = tmp_path / "dev.conll"
    dev.write_text("Модель\tO\nBERT\tB-Foo\nот\tO\nGoogle\tB-Organization\n", encoding="utf-8")
    config = tmp_path / "tiny.toml"
    config.write_text("epochs = 1\nhidden = 8\npatience = 1\n", encoding="utf-8")
    assert main(["curve", str(SEED_NORMALIZED), "--dev", str(dev), "--config", str(config), "--fractions", "50,100",
                 "--seeds", "1", "--bootstrap", "10", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "Foo" in data["labels"] and data["support"]["Foo"] == 1
    assert [p["labels"]["Foo"]["mean"] for p in data["points"]] == [0.0, 0.0]


def test_curve_cli_needs_an_evaluation_corpus(capsys):
    from ner.cli import main

    assert main(["curve", str(WRITTEN)]) == 2
    assert "give --dev DEV" in capsys.readouterr().err
    for flag in ("--budget", "--start", "--bootstrap", "--tolerance"):
        assert main(["curve", str(WRITTEN), "--dev", str(WRITTEN), flag, "-1"]) == 2
        assert f"{flag} -1: must be 0 or more" in capsys.readouterr().err


def test_budget_estimate_separates_the_fixed_cost_from_the_cost_per_sentence():
    from ner.quality.curve import estimate_seconds

    # runs on factRuEval: a small run is mostly start-up; the old slowest-per-sentence rule said 743 s
    history = [(50, 28.0), (443, 46.0), (885, 92.0)]
    assert 100 < estimate_seconds(history, 1327) < 150
    assert estimate_seconds([], 100) == 0.0


def test_curve_names_the_encoder_base_model_as_train_does():
    """``--model`` is a trained model directory everywhere; the encoder to fine-tune is ``--base-model``."""
    from ner.cli import build_parser

    args = build_parser().parse_args(["curve", "train.conll", "--backbone", "transformer", "--base-model", "enc"])
    assert args.base_model == "enc" and not hasattr(args, "model")


@pytest.mark.slow
def test_curve_trains_with_the_options_for_unseen_names(small_corpus, tmp_path, capsys):
    """#19's training options reach every run of a curve through --config (unknown keys were refused before)."""
    from ner.cli import main

    config = tmp_path / "names.toml"
    config.write_text("epochs = 1\nhidden = 8\npatience = 1\nnatasha = true\nlexicon_span_dropout = 0.5\n"
                      "lexicon_boost = 4.0\no_bias = 0.5\nlexicon_parts = true\n", encoding="utf-8")
    assert main(["curve", str(small_corpus), "--dev", str(SEED_NORMALIZED), "--config", str(config),
                 "--fractions", "100", "--seeds", "1", "--bootstrap", "20", "--json", "--verbose"]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert len(data["points"]) == 1 and len(data["points"][0]["seeds"]) == 1
    assert "with its words (--lexicon-parts)" in out.err  # the run's own training line
