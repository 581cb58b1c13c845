"""Benchmark: how many of the critic's and cleanlab's first suspects on an *untouched* corpus are real errors.

The injected families of ``bench_critic_unseen.py`` count every suspect that touches no injected error as
a false alarm, yet a corpus holds its own errors. This script reads them directly:

  dump   ranks suspects on the untouched corpus (the critic, and cleanlab's ``token_classification``
         on the same out-of-fold marginals: ``bench_critic_unseen``'s settings and cache), pools the first
         ``--top`` of each, and writes them shuffled, with no method and no score, one JSON object a line
         (the sentence, its annotation, the place in question) to ``judge-CORPUS.jsonl`` for a reader, and
         which method ranked each at what rank to ``key-CORPUS.json``;
  score  reads the reader's verdicts (``verdicts-CORPUS.jsonl``: ``{"id": .., "verdict": "error" | "correct" |
         "unsure", "why": ..}``) and prints each method's share of real errors in its first 10/20/../top.

The reader sees the guidelines of the corpus (``annotation/guidelines.md``, or factRuEval's PER/ORG/LOC) and
decides, for the marked place, whether the annotation there is wrong (an entity missing, a wrong label or
boundary, an entity that is none); it is not told which method proposed the place or what fix it suggests.

    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_real_errors.py dump devset|written [--top 40]
    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_real_errors.py score devset|written
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from bench_critic_unseen import ROOT, cleanlab_run, corpus  # noqa: E402  (bench_critic_unseen sets sys.path)

RESULTS = ROOT / "bench" / "results" / "critic_real"
FAMILY = {"devset": "independent", "written": "close-labels"}   # the corpus each family of the bench uses


def ranked_suspects(family: str, args):
    """(items, labels, {method: [(item, start, end), ...] best first})."""
    from ner.quality.critic.folds import FoldConfig
    from ner.quality.critic.model import train_critic
    from ner.quality.critic.suspects import probabilities, score_items

    user = FoldConfig()
    config = FoldConfig(folds=user.folds, epochs=user.epochs, patience=user.patience, hidden=user.hidden,
                        workers=args.workers)
    items, labels = corpus(FAMILY[family])
    words = [it.sentence.words for it in items]
    tags = [it.sentence.tags for it in items]
    probs = probabilities(items, labels, config, Path(args.work))
    critic = train_critic(words, tags, probs, labels, seed=args.seed)
    ours = [(s.item, s.start, s.end) for s in score_items(items, labels, probs, critic) if s.kind != "token"]
    return items, labels, {"critic": ours, "cleanlab": cleanlab_run(labels, tags, probs)}


def shown(words, tags, start: int, end: int) -> dict:
    from ner.bio import tags_spans

    marked = " ".join(words[:start] + ["[["] + words[start:end] + ["]]"] + words[end:])
    return {"sentence": " ".join(words), "annotated": [[" ".join(words[i:j]), lab] for i, j, lab in tags_spans(tags)],
            "place": " ".join(words[start:end]), "marked": marked}


def pool(ranked: dict, top: int, seed: int) -> list[tuple[tuple, dict]]:
    """The first ``top`` places of each method as ``((item, start, end), {method: rank})``, shuffled; a place
    another method also ranks (overlapping tokens of one sentence) is one place with both ranks."""
    pooled: list[tuple[tuple, dict]] = []
    for method, order in ranked.items():
        for rank, (item, a, b) in enumerate(order[:top], 1):
            same = next((r for k, r in pooled if k[0] == item and k[1] < b and a < k[2] and method not in r), None)
            if same is None:
                pooled.append(((item, a, b), same := {}))
            same[method] = rank
    random.Random(seed).shuffle(pooled)
    return pooled


def shares(places: list[dict], verdicts: dict, method: str, cuts) -> list[float]:
    """The share of ``method``'s first k places judged "error", for each k of ``cuts``."""
    by_rank = {p["ranks"][method]: verdicts[p["id"]] for p in places if method in p["ranks"]}
    return [sum(by_rank.get(r) == "error" for r in range(1, k + 1)) / k for k in cuts]


def dump(args) -> int:
    items, labels, ranked = ranked_suspects(args.corpus, args)
    pooled = pool(ranked, args.top, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / f"judge-{args.corpus}.jsonl", "w", encoding="utf-8") as f:
        for n, ((item, a, b), _) in enumerate(pooled):
            words, tags = list(items[item].sentence.words), items[item].sentence.tags
            f.write(json.dumps({"id": n, **shown(words, tags, a, b)}, ensure_ascii=False) + "\n")
    key = [{"id": n, "item": p[0], "start": p[1], "end": p[2], "ranks": r} for n, (p, r) in enumerate(pooled)]
    (RESULTS / f"key-{args.corpus}.json").write_text(json.dumps({"labels": list(labels), "top": args.top,
                                                                "places": key}, indent=1), encoding="utf-8")
    print(f"{len(pooled)} places from the first {args.top} of each method -> {RESULTS / f'judge-{args.corpus}.jsonl'}")
    return 0


def score(args) -> int:
    key = json.loads((RESULTS / f"key-{args.corpus}.json").read_text(encoding="utf-8"))
    verdicts = {}
    for line in (RESULTS / f"verdicts-{args.corpus}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            v = json.loads(line)
            verdicts[v["id"]] = v["verdict"]
    missing = [p["id"] for p in key["places"] if p["id"] not in verdicts]
    if missing:
        print(f"no verdict for {len(missing)} places (ids {missing[:10]}...): judge them first", file=sys.stderr)
        return 2
    top = key["top"]
    cuts = [k for k in range(10, top + 1, 10)] or [top]
    print(f"{args.corpus}: real errors among each method's first k suspects on the untouched corpus "
          f"(verdicts of {len(verdicts)} pooled places; unsure counted as not an error)")
    print(f"{'method':10}" + "".join(f"{'top ' + str(k):>10}" for k in cuts) + f"{'unsure':>9}")
    for method in ("critic", "cleanlab"):
        unsure = sum(verdicts[p["id"]] == "unsure" for p in key["places"] if p["ranks"].get(method, top + 1) <= top)
        print(f"{method:10}" + "".join(f"{x:10.0%}" for x in shares(key["places"], verdicts, method, cuts))
              + f"{unsure:9d}")
    return 0


def main() -> int:
    global RESULTS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=("dump", "score"))
    ap.add_argument("corpus", choices=tuple(FAMILY))
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7, help="the critic's seed and the shuffle's")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", default=str(ROOT / "out" / "bench_critic_unseen"))
    ap.add_argument("--results", default=None, help="where the places, the key and the verdicts are "
                    "(default bench/results/critic_real)")
    args = ap.parse_args()
    if args.results:
        RESULTS = Path(args.results)
    return dump(args) if args.action == "dump" else score(args)


if __name__ == "__main__":
    sys.exit(main())
