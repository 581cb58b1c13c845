"""Benchmark: does the critic find injected annotation errors, beside cleanlab on the same probabilities?

Injects known errors into factRuEval's devset (Person/Org/Location/LocOrg ->
PER/ORG/LOC/LOC; 5% of the entities, equal parts dropped, retyped,
boundary-shifted and spurious; seeded), computes out-of-fold marginals of the
corrupted corpus (navec, k folds on both cores), then ranks suspects with

  (a) our critic (``ner.quality.critic``), trained on its own synthetic corruptions;
  (b) cleanlab's ``token_classification``: ``get_label_quality_scores`` (token and
      sentence scores) and ``find_label_issues``, on the same marginals.

Reported: recall of the injected errors within the top n and 2n suspects
(n = number injected; an error is found when a suspect overlaps the tokens it
changed), AUPRC over tokens (a token is positive when its tag was changed) and
over sentences (positive when the sentence holds an injected error), and the
wall time. Then the top 30 suspects of the untouched testset are printed (its
marginals come from the devset folds' setting, trained on the whole devset).

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_critic.py [--folds 5] [--epochs 10] [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPORA = Path(os.environ.get("FACTRUEVAL", ROOT.parent / "shared" / "corpora" / "factrueval2016"))
MAP = "Person=PER,Org=ORG,Location=LOC,LocOrg=LOC"


def inject(words, tags, labels, share: float, seed: int):
    """(corrupted tags, errors): ``share`` of the entities changed, a quarter each way; errors are
    ``(item, first token, end token, kind)`` over the tokens whose tag changed."""
    from ner.bio import spans_tags, tags_spans

    rng = random.Random(seed)
    spans = [(item, s) for item, ts in enumerate(tags) for s in tags_spans(ts)]
    n = round(share * len(spans))
    per = [n // 4 + (1 if k < n % 4 else 0) for k in range(4)]
    chosen = rng.sample(range(len(spans)), per[0] + per[1] + per[2])
    kinds = ["drop"] * per[0] + ["retype"] * per[1] + ["shift"] * per[2]
    by_item = {item: list(tags_spans(ts)) for item, ts in enumerate(tags)}
    errors = []
    for index, kind in zip(chosen, kinds):
        item, (i, j, label) = spans[index]
        current = by_item[item]
        if (i, j, label) not in current:
            continue
        k = current.index((i, j, label))
        taken = {t for s in current if s != (i, j, label) for t in range(s[0] - 1, s[1] + 1)}
        if kind == "drop":
            del current[k]
            errors.append((item, i, j, kind))
        elif kind == "retype":
            current[k] = (i, j, rng.choice([x for x in labels if x != label]))
            errors.append((item, i, j, kind))
        else:
            n_words = len(words[item])
            moves = [m for m in ((i - 1, j), (i, j + 1), (i + 1, j), (i, j - 1))
                     if 0 <= m[0] < m[1] <= n_words and not any(t in taken for t in range(*m))]
            if not moves:
                continue
            a, b = rng.choice(moves)
            current[k] = (a, b, label)
            errors.append((item, min(a, i), max(b, j), kind))
    free = [(item, t) for item, ws in enumerate(words) for t in range(len(ws))
            if tags[item][t] == "O" and any(c.isalnum() for c in ws[t])]
    added = 0
    for item, t in rng.sample(free, min(len(free), per[3] * 5)):
        if added >= per[3]:
            break
        current = by_item[item]
        if any(s[0] - 1 <= t <= s[1] for s in current):
            continue
        current.append((t, t + 1, rng.choice(list(labels))))
        current.sort()
        errors.append((item, t, t + 1, "spurious"))
        added += 1
    out = [tuple(spans_tags(len(ts), by_item[item])) for item, ts in enumerate(tags)]
    return out, errors


def found_within(ranked, errors, k: int) -> float:
    """Share of errors overlapped (same sentence) by one of the first ``k`` suspects ``(item, start, end)``."""
    top: dict[int, list] = {}
    for item, a, b in ranked[:k]:
        top.setdefault(item, []).append((a, b))
    hit = sum(any(a < e[2] and e[1] < b for a, b in top.get(e[0], ())) for e in errors)
    return hit / len(errors) if errors else 0.0


def cleanlab_ranking(labels, probs, token_scores):
    """cleanlab's tokens, lowest quality first, neighbouring tokens of one sentence joined into one suspect."""
    order = sorted(((float(s), item, t) for item, series in enumerate(token_scores)
                    for t, s in enumerate(series.to_numpy())), key=lambda x: x[0])
    ranked, where = [], {}
    for score, item, t in order:
        if score > 0.95 and len(ranked) > 4 * 10_000:
            break
        joined = where.get((item, t - 1)) if (item, t - 1) in where else where.get((item, t + 1))
        if joined is not None:
            i, a, b = ranked[joined]
            ranked[joined] = (i, min(a, t), max(b, t + 1))
        else:
            joined = len(ranked)
            ranked.append((item, t, t + 1))
        where[(item, t)] = joined
    return ranked


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", default=str(ROOT / "out" / "bench_critic"))
    ap.add_argument("--no-testset", action="store_true", help="skip the testset's top 30")
    args = ap.parse_args()

    import numpy as np
    from sklearn.metrics import average_precision_score

    from ner.quality.critic.suspects import Item, load_items, probabilities, score_items
    from ner.quality.critic.model import train_critic
    from ner.quality.critic.folds import FoldConfig, tag_names
    from ner.train.config import parse_map

    t0 = time.monotonic()
    load = os.getloadavg()
    items, labels = load_items([CORPORA / "devset.conll"], "auto", parse_map(MAP))
    words = [it.sentence.words for it in items]
    clean = [it.sentence.tags for it in items]
    bad, errors = inject(words, clean, labels, 0.05, args.seed)
    n = len(errors)
    kinds = {k: sum(e[3] == k for e in errors) for k in ("drop", "retype", "shift", "spurious")}
    print(f"devset: {len(items)} sentences, {sum(len(w) for w in words)} tokens; injected {n} errors {kinds}")
    bad_items = [Item(it.path, it.sentence.with_tags(t), it.document) for it, t in zip(items, bad)]
    config = FoldConfig(folds=args.folds, epochs=args.epochs, patience=3)
    t1 = time.monotonic()
    probs = probabilities(bad_items, labels, config, args.work, lambda line: print("  " + line, flush=True))
    t_folds = time.monotonic() - t1
    t2 = time.monotonic()
    critic = train_critic(words, bad, probs, labels, seed=args.seed)
    suspects = [s for s in score_items(bad_items, labels, probs, critic) if s.kind != "token"]
    t_critic = time.monotonic() - t2

    changed = [np.array([a != b for a, b in zip(c, x)]) for c, x in zip(clean, bad)]
    has_error = np.zeros(len(items))
    for e in errors:
        has_error[e[0]] = 1
    ours_tok = [np.zeros(len(w)) for w in words]
    ours_sent = np.ones(len(items))
    for s in suspects:
        for a, b in [(s.start, s.end)] + ([s.fix[:2]] if s.fix else []):
            ours_tok[s.item][a:b] = np.maximum(ours_tok[s.item][a:b], s.score)
        ours_sent[s.item] *= 1 - s.score
    ours_rank = [(s.item, s.start, s.end) for s in suspects]

    from cleanlab.token_classification.filter import find_label_issues
    from cleanlab.token_classification.rank import get_label_quality_scores

    index = {t: i for i, t in enumerate(tag_names(labels))}
    ids = [[index[t] for t in ts] for ts in bad]
    sent_q, tok_q = get_label_quality_scores(ids, probs)
    issues = find_label_issues(ids, probs)
    cl_rank = cleanlab_ranking(labels, probs, tok_q)
    flat = np.concatenate(changed)

    def auprc(scores):
        return average_precision_score(flat, np.concatenate(scores))

    rows = [("ours (critic)", found_within(ours_rank, errors, n), found_within(ours_rank, errors, 2 * n),
             auprc(ours_tok), average_precision_score(has_error, 1 - ours_sent)),
            ("cleanlab", found_within(cl_rank, errors, n), found_within(cl_rank, errors, 2 * n),
             auprc([1 - s.to_numpy() for s in tok_q]), average_precision_score(has_error, 1 - sent_q))]
    print(f"\n{'':16}{'top n':>8}{'top 2n':>8}{'AUPRC tok':>11}{'AUPRC sent':>12}   (n = {n})")
    for name, r1, r2, a1, a2 in rows:
        print(f"{name:16}{r1:8.1%}{r2:8.1%}{a1:11.3f}{a2:12.3f}")
    print(f"calibration: {has_error.mean():.1%} of sentences hold an injected error; the critic expects "
          f"{1 - ours_sent.mean():.1%} to hold one (injected or already there), "
          f"{(1 - ours_sent >= 0.5).mean():.1%} score 0.5 or more")
    cl_found = found_within([(i, t, t + 1) for i, t in issues], errors, len(issues))
    print(f"cleanlab find_label_issues: {len(issues)} tokens flagged, {cl_found:.1%} of injected errors among them")
    for kind in kinds:
        sub = [e for e in errors if e[3] == kind]
        print(f"  {kind:9} ours top 2n {found_within(ours_rank, sub, 2 * n):6.1%}   "
              f"cleanlab top 2n {found_within(cl_rank, sub, 2 * n):6.1%}")
    print(f"time: folds {t_folds:.0f} s, critic {t_critic:.0f} s, devset total {time.monotonic() - t0:.0f} s; "
          f"{args.folds} folds x {args.epochs} epochs; load average before {load[0]:.1f}, "
          f"after {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.no_testset:
        testset_top(args, labels, t0)
    return 0


def testset_top(args, labels, t0) -> None:
    """The top 30 suspects of the untouched testset; marginals from a model trained on the devset."""
    from ner.models import load_model
    from ner.quality.critic.suspects import load_items, score_items
    from ner.quality.critic.model import train_critic
    from ner.quality.critic.report import format_table
    from ner.quality.critic.folds import _reorder, tag_names, word_probabilities
    from ner.train.config import TrainConfig, parse_map
    from ner.train import train

    import torch

    torch.set_num_threads(1)
    items, _ = load_items([CORPORA / "testset.conll"], "auto", parse_map(MAP))
    out = Path(args.work) / "devset-model"
    if not (out / "ner_model.json").exists():
        train(TrainConfig(train=str(CORPORA / "devset.conll"), out=str(out), map=MAP, epochs=args.epochs,
                          patience=3, device="cpu"))
    model = load_model(out, device="cpu")
    probs, tags = word_probabilities(model, [it.sentence.words for it in items])
    probs = _reorder(probs, tags, tag_names(labels))
    words = [it.sentence.words for it in items]
    critic = train_critic(words, [it.sentence.tags for it in items], probs, labels)
    suspects = score_items(items, labels, probs, critic)
    print(f"\ntestset ({len(items)} sentences), top 30 suspects (critic trained on the testset's own corruptions):")
    print(format_table(items, suspects[:30]))
    print(f"total {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
