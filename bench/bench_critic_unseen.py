"""Benchmark: the critic against annotation errors it was not built from, beside cleanlab (issue 23).

Four families of injected errors, each over ``--seeds`` injection seeds:

  today         ``bench_critic.inject`` on factRuEval's devset (the family the critic was compared on);
  independent   ``unseen_errors.independent`` on the devset: 5% of entities dropped, retyped, their end
                cut or extended by the next word, and as many capitalised words made entities;
  model-made    ``unseen_errors.model_made`` on the devset: 5% of sentences take the prediction of a weak
                navec model (trained on 10% of the sentences, none of those chosen);
  close-labels  ``unseen_errors.close_labels`` on the team's written corpus: 5% of the entities retyped
                between Organization/Application, Model/Method_ML, Dataset/Model.

For every corrupted corpus the out-of-fold marginals are computed on that corpus (the folds see the
errors, as they would in use), once, and cached in ``--work`` by content hash; the critic and cleanlab
(``token_classification``: token scores, neighbouring low tokens joined) rank suspects over the same
marginals. An error is found when a suspect in the first ``n`` / ``2n`` (n = errors injected) overlaps
its tokens. The critic's estimate of the error rate is the share of sentences it expects to hold an
error (1 - the product of 1 - p over a sentence's suspects), shown beside the injected share and beside
the same estimate on the untouched corpus (the errors that were there before the injection; with
``--untouched``), and the net ratio: (estimate - untouched estimate) / injected share, how much of the
injected errors the estimate counts once the corpus's own are set aside.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_critic_unseen.py [--folds 5] [--epochs 10] [--hidden 128]
        [--patience 3] [--seeds 7,11,13] [--families independent,model-made,close-labels,today] [--audit 150]
        [--queue 50]

With ``--audit N``, each corrupted corpus also gets ``ner critic --audit``'s stratified draw of N sentences,
reviewed to the gold and learned as ``ner critic FILES --learn`` learns a reviewed audit; the critic before
and after that refit and cleanlab are scored on the errors outside the audited sentences.

With ``--queue K``, the critic's review queue is also worked as a team works it: K suspects reviewed (to the
gold), the critic refitted on the verdicts (``ner critic --learn``, or a push again), the next K ranked by it,
until 2n suspects are reviewed: the share of the errors found, beside the critic's and cleanlab's top 2n.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_critic import CORPORA, MAP, cleanlab_ranking, found_within, inject  # noqa: E402
import unseen_errors  # noqa: E402

FAMILIES = ("independent", "model-made", "close-labels", "today")
KINDS = ("dropped", "retyped", "boundary", "invented")
TODAY_KINDS = {"drop": "dropped", "retype": "retyped", "shift": "boundary", "spurious": "invented"}
WRITTEN = ROOT / "corpora" / "ml_ru_written.conll"


def corpus(family: str):
    from ner.quality.critic.suspects import load_items
    from ner.train.config import parse_map

    if family == "close-labels":
        return load_items([WRITTEN], "auto")
    return load_items([CORPORA / "devset.conll"], "auto", parse_map(MAP))


def weak_predictions(words, tags, labels, seed: int, config, work: Path):
    """(predicted tags of every sentence, sentences it trained on): a navec model trained on 10% of the corpus."""
    from ner.bio import spans_tags
    from ner.quality.critic.folds import run_fold, tag_names
    from ner.quality.critic.signals import model_spans

    import json

    cache = work / f"weak-{seed}.json"
    if cache.exists():
        saved = json.loads(cache.read_text(encoding="utf-8"))
        return [tuple(t) for t in saved["predicted"]], saved["trained"]
    rng = random.Random(seed)
    trained = sorted(rng.sample(range(len(words)), round(0.1 * len(words))))
    rest = [s for s in range(len(words)) if s not in set(trained)]
    job = {"dir": str(work / f"weak-{seed}"), "train": [(words[s], tags[s]) for s in trained], "labels": list(labels),
           "held_out": [words[s] for s in rest], "epochs": 10, "patience": 3, "seed": seed,
           "hidden": config.hidden, "max_minutes": 0.0}
    names = tag_names(labels)
    predicted = list(tags)
    for s, p in zip(rest, run_fold(job)):
        predicted[s] = tuple(spans_tags(len(words[s]), model_spans(p, names)))
    cache.write_text(json.dumps({"predicted": predicted, "trained": trained}, ensure_ascii=False), encoding="utf-8")
    return predicted, trained


def injected(family, words, tags, labels, seed, config, work, share: float = 0.05):
    if family == "today":
        bad, errors = inject(words, tags, labels, 0.05, seed)
        return bad, [(s, a, b, TODAY_KINDS[k]) for s, a, b, k in errors]
    if family == "independent":
        return unseen_errors.independent(words, tags, labels, 0.05, seed)
    if family == "model-made":
        predicted, trained = weak_predictions(words, tags, labels, seed, config, work)
        return unseen_errors.model_made(tags, predicted, 0.05, seed, exclude=trained)
    return unseen_errors.close_labels(tags, share, seed)


def critic_run(items, labels, probs, seed):
    """(ranked suspects as (sentence, start, end), the share of sentences the critic expects to hold an error)."""
    from ner.quality.critic.model import train_critic
    from ner.quality.critic.suspects import score_items

    words = [it.sentence.words for it in items]
    tags = [it.sentence.tags for it in items]
    critic = train_critic(words, tags, probs, labels, seed=seed)
    suspects = [s for s in score_items(items, labels, probs, critic) if s.kind != "token"]
    keep = [1.0] * len(items)
    for s in suspects:
        keep[s.item] *= 1 - s.score
    return [(s.item, s.start, s.end) for s in suspects], 1 - sum(keep) / len(keep)


def audited_run(items, bad, clean, labels, probs, errors, seed: int, n: int, theirs):
    """An audit of ``n`` sentences (``ner critic --audit``'s draw) whose reviewer restores the gold, learned
    with ``--learn``'s code: top 2n recall on the errors outside the audited sentences (n = those left), of
    the critic before and after the refit and of cleanlab's ranking, audited sentences left out of each."""
    from ner.labelstudio.review import FIXED, KEPT, Reviewed
    from ner.quality.critic.audit import audit_items
    from ner.quality.critic.audit_learn import learn_audit
    from ner.quality.critic.model import train_critic
    from ner.quality.critic.suspects import score_items

    words = [it.sentence.words for it in items]
    critic = train_critic(words, bad, probs, labels, seed=seed)
    suspects = [s for s in score_items(items, labels, probs, critic) if s.kind != "token"]
    index = {(it.sentence.words, it.sentence.line): k for k, it in enumerate(items)}
    drawn = [(index[(r.sentence.words, r.sentence.line)], r) for r in audit_items(items, suspects, n, seed)]
    reviewed = [Reviewed(r.key, k, KEPT if tuple(clean[k]) == tuple(bad[k]) else FIXED, False, r.sentence,
                         r.sentence.with_tags(clean[k]), "gold", r.extra) for k, r in drawn]
    refit, _ = learn_audit(reviewed, "bench", critic, (items, labels, probs), seed=seed)
    audited = {k for k, _ in drawn}
    rest = [e for e in errors if e[0] not in audited]
    after = [s for s in score_items(items, labels, probs, refit) if s.kind != "token"]
    return [found_within([p for p in ranked if p[0] not in audited], rest, 2 * len(rest))
            for ranked in ([(s.item, s.start, s.end) for s in suspects], [(s.item, s.start, s.end) for s in after],
                           theirs)]


def queue_run(items, bad, clean, labels, probs, errors, seed: int, batch: int, weight: float = 5.0):
    """The review queue worked best first in rounds of ``batch`` suspects by a reviewer who restores the gold, the
    critic learning each round's verdicts (``review.verdicts`` read them; ``--learn``'s refit, its default weight)
    before the next round is ranked; a suspect whose tokens meet a reviewed one's is set aside, as ``ner critic``
    does once ``--apply`` has written the corrections (``--push-review`` takes its top from the suspects nobody has
    reviewed). The corpus and its marginals stay as they were (the fold models' retraining after ``--apply`` is
    left out). ``(the share of errors found within 2n suspects reviewed in all, the
    share of sentences the critic expects to hold an error once it has learned every verdict)``."""
    import numpy as np

    from ner.labelstudio.review import FIXED, KEPT, Reviewed
    from ner.quality.critic.model import train_critic
    from ner.quality.critic.review import verdicts
    from ner.quality.critic.suspects import score_items, scored, suppress_overlaps

    def gold_review(n: int, s) -> Reviewed:   # the reviewer restores the gold sentence: kept where it was the gold
        sentence = items[s.item].sentence
        verdict = KEPT if tuple(clean[s.item]) == tuple(bad[s.item]) else FIXED
        extra = {"span": [s.start, s.end, s.label], "fix": s.fix, "features": s.features}
        return Reviewed(str(n), n, verdict, False, sentence, sentence.with_tags(clean[s.item]), "gold", extra)

    critic = train_critic([it.sentence.words for it in items], bad, probs, labels, seed=seed)
    budget, done = 2 * len(errors), []
    while len(done) < budget:
        seen: dict[int, list] = {}
        for d in done:
            seen.setdefault(d.item, []).append(d.reach())
        left = [s for s in scored(items, labels, probs, critic) if s.kind != "token"
                and not any(a < s.reach()[1] and s.reach()[0] < b for a, b in seen.get(s.item, ()))]
        batch_done = suppress_overlaps(left)[:min(batch, budget - len(done))]
        if not batch_done:
            break
        done += batch_done
        y = [v[2] for v in verdicts([gold_review(n, s) for n, s in enumerate(batch_done)])]   # the product's reading
        critic = critic.refit(np.array([s.features for s in batch_done]), np.array(y, dtype=np.float64), weight,
                              seed, keys=[f"{s.item}:{s.start}:{s.end}:{s.kind}" for s in batch_done])
    keep = [1.0] * len(items)      # the share of sentences the critic, having learned them all, expects to err
    for s in score_items(items, labels, probs, critic):     # as critic_run reckons it
        if s.kind != "token":
            keep[s.item] *= 1 - s.score
    return found_within([(s.item, s.start, s.end) for s in done], errors, budget), 1 - sum(keep) / len(keep)


def cleanlab_run(labels, tags, probs):
    from cleanlab.token_classification.rank import get_label_quality_scores
    from ner.quality.critic.folds import tag_names

    index = {t: i for i, t in enumerate(tag_names(labels))}
    _, tok_q = get_label_quality_scores([[index[t] for t in ts] for ts in tags], probs)
    return cleanlab_ranking(labels, probs, tok_q)


def recall(ranked, errors, budget):
    """Share of all errors found within ``budget`` suspects, and per kind (None where a kind has no errors)."""
    out = {"all": found_within(ranked, errors, budget)}
    for kind in KINDS:
        sub = [e for e in errors if e[3] == kind]
        out[kind] = found_within(ranked, sub, budget) if sub else None
    return out


def mean_sd(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):6.1%} ± {sd:4.1%}"


def fold_arguments(ap) -> None:
    """The out-of-fold models' settings, defaulting to what `ner critic` runs (also for critic_misses.py)."""
    from ner.quality.critic.folds import FoldConfig

    user = FoldConfig()
    ap.add_argument("--folds", type=int, default=user.folds)
    ap.add_argument("--epochs", type=int, default=user.epochs)
    ap.add_argument("--patience", type=int, default=user.patience)
    ap.add_argument("--hidden", type=int, default=user.hidden)
    ap.add_argument("--workers", type=int, default=2, help="as the bench run that cached the marginals")


def fold_config(args):
    from ner.quality.critic.folds import FoldConfig

    return FoldConfig(folds=args.folds, epochs=args.epochs, patience=args.patience, hidden=args.hidden,
                      workers=args.workers)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    fold_arguments(ap)
    ap.add_argument("--seeds", default="7,11,13")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--close-share", type=float, default=0.05,
                    help="close-labels: the share of entities retyped (0.05: the other families' share)")
    ap.add_argument("--work", default=str(ROOT / "out" / "bench_critic_unseen"))
    ap.add_argument("--untouched", action="store_true",
                    help="also the critic's estimate on the untouched corpus (one more out-of-fold run per corpus)")
    ap.add_argument("--marginals-only", action="store_true", help="compute and cache the marginals, nothing else")
    ap.add_argument("--queue", type=int, default=0, metavar="K",
                    help="also the review queue worked in rounds of K suspects, --learn after each: top 2n in all")
    ap.add_argument("--verdict-weight", type=float, default=5.0, help="the queue's verdicts' weight (ner critic's)")
    ap.add_argument("--audit", type=int, default=0, metavar="N",
                    help="also an audit of N sentences reviewed to the gold and learned (--learn): recall on the rest")
    args = ap.parse_args()

    from ner.quality.critic.suspects import Item, probabilities

    config = fold_config(args)
    work = Path(args.work)
    seeds = [int(s) for s in args.seeds.split(",")]
    t0 = time.monotonic()
    print(f"out-of-fold navec: {args.folds} folds x {args.epochs} epochs (patience {args.patience}), "
          f"hidden {args.hidden}; "
          f"injection seeds {seeds}; budget 2n", flush=True)
    results = {}
    for family in args.families.split(","):
        items, labels = corpus(family)
        words = [it.sentence.words for it in items]
        clean = [it.sentence.tags for it in items]
        before = None
        if args.untouched and not args.marginals_only:
            _, before = critic_run(items, labels, probabilities(items, labels, config, work), seeds[0])
        rows = []
        for seed in seeds:
            t1 = time.monotonic()
            bad, errors = injected(family, words, clean, labels, seed, config, work, args.close_share)
            bad_items = [Item(it.path, it.sentence.with_tags(t), it.document) for it, t in zip(items, bad)]
            probs = probabilities(bad_items, labels, config, work)
            if args.marginals_only:
                print(f"  {family} seed {seed}: marginals cached, {time.monotonic() - t1:.0f} s", flush=True)
                continue
            t2 = time.monotonic()
            ours, estimate = critic_run(bad_items, labels, probs, seed)
            critic_s = time.monotonic() - t2
            theirs = cleanlab_run(labels, bad, probs)
            n = len(errors)
            share = len({e[0] for e in errors}) / len(items)
            if args.audit:
                audit = audited_run(bad_items, bad, clean, labels, probs, errors, seed, args.audit, theirs)
                print(f"  {family} seed {seed}: audit of {args.audit}, top 2n on the rest: critic {audit[0]:.1%}, "
                      f"after --learn {audit[1]:.1%}, cleanlab {audit[2]:.1%}", flush=True)
            if args.queue:
                queue = queue_run(bad_items, bad, clean, labels, probs, errors, seed, args.queue,
                                  args.verdict_weight)
                print(f"  {family} seed {seed}: queue in rounds of {args.queue}, --learn after each, top 2n: "
                      f"{queue[0]:.1%}, expects {queue[1]:.1%} of the sentences to err", flush=True)
            rows.append({"audit": audit if args.audit else None, "queue": queue if args.queue else None,
                         "n": n, "ours": recall(ours, errors, 2 * n), "theirs": recall(theirs, errors, 2 * n),
                         "ours_n": found_within(ours, errors, n), "theirs_n": found_within(theirs, errors, n),
                         "estimate": estimate, "share": share,
                         "kinds": {k: sum(e[3] == k for e in errors) for k in KINDS}})
            print(f"  {family} seed {seed}: {n} errors {rows[-1]['kinds']}; critic top 2n "
                  f"{rows[-1]['ours']['all']:.1%}, cleanlab {rows[-1]['theirs']['all']:.1%}; critic {critic_s:.0f} s, "
                  f"all {time.monotonic() - t1:.0f} s", flush=True)
        if rows:
            results[family] = (rows, before, len(items))
    print(f"\n{'family':14}{'kind':10}{'n (mean)':>9}   {'critic top 2n':>16}   {'cleanlab top 2n':>16}")
    for family, (rows, before, n_items) in results.items():
        for kind in ("all",) + KINDS:
            counts = [r["n"] if kind == "all" else r["kinds"][kind] for r in rows]
            if not any(counts):
                continue
            print(f"{family:14}{kind:10}{statistics.mean(counts):9.1f}   {mean_sd([r['ours'][kind] for r in rows]):>16}"
                  f"   {mean_sd([r['theirs'][kind] for r in rows]):>16}")
        print(f"{family:14}{'top n':10}{'':9}   {mean_sd([r['ours_n'] for r in rows]):>16}"
              f"   {mean_sd([r['theirs_n'] for r in rows]):>16}")
    if args.audit:
        print(f"\naudit of {args.audit} sentences, learned; top 2n on the errors outside them\n"
              f"{'family':14}{'critic':>16}{'after --learn':>18}{'cleanlab':>16}")
        for family, (rows, _, _) in results.items():
            print(f"{family:14}" + "".join(f"{mean_sd([r['audit'][k] for r in rows]):>{w}}"
                                           for k, w in ((0, 16), (1, 18), (2, 16))))
    if args.queue:
        print(f"\nreview queue in rounds of {args.queue} suspects, the critic learning each round's verdicts; "
              f"top 2n, and the error rate it then expects over the injected\n"
              f"{'family':14}{'critic':>16}{'with --learn':>18}{'cleanlab':>16}{'ratio':>10}")
        for family, (rows, _, _) in results.items():
            ratio = statistics.mean(r["queue"][1] for r in rows) / statistics.mean(r["share"] for r in rows)
            print(f"{family:14}{mean_sd([r['ours']['all'] for r in rows]):>16}"
                  f"{mean_sd([r['queue'][0] for r in rows]):>18}{mean_sd([r['theirs']['all'] for r in rows]):>16}"
                  f"{ratio:10.2f}")
    print(f"\n{'family':14}{'sentences with an error':>26}{'critic expects':>16}{'ratio':>7}{'untouched corpus':>18}"
          f"{'net ratio':>11}")
    for family, (rows, before, n_items) in results.items():
        share = statistics.mean(r["share"] for r in rows)
        estimate = statistics.mean(r["estimate"] for r in rows)
        # net: the expected share over the untouched corpus's own, over the injected share
        print(f"{family:14}{share:26.1%}{estimate:16.1%}{estimate / share:7.2f}"
              + (f"{before:18.1%}{(estimate - before) / share:11.2f}" if before is not None else f"{'(not run)':>18}"))
    print(f"\ntime {time.monotonic() - t0:.0f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
