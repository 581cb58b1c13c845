"""Benchmark: ``ner consensus`` over real annotators, beside majority vote, with a review-budget curve.

The annotators are real systems, trained or built independently (``consensus_annotators.py``;
their outputs are cached in ``out/consensus/`` so the merge re-runs in seconds). On the
factRuEval testset (PER/LOC/ORG, strict IOB2 spans) the script prints, from one run:

- per annotator its true strict F1 (against the gold, which the merge never sees) and the F1
  the merge estimated without gold, their ranks, and Spearman's rank correlation;
- majority vote and ours (strict P/R/F1), and the gain over the best single annotator;
- the review-budget curve: corpus F1 after people fix the k% least sure sentences (people are
  simulated by the gold), k = 0..50%, for ours (lowest sentence score first), random order
  (mean of 5 seeds) and "any disagreement first" (sentences where annotators differ, in random
  order, then the rest); and the share of sentences each order needs to reach F1 0.95;
- calibration: mean span score against span precision, mean sentence score against the share of
  sentences fully right, without gold and with a random 5% of the sentences known (``--gold``);
- with ``--refit``, "ours + learn": after each budget the reviewed sentences anchor the EM
  (as ``--learn`` does) and the rest is merged again.

Usage: ``python bench/bench_consensus.py [--corpus factrueval|project|both] [--epochs 10] [--project-epochs 6]
[--out out/consensus] [--only a,b,c] [--refit]``. The project corpora (ML labels) are the second
corpus: see ``consensus_annotators.py`` for both sets of annotators.
The first run trains the annotators (reduced settings: ``--epochs`` per model, 1 torch thread);
later runs reuse them.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from consensus_annotators import make_factrueval, make_project  # noqa: E402

BUDGETS = [0, 5, 10, 15, 20, 25, 30, 40, 50]


def counts_per_text(predicted, gold):
    """(tp, pred, gold) of one text's spans against its gold spans, strict."""
    p = {s[:3] for s in predicted}
    return len(p & gold), len(p), len(gold)


def corpus_f1(per_text, gold_per_text, fixed) -> float:
    tp = pred = true = 0
    for t, (a, b, c) in enumerate(per_text):
        if t in fixed:
            n = gold_per_text[t]
            tp, pred, true = tp + n, pred + n, true + n
        else:
            tp, pred, true = tp + a, pred + b, true + c
    return 2 * tp / (pred + true) if pred + true else 1.0


def spearman(x, y) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


def curve(order, per_text, gold_sizes, steps) -> list[float]:
    n = len(per_text)
    return [corpus_f1(per_text, gold_sizes, set(order[: round(k / 100 * n)])) for k in steps]


def needed(order, per_text, gold_sizes, target=0.95) -> float | None:
    """The smallest share of sentences (1% steps) whose review lifts corpus F1 to ``target``."""
    for k in range(0, 101):
        if corpus_f1(per_text, gold_sizes, set(order[: round(k / 100 * len(per_text))])) >= target:
            return k / 100
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10, help="epochs of each trained annotator (default 10)")
    parser.add_argument("--out", default=str(ROOT / "out" / "consensus"))
    parser.add_argument("--only", default="", help="comma-separated annotators to merge (default: all)")
    parser.add_argument("--refit", action="store_true", help="also the curve with reviewed sentences anchoring EM")
    parser.add_argument("--corpus", choices=("factrueval", "project", "both"), default="both")
    parser.add_argument("--project-epochs", type=int, default=6, help="epochs of the project corpora's annotators")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if args.corpus in ("factrueval", "both"):
        report("factRuEval testset", make_factrueval(Path(args.out), args.epochs, log=log), args, args.epochs)
    if args.corpus in ("project", "both"):
        if args.corpus == "both":
            print("\n" + "=" * 100 + "\n")
        report("project corpora, held-out test split", make_project(Path(args.out), args.project_epochs, log=log),
               args, args.project_epochs)


def report(title: str, paths: dict, args, epochs: int) -> None:
    from ner.bio import tags_spans
    from ner.quality.consensus import consensus
    from ner.quality.consensus.merge import Counts, merge
    from ner.quality.consensus.merge import truth as truth_of

    gold = paths.pop("gold")
    if args.only:
        paths = {k: v for k, v in paths.items() if k in args.only.split(",")}
    names = list(paths)
    started = time.perf_counter()
    out = consensus([str(p) for p in paths.values()], names=",".join(names), gold=str(gold),
                    anchor=False)
    seconds = time.perf_counter() - started
    weighted = consensus([str(p) for p in paths.values()], names=",".join(names), gold=str(gold), anchor=False,
                         redundancy=True)
    result, truth, texts = out.result, out.truth, out.texts
    micro = {who: sum(c.values(), Counts()) for who, c in truth.items()}
    est = {e.who: e.micro for e in result.estimates}
    print(f"{title}: {len(texts)} sentences, {len(out.gold)} with gold; {len(names)} annotators; "
          f"labels {', '.join(result.labels)}; strict spans; merge (read, align, EM, decode) {seconds:.1f} s; "
          f"EM {result.iterations} iterations; {len(out.notes)} alignment notes")
    print(f"annotators trained {epochs} epochs each, 1 torch thread (reduced for a shared 2-core machine)")
    true_rank = {w: r for r, w in enumerate(sorted(names, key=lambda w: -micro[w].f1), 1)}
    est_rank = {w: r for r, w in enumerate(sorted(names, key=lambda w: -est[w].f1), 1)}
    print(f"\n{'annotator':<14}{'true P':>8}{'true R':>8}{'true F1':>8}{'est P':>8}{'est R':>8}{'est F1':>8}"
          f"{'true #':>7}{'est #':>6}")
    for w in sorted(names, key=lambda w: true_rank[w]):
        t, e = micro[w], est[w]
        print(f"{w:<14}{t.precision:>8.3f}{t.recall:>8.3f}{t.f1:>8.3f}{e.precision:>8.3f}{e.recall:>8.3f}{e.f1:>8.3f}"
              f"{true_rank[w]:>7}{est_rank[w]:>6}")
    rho = spearman([micro[w].f1 for w in names], [est[w].f1 for w in names])
    best = max(names, key=lambda w: micro[w].f1)
    print(f"Spearman (true F1, estimated F1) over {len(names)} annotators: {rho:.3f} (goal >= 0.9); "
          f"mean |est - true| F1: {sum(abs(est[w].f1 - micro[w].f1) for w in names) / len(names):.3f}")
    est_w = {e.who: e.micro.f1 for e in weighted.result.estimates}
    print(f"with --redundancy (weights {', '.join(f'{w} {x:.2f}' for w, x in zip(names, weighted.result.weights))}): "
          f"estimated F1 {', '.join(f'{w} {est_w[w]:.3f}' for w in names)}; Spearman "
          f"{spearman([micro[w].f1 for w in names], [est_w[w] for w in names]):.3f}")
    truth["merge, --redundancy"] = weighted.truth["merge"]
    micro["merge, --redundancy"] = sum(weighted.truth["merge"].values(), Counts())
    print(f"\n{'merge':<26}{'P':>7}{'R':>7}{'F1':>7}   per label F1 ({', '.join(result.labels)})")
    for name, key in (("best single: " + best, best), ("majority vote", "vote"), ("ours (Dawid-Skene EM)", "merge"),
                      ("ours, --redundancy", "merge, --redundancy")):
        c = micro[key]
        per = "  ".join(f"{truth[key][lab].f1:.3f}" for lab in result.labels)
        print(f"{name:<26}{c.precision:>7.3f}{c.recall:>7.3f}{c.f1:>7.3f}   {per}")
    print(f"ours - best single: {micro['merge'].f1 - micro[best].f1:+.3f} (goal >= +0.02); ours - majority vote: "
          f"{micro['merge'].f1 - micro['vote'].f1:+.3f}; with --redundancy: "
          f"{micro['merge, --redundancy'].f1 - micro[best].f1:+.3f} and "
          f"{micro['merge, --redundancy'].f1 - micro['vote'].f1:+.3f}")

    gold_spans = [out.gold.get(t, frozenset()) for t in range(len(texts))]
    sample = set(random.Random(7).sample(range(len(texts)), len(texts) // 20))
    known = merge(texts, names, labels=list(result.labels), anchors={t: gold_spans[t] for t in sample})
    rest = [t for t in range(len(texts)) if t not in sample]
    for name, r in (("without gold", result), ("with 5% gold", known)):
        spans = [(s[3], s[:3] in gold_spans[t]) for t in rest for s in r.spans[t]]
        right = [{s[:3] for s in r.spans[t]} == set(gold_spans[t]) for t in rest]
        print(f"calibration {name:<13}(on the other 95%): mean span score {sum(x for x, _ in spans) / len(spans):.3f} "
              f"vs span precision {sum(y for _, y in spans) / len(spans):.3f}; mean sentence score "
              f"{sum(r.scores[t] for t in rest) / len(rest):.3f} vs sentences right {sum(right) / len(right):.3f}")

    per_text = [counts_per_text(result.spans[t], gold_spans[t]) for t in range(len(texts))]
    sizes = [len(g) for g in gold_spans]
    ours = sorted(range(len(texts)), key=lambda t: (result.scores[t], t))
    randoms = []
    for seed in range(5):
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        randoms.append(order)
    def differs(t) -> bool:
        return len({frozenset(tags_spans(v)) for v in texts[t].tags.values()}) > 1

    disagree = []
    for seed in range(5):
        order = list(range(len(texts)))
        random.Random(100 + seed).shuffle(order)
        disagree.append([t for t in order if differs(t)] + [t for t in order if not differs(t)])
    n_disagree = sum(1 for t in range(len(texts)) if differs(t))
    mean = lambda rows: [sum(col) / len(col) for col in zip(*rows)]  # noqa: E731
    rows = {"ours": curve(ours, per_text, sizes, BUDGETS),
            "random (5 seeds)": mean([curve(o, per_text, sizes, BUDGETS) for o in randoms]),
            "disagreement first": mean([curve(o, per_text, sizes, BUDGETS) for o in disagree])}
    rhos = []
    if args.refit:
        refit = []
        for k in BUDGETS:
            picked = ours[: round(k / 100 * len(texts))]
            # what consensus(reviewed=...) does with the answers, on the texts already aligned
            again = merge(texts, names, labels=list(result.labels), anchors={t: gold_spans[t] for t in picked})
            refit.append(sum(truth_of(texts, again, out.gold)["merge"].values(), Counts()).f1)
            est_k = {e.who: e.micro.f1 for e in again.estimates}
            rhos.append(spearman([micro[w].f1 for w in names], [est_k[w] for w in names]))
        rows["ours + learn"] = refit
    print(f"\nreview-budget curve: corpus strict F1 after the k% least sure sentences are fixed by people "
          f"(simulated by the gold); {n_disagree} of {len(texts)} sentences have any disagreement")
    print(f"{'order':<20}" + "".join(f"{k:>6}%" for k in BUDGETS))
    for name, values in rows.items():
        print(f"{name:<20}" + "".join(f"{v:>7.3f}" for v in values))
    if rhos:
        print(f"{'Spearman, learned':<20}" + "".join(f"{v:>7.3f}" for v in rhos)
              + "   (true vs estimated F1 once the reviewed sentences anchor the EM)")
    need = {"ours": needed(ours, per_text, sizes),
            "random (5 seeds)": mean([[needed(o, per_text, sizes) or 1.0] for o in randoms])[0],
            "disagreement first": mean([[needed(o, per_text, sizes) or 1.0] for o in disagree])[0]}
    print("share of sentences to review for corpus F1 0.95: "
          + ", ".join(f"{k} {v:.0%}" if v is not None else f"{k} never" for k, v in need.items())
          + f" (goal: ours <= half of random's, i.e. <= {need['random (5 seeds)'] / 2:.0%})")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
