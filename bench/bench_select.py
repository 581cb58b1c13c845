"""Benchmark: does ``ner select`` save annotation time? Simulated active learning, measured in tokens.

Two pools, each with gold tags playing the annotator:
- ``factrueval``: factRuEval's devset is the pool, its testset scores every round;
- ``written``: the project's written corpus (``corpora/ml_ru_written.conll``), split by document
  (seeded, 25% of documents held out to score, the rest the pool).

Every run starts from the same random ``--start-tokens`` words of sentences and adds
``--step-tokens`` words a round, so every strategy pays the same annotation cost per round:
- ``ours``: ``ner select`` as shipped (``cost="tokens"``: expected wrong words per word read,
  near-duplicates penalised, the batch filled up to the words budget);
- ``previous``: the strategy before cost-awareness (errors + least confident word, a text counted as
  one), filling the same words budget;
- ``random``: a seeded shuffle filling the same budget, the peer.

Prints per pool the mean strict micro F1 and tokens per round (``--seeds`` seeds), and last:
``labels needed to reach random's final F1: N% of sentences, M% of tokens`` for ours and previous.
Goals (issue 22): at most 60% of random's tokens on both pools, ours >= random in every round.

    python bench/bench_select.py [--pools factrueval,written] [--strategies ours,previous,random] [--rounds 6]
        [--start-tokens 1500] [--step-tokens 1500] [--seeds 3 | --seed-list 1,2] [--epochs 30] [--patience 6]
        [--hidden 128] [--test-limit N] [--written CONLL] [--json FILE] [--plot PNG]
    python bench/bench_select.py --replot run1.json run2.json [--plot curves.png]   # merged report, no training
    python bench/bench_select.py --ranking full.json reduced1.json,reduced2.json --seed-list 1

``--ranking`` is how a cut is checked: the same seed at two settings, the order of the strategies per
round. The runs behind docs/annotating.md are in ``bench/results/select/``.

``ner train``'s defaults are the defaults here (30 epochs, patience 6, hidden 128); every training
stops early on a dev split held out of its own labelled set (10%), never on the scoring part.
On a shared machine set OMP_NUM_THREADS=1; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FACTRUEVAL = ROOT.parent / "shared" / "corpora" / "factrueval2016"
WRITTEN = ROOT / "corpora" / "ml_ru_written.conll"
STRATEGIES = ("ours", "previous", "random")
SCORINGS = {  # select()'s arguments of each model-based strategy, from the candidates
    "ours": lambda candidates: {},
    "previous": lambda candidates: {"measures": ("errors", "least")},
    # a text's fixed cost as large as reading the pool's median text (ours: 3 words)
    "median-overhead": lambda candidates: {"overhead": statistics.median(c.tokens for c in candidates)},
    # Shen et al. 2017's length-normalised confidence alone: the mean log-probability of each word's top tag
    "mnlp": lambda candidates: {"measures": ("mnlp",)},
}


def load_pool(name: str, seed: int = 13, written: Path = WRITTEN):
    """(pool sentences, scoring sentences) of a named pool."""
    from ner.formats.conll import read_conll

    if name == "factrueval":
        if not FACTRUEVAL.exists():
            raise SystemExit(f"{FACTRUEVAL} is not there: the factrueval pool needs ../shared")
        pool = [s for d in read_conll(FACTRUEVAL / "devset.conll") for s in d.sentences if len(s)]
        test = [s for d in read_conll(FACTRUEVAL / "testset.conll") for s in d.sentences if len(s)]
        return pool, test
    docs = [d for d in read_conll(written) if d.sentences]
    random.Random(seed).shuffle(docs)
    cut = max(1, len(docs) // 4)
    return ([s for d in docs[cut:] for s in d.sentences if len(s)],
            [s for d in docs[:cut] for s in d.sentences if len(s)])


def train_and_score(labelled, test, args, seed, tmp: Path, labels: list[str]):
    from ner.models import load_model
    from ner.quality.curve_stats import f1_of, span_counts
    from ner.train import TrainConfig, fit

    config = TrainConfig(seed=seed, epochs=args.epochs, patience=args.patience, hidden=args.hidden)
    model = load_model(fit(labelled, None, labels, config, tmp / "model"))
    pred = [p.tags for p in model.predict([s.words for s in test])]
    scored = sorted({t[2:] for s in test for t in s.tags if t != "O"})
    micro, _ = f1_of(span_counts([s.tags for s in test], pred, scored).sum(0))
    return model, float(micro)


def first_batch(pool, seed: int, budget: int) -> list[int]:
    """The seeded random start every strategy shares: whole sentences up to ``budget`` words."""
    order = list(range(len(pool)))
    random.Random(seed).shuffle(order)
    out, used = [], 0
    for i in order:
        if used + len(pool[i]) <= budget:
            out.append(i)
            used += len(pool[i])
    return out


def choose(strategy: str, pool, rest, model, budget: int, seed: int) -> set[int]:
    from ner.quality.select import Candidate, select

    candidates = [Candidate(str(i), pool[i].text, (pool[i].words,)) for i in rest]
    if strategy == "random":
        chosen = select(candidates, strategy="random", seed=seed, budget=budget)
    else:
        chosen = select(candidates, model=model, budget=budget, **SCORINGS[strategy](candidates))
    return {int(c.candidate.where) for c in chosen}


def simulate(strategy: str, pool, test, args, seed: int, labels: list[str], log,
             start: dict) -> list[tuple[int, int, float]]:
    """(sentences, tokens, F1) after each round. ``start`` keeps each seed's round 0 (model, F1) and the
    directory its model lives in (``start["dir"]``): every strategy starts from the same labelled words
    and seed, so round 0 is trained once."""
    labelled = first_batch(pool, seed, args.start_tokens)
    rest = [i for i in range(len(pool)) if i not in set(labelled)]
    curve = []
    with tempfile.TemporaryDirectory(prefix="bench-select-") as tmp:
        for rnd in range(args.rounds + 1):
            t0 = time.monotonic()
            if rnd == 0 and seed in start:
                model, f1 = start[seed]
            else:
                where = start["dir"] / f"start-{seed}" if rnd == 0 else Path(tmp) / str(rnd)
                model, f1 = train_and_score([pool[i] for i in labelled], test, args, seed, where, labels)
                if rnd == 0:
                    start[seed] = model, f1
            tokens = sum(len(pool[i]) for i in labelled)
            curve.append((len(labelled), tokens, f1))
            log(f"{strategy:9s} seed {seed} round {rnd}: {len(labelled)} sentences, {tokens} tokens, F1 {f1:.4f} "
                f"({time.monotonic() - t0:.0f} s)")
            if rnd == args.rounds:
                break
            picked = choose(strategy, pool, rest, model, args.step_tokens, seed * 100 + rnd)
            labelled += [i for i in rest if i in picked]
            rest = [i for i in rest if i not in picked]
    return curve


def labels_to_reach(curve, target: float) -> float | None:
    """Labels (the x of ``curve``'s (x, F1) points, growing) at which it first reaches ``target``,
    interpolated linearly between rounds; None if it never does.

    >>> labels_to_reach([(50, 0.2), (150, 0.4), (250, 0.6)], 0.5)
    200.0
    """
    prev = None
    for x1, y1 in curve:
        if y1 >= target:
            if prev is None:
                return float(x1)
            x0, y0 = prev
            return x0 + (x1 - x0) * (target - y0) / (y1 - y0)
        prev = (x1, y1)
    return None


def mean_curves(curves) -> dict:
    """Per strategy, the mean (sentences, tokens, F1) of each round over its seeds' curves."""
    return {k: [tuple(sum(c[r][j] for c in v) / len(v) for j in range(3)) for r in range(len(v[0]))]
            for k, v in curves.items() if v}


def report(name: str, mean: dict) -> list[str]:
    names = [s for s in (*STRATEGIES, *sorted(set(mean) - set(STRATEGIES))) if s in mean]
    rounds = len(mean[names[0]])
    lines = [f"\npool {name}: mean over seeds (sentences / tokens / strict micro F1)",
             f"{'round':>5}  " + "  ".join(f"{s + ' F1':>12} {'tokens':>7} {'sents':>5}" for s in names)]
    for r in range(rounds):
        lines.append(f"{r:>5}  " + "  ".join(f"{mean[s][r][2]:>12.4f} {mean[s][r][1]:>7.0f} {mean[s][r][0]:>5.0f}"
                                             for s in names))
    if "random" not in mean:
        return lines
    final_n, final_t, final_f1 = mean["random"][-1]
    for s in (s for s in names if s != "random"):
        behind = [r for r in range(rounds) if mean[s][r][2] < mean["random"][r][2]]
        lines.append((f"{s} at or above random in every round" if not behind else
                      f"{s} below random in round(s) {', '.join(map(str, behind))}") +
                     f"; mean F1 of rounds 1-{rounds - 1}: {sum(p[2] for p in mean[s][1:]) / (rounds - 1):.4f} "
                     f"(random {sum(p[2] for p in mean['random'][1:]) / (rounds - 1):.4f})")
        need_n = labels_to_reach([(n, f) for n, _, f in mean[s]], final_f1)
        need_t = labels_to_reach([(t, f) for _, t, f in mean[s]], final_f1)
        if need_t is None:
            lines.append(f"{s}: labels needed to reach random's final F1 ({final_f1:.4f}): not reached "
                         f"(ends at {mean[s][-1][2]:.4f}); > 100% of tokens")
        else:
            lines.append(f"{s}: labels needed to reach random's final F1 ({final_f1:.4f}): "
                         f"{need_n / final_n:.0%} of sentences, {need_t / final_t:.0%} of tokens")
    return lines


def merge_runs(paths, seeds=None) -> dict:
    """Per pool, the curves of every strategy from the --json files of several runs, one per seed (a
    later file's run of the same strategy and seed replaces an earlier one's), keeping the seeds in
    ``seeds`` (all: None)."""
    pools = {}
    for path in paths:
        run = json.loads(Path(path).read_text())
        for name, result in run["pools"].items():
            for strategy, curves in result["curves"].items():
                ran = run["args"].get("seed_list") or range(1, run["args"].get("seeds", len(curves)) + 1)
                for seed, curve in zip(ran, curves):
                    if seeds is None or seed in seeds:
                        pools.setdefault(name, {}).setdefault(strategy, {})[seed] = curve
    return {name: {"curves": {k: [v[seed] for seed in sorted(v)] for k, v in curves.items()},
                   "mean": mean_curves({k: [v[seed] for seed in sorted(v)] for k, v in curves.items()})}
            for name, curves in pools.items()}


def ranking(a: dict, b: dict) -> list[str]:
    """Per pool and round, the strategies ordered by F1 in two runs (e.g. full strength and the cut), and
    whether the orders agree."""
    lines = []
    for name in sorted(set(a) & set(b)):
        both = [s for s in a[name]["mean"] if s in b[name]["mean"]]
        rounds = min(len(a[name]["mean"][both[0]]), len(b[name]["mean"][both[0]]))
        agree = 0
        lines.append(f"\npool {name}: strategies by F1 per round, first run | second run")
        for r in range(1, rounds):
            order = [" > ".join(sorted(both, key=lambda s: -m[name]["mean"][s][r][2])) for m in (a, b)]
            agree += order[0] == order[1]
            lines.append(f"{r:>5}  {order[0]:32s} | {order[1]:32s} {'same' if order[0] == order[1] else 'DIFFERENT'}")
        lines.append(f"same order in {agree} of {rounds - 1} rounds after the shared start")
        for x, y in ((x, y) for i, x in enumerate(both) for y in both[i + 1:]):
            same = sum((a[name]["mean"][x][r][2] >= a[name]["mean"][y][r][2]) ==
                       (b[name]["mean"][x][r][2] >= b[name]["mean"][y][r][2]) for r in range(1, rounds))
            lines.append(f"  {x} vs {y}: the same one ahead in {same} of {rounds - 1} rounds")
    return lines


def plot(pools: dict, path: str) -> None:
    """Mean F1 against tokens labelled, one panel per pool, one line per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(pools), figsize=(5.5 * len(pools), 4), squeeze=False)
    for ax, (name, result) in zip(axes[0], pools.items()):
        for strategy in result["mean"]:
            points = result["mean"][strategy]
            ax.plot([t for _, t, _ in points], [f for _, _, f in points], marker="o", label=strategy)
        ax.set_title(f"pool {name}")
        ax.set_xlabel("tokens labelled")
        ax.set_ylabel("strict micro F1")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pools", default="factrueval,written")
    p.add_argument("--strategies", default=",".join(STRATEGIES), help=f"of {', '.join([*SCORINGS, 'random'])}")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--start-tokens", type=int, default=1500)
    p.add_argument("--step-tokens", type=int, default=1500)
    p.add_argument("--seeds", type=int, default=3, help="seeds 1..N")
    p.add_argument("--seed-list", type=lambda v: [int(x) for x in v.split(",")], default=None,
                   help="these seeds instead, e.g. 2,3")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--patience", type=int, default=6)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--written", default=str(WRITTEN), help="the written pool's corpus (default: the project's)")
    p.add_argument("--test-limit", type=int, default=0, help="score on the first N scoring sentences (0: all)")
    p.add_argument("--json", default=None, help="also write the curves as JSON")
    p.add_argument("--plot", default=None, metavar="PNG", help="draw the mean curves")
    p.add_argument("--replot", nargs="+", default=None, metavar="JSON",
                   help="no training: report (and draw --plot) from the --json files of earlier runs, merged")
    p.add_argument("--ranking", nargs=2, default=None, metavar="JSON[,JSON]",
                   help="no training: per round, the order of the strategies in two runs, each the --json files "
                        "of one setting, comma-separated (--seed-list: only those seeds)")
    args = p.parse_args()
    if args.ranking:
        print("\n".join(ranking(*(merge_runs(paths.split(","), args.seed_list) for paths in args.ranking))))
        return 0
    if args.replot:
        pools = merge_runs(args.replot, args.seed_list)
        print("\n".join(line for name, result in pools.items() for line in report(name, result["mean"])))
        if args.plot:
            plot(pools, args.plot)
        return 0
    strategies = args.strategies.split(",")
    unknown = set(strategies) - {*SCORINGS, "random"}
    if unknown:
        p.error(f"--strategies: unknown {', '.join(sorted(unknown))}")
    seeds = args.seed_list or list(range(1, args.seeds + 1))

    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    started = time.monotonic()
    load0 = os.getloadavg()
    out, lines = {}, []
    for name in args.pools.split(","):
        pool, test = load_pool(name, written=Path(args.written))
        if args.test_limit:
            test = test[:args.test_limit]
        print(f"pool {name}: {len(pool)} sentences ({sum(map(len, pool))} tokens), scored on {len(test)}; start "
              f"{args.start_tokens} tokens, +{args.step_tokens} x {args.rounds} rounds, seeds {seeds}, navec "
              f"hidden {args.hidden}, <= {args.epochs} epochs (patience {args.patience}); load average "
              f"{load0[0]:.1f} on {os.cpu_count()} cores", flush=True)
        curves = {s: [] for s in strategies}
        labels = sorted({t[2:] for s in pool + test for t in s.tags if t != "O"})
        with tempfile.TemporaryDirectory(prefix="bench-select-start-") as keep:
            start = {"dir": Path(keep)}
            for seed in seeds:
                for strategy in strategies:
                    curves[strategy].append(simulate(strategy, pool, test, args, seed, labels,
                                                     lambda line: print(line, file=sys.stderr, flush=True), start))
        mean = mean_curves(curves)
        lines += report(name, mean)
        print("\n".join(report(name, mean)), flush=True)
        out[name] = {"curves": curves, "mean": mean}
        if args.json:  # after each pool, so a long run that is stopped keeps what it measured
            Path(args.json).write_text(json.dumps({"args": vars(args), "pools": out}, indent=2))
    print("\n=== summary ===\n" + "\n".join(lines))
    load1 = os.getloadavg()
    print(f"{(time.monotonic() - started) / 60:.1f} min; load average at the end {load1[0]:.1f} "
          f"(15 min: {load1[2]:.1f}) on {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    if args.plot:
        plot(out, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
