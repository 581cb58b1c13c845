"""The report of ``bench_select.py``, apart from the simulation: per pool and round the mean F1 and tokens
of each strategy, the labels each needs to reach random's final F1, the runs' ``--json`` files merged
(``--replot``), the order of the strategies in two settings (``--ranking``) and the curves drawn.

Left out: training and choosing (``bench_select.py``); significance tests (a few seeds, read the mean
F1 over the rounds beside the crossing point).
"""

from __future__ import annotations

import json
from pathlib import Path

from ner.commands.select import WORDS_PER_MINUTE  # the rate ner select's --budget-minutes assumes

STRATEGIES = ("ours", "previous", "random")


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


def per_seed(curves: dict, strategy: str) -> str:
    """Each seed's own share of its random run's tokens to reach that run's final F1 (``-``: not reached),
    the spread behind the mean curves' figure."""
    out = []
    for ours, rand in zip(curves.get(strategy, []), curves.get("random", [])):
        need = labels_to_reach([(t, f) for _, t, f in ours], rand[-1][2])
        out.append("-" if need is None else f"{need / rand[-1][1]:.0%}")
    return ", ".join(out)


def report(name: str, mean: dict, curves: dict | None = None) -> list[str]:
    """The table and verdict lines of one pool; with each seed's ``curves``, the per-seed shares too."""
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
        behind = [r for r in range(1, rounds) if mean[s][r][2] < mean["random"][r][2]]  # round 0: the shared start
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
            lines.append(f"{s}: {final_t - need_t:.0f} of random's {final_t:.0f} words saved, about "
                         f"{(final_t - need_t) / WORDS_PER_MINUTE:.0f} min at {WORDS_PER_MINUTE:g} words a minute")
        if curves and len(curves.get(s, [])) > 1 and len(curves[s]) == len(curves.get("random", [])):
            lines.append(f"{s}: per seed, of that seed's random tokens: {per_seed(curves, s)}")
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
            seeds = len(result["curves"].get(strategy, [])) if "curves" in result else 0
            label = f"{strategy} ({seeds} seed{'s' * (seeds != 1)})" if seeds else strategy
            ax.plot([t for _, t, _ in points], [f for _, _, f in points], marker="o", label=label)
        ax.set_title(f"pool {name}")
        ax.set_xlabel("tokens labelled")
        ax.set_ylabel("strict micro F1")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
