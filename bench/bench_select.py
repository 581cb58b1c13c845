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
Variants (``--strategies``): ``novelty`` is ours with the labelled texts passed to ``select`` (what
``ner select --project`` and ``--labelled`` do), ``bald``, ``density-bald``, ``mnlp``, ``explore25``...

Prints per pool the mean strict micro F1 and tokens per round (``--seeds`` seeds), and last:
``labels needed to reach random's final F1: N% of sentences, M% of tokens`` for ours and previous.
Goals (issue 22): at most 60% of random's tokens on both pools, ours >= random in every round.

    python bench/bench_select.py [--pools factrueval,written] [--strategies ours,previous,random] [--rounds 5]
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
sys.path.insert(0, str(ROOT / "bench"))
FACTRUEVAL = ROOT.parent / "shared" / "corpora" / "factrueval2016"
WRITTEN = ROOT / "corpora" / "ml_ru_written.conll"

from select_report import STRATEGIES, mean_curves, merge_runs, plot, ranking, report  # noqa: E402

SCORINGS = {  # select()'s arguments of each model-based strategy, from the candidates
    "ours": lambda candidates: {},
    "previous": lambda candidates: {"measures": ("errors", "least")},
    # a text's fixed cost as large as reading the pool's median text (ours: 3 words)
    "median-overhead": lambda candidates: {"overhead": statistics.median(c.tokens for c in candidates)},
    # Shen et al. 2017's length-normalised confidence alone: the mean log-probability of each word's top tag
    "mnlp": lambda candidates: {"measures": ("mnlp",)},
    # a share of each batch drawn at random (exploration), the rest as ours
    "explore25": lambda candidates: {"explore": 0.25},
    # BALD (Houlsby et al. 2011; Siddhant & Lipton 2018): the dropout draws' mutual information per word read
    "bald": lambda candidates: {"measures": ("bald",)},
    # the mean of the two percentile ranks: expected wrong words and the draws' disagreement, each per word read
    "density-bald": lambda candidates: {"measures": ("density", "bald")},
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
    if strategy == "novelty":  # ours, with texts like the labelled ones penalised too (select's labelled)
        taken = set(rest)
        known = [Candidate(str(i), pool[i].text, (pool[i].words,)) for i in range(len(pool)) if i not in taken]
        return {int(c.candidate.where) for c in select(candidates, model=model, budget=budget, seed=seed,
                                                         labelled=known)}
    if strategy == "random":
        chosen = select(candidates, strategy="random", seed=seed, budget=budget)
    else:
        chosen = select(candidates, model=model, budget=budget, seed=seed, **SCORINGS[strategy](candidates))
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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pools", default="factrueval,written")
    p.add_argument("--strategies", default=",".join(STRATEGIES),
                   help=f"of {', '.join([*SCORINGS, 'novelty', 'random'])}")
    p.add_argument("--rounds", type=int, default=5)
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
        print("\n".join(line for name, result in pools.items()
                        for line in report(name, result["mean"], result["curves"])))
        if args.plot:
            plot(pools, args.plot)
        return 0
    strategies = args.strategies.split(",")
    unknown = set(strategies) - {*SCORINGS, "random", "novelty"}
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
        lines += report(name, mean, curves)
        print("\n".join(report(name, mean, curves)), flush=True)
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
