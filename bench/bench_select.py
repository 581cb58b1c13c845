"""Benchmark: active learning by ``ner select`` vs random selection, simulated on factRuEval.

The pool is factRuEval's devset (its gold tags play the annotator), the testset scores
every round. Each run starts from the same random 50 sentences, trains the navec model,
adds 100 sentences (ours: ``ner.quality.select`` with uncertainty + diversity, from the
model just trained; the peer: random), and repeats for 8 rounds; 3 seeds. Prints strict
micro F1 per round for both, and the labels ours needs to reach random's final F1, as a
share of random's final labelled set (goal: at most 60%). Usage:

    python bench/bench_select.py [--rounds 8] [--step 100] [--start 50] [--seeds 3] [--epochs 10]
                                 [--hidden 128] [--test-limit 0] [--json FILE]

Every training stops early on a dev split held out of its own labelled set (10%), never on
the testset. On a shared machine set OMP_NUM_THREADS=1; the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FACTRUEVAL = ROOT.parent / "shared" / "corpora" / "factrueval2016"


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


def simulate(strategy: str, pool, test, args, seed: int, labels: list[str], log) -> list[tuple[int, int, float]]:
    """(sentences, tokens, F1) after each round."""
    from ner.quality.select import Candidate, select

    order = list(range(len(pool)))
    random.Random(seed).shuffle(order)
    labelled = order[:args.start]
    rest = order[args.start:]
    curve = []
    with tempfile.TemporaryDirectory(prefix="bench-select-") as tmp:
        for rnd in range(args.rounds + 1):
            t0 = time.monotonic()
            model, f1 = train_and_score([pool[i] for i in labelled], test, args, seed, Path(tmp), labels)
            tokens = sum(len(pool[i]) for i in labelled)
            curve.append((len(labelled), tokens, f1))
            log(f"{strategy:11s} seed {seed} round {rnd}: {len(labelled)} sentences, {tokens} tokens, F1 {f1:.4f} "
                f"({time.monotonic() - t0:.0f} s)")
            if rnd == args.rounds:
                break
            candidates = [Candidate(str(i), pool[i].text, (pool[i].words,)) for i in rest]
            chosen = select(candidates, args.step, model=model if strategy == "ours" else None,
                            strategy="uncertainty" if strategy == "ours" else "random", seed=seed * 100 + rnd)
            picked = {int(c.candidate.where) for c in chosen}
            labelled += [i for i in rest if i in picked]
            rest = [i for i in rest if i not in picked]
    return curve


def labels_to_reach(curve, target: float) -> float | None:
    """Sentences at which ``curve`` ((size, F1), growing) first reaches ``target``, interpolated
    linearly between rounds; None if it never does.

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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--step", type=int, default=100)
    p.add_argument("--start", type=int, default=50)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--test-limit", type=int, default=0, help="score on the first N test sentences (0: all)")
    p.add_argument("--json", default=None, help="also write the curves as JSON")
    args = p.parse_args()

    import torch

    from ner.formats.conll import read_conll

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    pool = [s for d in read_conll(FACTRUEVAL / "devset.conll") for s in d.sentences if len(s)]
    test = [s for d in read_conll(FACTRUEVAL / "testset.conll") for s in d.sentences if len(s)]
    if args.test_limit:
        test = test[:args.test_limit]
    load0 = os.getloadavg()
    print(f"pool {len(pool)} sentences (factRuEval devset), test {len(test)} sentences; start {args.start}, "
          f"+{args.step} x {args.rounds} rounds, {args.seeds} seeds, navec hidden {args.hidden}, <= {args.epochs} "
          f"epochs; load average at start {load0[0]:.1f} on {os.cpu_count()} cores", flush=True)
    started = time.monotonic()
    curves = {"ours": [], "random": []}
    with tempfile.TemporaryDirectory() as tmp:
        labels = sorted({t[2:] for s in pool for t in s.tags if t != "O"})
        for seed in range(1, args.seeds + 1):
            for strategy in curves:
                curves[strategy].append(simulate(strategy, pool, test, args, seed, labels,
                                                 lambda line: print(line, file=sys.stderr, flush=True)))
    rounds = range(args.rounds + 1)
    mean = {k: [(v[0][r][0], sum(c[r][1] for c in v) / len(v), sum(c[r][2] for c in v) / len(v)) for r in rounds]
            for k, v in curves.items()}
    print(f"\n{'round':>5}  {'sentences':>9}  {'ours F1':>8}  {'random F1':>9}  {'ours tokens':>11}  {'random tokens':>13}")
    for r in rounds:
        (n, ot, of), (_, rt, rf) = mean["ours"][r], mean["random"][r]
        print(f"{r:>5}  {n:>9}  {of:>8.4f}  {rf:>9.4f}  {ot:>11.0f}  {rt:>13.0f}")
    final_n, final_t, final_f1 = mean["random"][-1]
    need = labels_to_reach([(n, f) for n, _, f in mean["ours"]], final_f1)
    need_t = labels_to_reach([(t, f) for _, t, f in mean["ours"]], final_f1)
    if need is None:
        print(f"\nlabels needed to reach random's final F1 ({final_f1:.4f} at {final_n} sentences): not reached "
              f"within {final_n} (ours ends at {mean['ours'][-1][2]:.4f}); > 100%")
    else:
        print(f"\nlabels needed to reach random's final F1 ({final_f1:.4f} at {final_n} sentences): "
              f"{need / final_n:.0%} ({need:.0f} sentences; goal <= 60%)")
        print(f"in tokens (ours picks longer sentences): {need_t / final_t:.0%} ({need_t:.0f} of random's "
              f"{final_t:.0f} tokens)")
    load1 = os.getloadavg()
    print(f"{(time.monotonic() - started) / 60:.1f} min; load average at the end {load1[0]:.1f} "
          f"(15 min: {load1[2]:.1f}) on {os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "curves": curves, "mean": mean}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
