"""Which injected errors the critic misses, and why: one family, one seed of ``bench_critic_unseen.py``.

For each injected error: its kind, the rank of the first suspect that overlaps it (``-`` when no
suspect does; ``*`` marks the top 2n), how many candidates touch it and the best one's kind and score,
and the three readings of its tokens: the gold, the corrupted annotation and the out-of-fold model's.
The summary counts the missed errors where no candidate was proposed at all, where the out-of-fold
model reads what the corrupted annotation says (nothing in the marginals tells them apart), and where
it reads the gold; the same four readings over all the errors, with how many of each were found
(where the model reads what is annotated, only the corpus's other annotations and the cues are left to
go on); then the kinds of the top 2n suspects that touch no injected error (the corpus's own
disagreements they compete with). Reads the marginals ``bench_critic_unseen.py`` cached in ``--work``.

    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_misses.py model-made --seed 7 [--workers 2] [--quiet]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from bench_critic_unseen import ROOT, corpus, fold_arguments, fold_config, injected  # noqa: E402  (bench_critic_unseen sets sys.path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("family", choices=("independent", "model-made", "close-labels", "today"))
    ap.add_argument("--seed", type=int, default=7)
    fold_arguments(ap)
    ap.add_argument("--work", default=str(ROOT / "out" / "bench_critic_unseen"))
    ap.add_argument("--quiet", action="store_true", help="the summary only")
    args = ap.parse_args()

    from ner.bio import tags_spans
    from ner.quality.critic.folds import tag_names
    from ner.quality.critic.model import train_critic
    from ner.quality.critic.signals import candidates, model_spans
    from ner.quality.critic.suspects import Item, probabilities, score_items

    config = fold_config(args)
    work = Path(args.work)
    items, labels = corpus(args.family)
    words = [it.sentence.words for it in items]
    clean = [it.sentence.tags for it in items]
    bad, errors = injected(args.family, words, clean, labels, args.seed, config, work)
    bad_items = [Item(it.path, it.sentence.with_tags(t), it.document) for it, t in zip(items, bad)]
    probs = probabilities(bad_items, labels, config, work)
    critic = train_critic(words, bad, probs, labels, seed=args.seed)
    suspects = [s for s in score_items(bad_items, labels, probs, critic) if s.kind != "token"]
    cands = candidates(words, bad, probs, labels)
    scores = critic.score([c.features for c in cands])
    names = tag_names(labels)
    budget = 2 * len(errors)

    def touching(spans, a, b):
        return [x for x in spans if x[0] < b and a < x[1]]

    why, reading, found_by = Counter(), Counter(), Counter()
    for s, a, b, kind in errors:
        rank = next((r for r, x in enumerate(suspects) if x.item == s and x.start < b and a < x.end), None)
        near = [(c, p) for c, p in zip(cands, scores) if c.item == s and c.start < b and a < c.end]
        best = max(near, key=lambda t: t[1]) if near else None
        gold, made = touching(tags_spans(clean[s]), a, b), touching(tags_spans(bad[s]), a, b)
        oof = touching(model_spans(probs[s], names, words[s]), a, b)
        reason = ("no candidate" if not near else "model reads the corrupted" if set(oof) == set(made)
                  else "model reads the gold" if set(oof) == set(gold) else "model reads neither")
        reading[reason] += 1
        if rank is None or rank >= budget:
            why[(kind, reason)] += 1
        else:
            found_by[reason] += 1
        if not args.quiet:
            mark = "*" if rank is not None and rank < budget else " "
            print(f"{kind:9}{'-' if rank is None else rank:>6}{mark} {len(near)} cand., best "
                  f"{best[1] if best else 0:.3f} {best[0].kind if best else '':9}| {' '.join(words[s][a:b])} | "
                  f"gold {gold} made {made} model {oof}")
    found = len(errors) - sum(why.values())
    print(f"\n{args.family} seed {args.seed}: {len(errors)} errors, {found} in the top {budget}; missed, by why:")
    for (kind, reason), n in sorted(why.items()):
        print(f"  {kind:9} {reason:26} {n}")
    print("all errors, by what the out-of-fold model reads there (found in the top 2n):")
    for reason, n in sorted(reading.items()):
        print(f"  {reason:26} {n:4} ({found_by[reason]} found)")
    others = Counter(x.kind for x in suspects[:budget]
                     if not any(e[0] == x.item and e[1] < x.end and x.start < e[2] for e in errors))
    print(f"top {budget} suspects touching no injected error: {sum(others.values())} {dict(others)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
