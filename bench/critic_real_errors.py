"""Benchmark: how many of the critic's and cleanlab's first suspects on an *untouched* corpus are real errors.

The injected families of ``bench_critic_unseen.py`` count every suspect that touches no injected error as
a false alarm, yet a corpus holds its own errors. This script reads them directly:

  rank   ranks suspects on the untouched corpus with this checkout's code (the critic, and cleanlab's
         ``token_classification`` on the same out-of-fold marginals: ``bench_critic_unseen``'s settings and
         cache) and writes ``ranked-CORPUS-NAME.json`` (``{method: [[item, start, end], ...]}``, best first);
         run it in a checkout of older code to compare versions of the critic;
  dump   pools the first ``--top`` places of every ranking given (methods named ``NAME/method``), one place per
         distinct span (so every method's place is judged as itself, whatever another method proposed), and
         writes them shuffled, with no method, fix or score, one JSON object a line (the sentence, its
         annotation, also inline, the place) to ``judge-CORPUS.jsonl``, and which method ranked each place where to
         ``key-CORPUS.json``;
  score  reads one or more readers' verdicts (``verdicts-CORPUS-READER.jsonl``: ``{"id": .., "verdict": "error" |
         "correct" | "unsure", "why": ..}``) and prints, per reader, each method's count of real errors in its
         first 10/20/../top with a 95% Wilson interval, and with two readers their agreement (Cohen's kappa on
         error / not).

  partial  where a ranking puts the unannotated places of forms the corpus mostly annotates (``ner stats``'s
         listing): ``partial written --ranked bench/results/critic_real/disputed/ranked-written-head.json``.

  learn  the review loop of ``ner critic --learn``: refits the critic on the verdicts of its judged first
         places (``--judged``: that pass's results folder) and writes its ranking of the rest beside the
         unrefitted one, to be pooled, judged and scored in a fresh ``--results`` folder.
  audit  ``ner critic FILES --learn`` on a reviewed audit: the readers' stratified sample of
         ``critic_error_rate.py`` (``--judged``), corrected as ``--corrected`` says, learned; the refitted and the
         unrefitted rankings of the other sentences, to be pooled, judged and scored as ``learn``'s.

The reader sees the guidelines of the corpus (``annotation/guidelines.md``, or factRuEval's PER/ORG/LOC) and
decides, for the marked place, whether the annotation there is wrong (an entity missing, a wrong label or
boundary, an entity that is none); it is not told which method proposed the place or what fix it suggests. It
can still guess: cleanlab's places are runs of low-scoring tokens, which often cut through an entity, where the
critic's follow one. "Unsure" counts as no error (``score`` also prints the count).

    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_real_errors.py rank devset|written --name now
    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_real_errors.py dump devset|written RANKED.json ... [--top 40]
    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_real_errors.py score devset|written --readers a,b
    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_real_errors.py learn devset|written --judged DIR --readers a,b \
        --results OTHER_DIR
    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_real_errors.py audit written \
        --judged bench/results/critic_rate --corrected CORRECTED.jsonl --results OTHER_DIR
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

from bench_critic_unseen import ROOT, cleanlab_run, corpus  # noqa: E402  (bench_critic_unseen sets sys.path)

RESULTS = ROOT / "bench" / "results" / "critic_real"
FAMILY = {"devset": "independent", "written": "close-labels"}   # the corpus each family of the bench uses


def critic_suspects(family: str, args):
    """(items, labels, marginals, critic, suspects best first) of this checkout's critic on the untouched corpus."""
    from dataclasses import replace

    from ner.quality.critic.folds import FoldConfig
    from ner.quality.critic.model import train_critic
    from ner.quality.critic.suspects import probabilities, score_items

    config = replace(FoldConfig(), workers=args.workers)   # what `ner critic` runs
    items, labels = corpus(FAMILY[family])
    words = [it.sentence.words for it in items]
    tags = [it.sentence.tags for it in items]
    probs = probabilities(items, labels, config, Path(args.work))
    critic = train_critic(words, tags, probs, labels, seed=args.seed)
    return items, labels, probs, critic, [s for s in score_items(items, labels, probs, critic) if s.kind != "token"]


def ranked_suspects(family: str, args):
    """(items, labels, {method: [(item, start, end), ...] best first})."""
    items, labels, probs, _, suspects = critic_suspects(family, args)
    tags = [it.sentence.tags for it in items]
    return items, labels, {"critic": places(suspects), "cleanlab": cleanlab_run(labels, tags, probs)}


def places(suspects) -> list[tuple[int, int, int]]:
    return [(s.item, s.start, s.end) for s in suspects]


def shown(words, tags, start: int, end: int) -> dict:
    from ner.bio import tags_spans

    marked = " ".join(words[:start] + ["[["] + words[start:end] + ["]]"] + words[end:])
    inline = list(words)   # each annotated span in braces with its label: which of two «2023 году» is annotated
    for i, j, lab in tags_spans(tags):
        inline[i] = "{" + inline[i]
        inline[j - 1] += "}/" + lab
    return {"sentence": " ".join(words), "annotated": [[" ".join(words[i:j]), lab] for i, j, lab in tags_spans(tags)],
            "inline": " ".join(inline), "place": " ".join(words[start:end]), "marked": marked}


def pool(ranked: dict, top: int, seed: int) -> list[tuple[tuple, dict]]:
    """The first ``top`` places of each method as ``((item, start, end), {method: rank})``, shuffled; methods
    that name the very same span share one place (overlapping but different spans stay apart: a method is
    scored on the span it proposed, not on another method's)."""
    pooled: dict[tuple, dict] = {}
    for method, order in ranked.items():
        for rank, place in enumerate(order[:top], 1):
            pooled.setdefault(tuple(place), {}).setdefault(method, rank)
    out = sorted(pooled.items())
    random.Random(seed).shuffle(out)
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a share k / n."""
    if not n:
        return 0.0, 1.0
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, mid - half), min(1.0, mid + half)


def errors_within(places: list[dict], verdicts: dict, method: str, cuts) -> list[int]:
    """How many of ``method``'s first k places were judged "error", for each k of ``cuts``."""
    by_rank = {p["ranks"][method]: verdicts[p["id"]] for p in places if method in p["ranks"]}
    return [sum(by_rank.get(r) == "error" for r in range(1, k + 1)) for k in cuts]


def kappa(a: list[bool], b: list[bool]) -> float:
    """Cohen's kappa of two readers' yes/no verdicts on the same places."""
    n = len(a)
    seen = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    chance = pa * pb + (1 - pa) * (1 - pb)
    return (seen - chance) / (1 - chance) if chance < 1 else 1.0


def rank(args) -> int:
    _, _, ranked = ranked_suspects(args.corpus, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ranked-{args.corpus}-{args.name}.json"
    out.write_text(json.dumps({m: [list(p) for p in order[:1000]] for m, order in ranked.items()}), encoding="utf-8")
    print(f"{', '.join(ranked)} -> {out}")
    return 0


def learn(args) -> int:
    """The review loop of ``ner critic --learn``: the critic refitted on the readers' verdicts on its first
    ``--top`` places (those both readers call error or both call correct), ranked again without them, beside
    the unrefitted ranking without them (``ranked-CORPUS-learn.json``, ``ranked-CORPUS-rest.json`` in
    ``--results``; judge both with ``dump`` and ``score`` in a fresh results folder)."""
    import numpy as np

    from ner.quality.critic.suspects import score_items

    readers = args.readers.split(",")
    if not args.judged or len(readers) != 2 or RESULTS.resolve() == Path(args.judged).resolve():
        print("learn needs --judged DIR (the first pass), --readers A,B (two readers) and a --results folder "
              "other than DIR (its dump would overwrite the first pass's places)", file=sys.stderr)
        return 2
    items, labels, probs, critic, suspects = critic_suspects(args.corpus, args)
    judged = Path(args.judged)
    key = json.loads((judged / f"key-{args.corpus}.json").read_text(encoding="utf-8"))
    a, b = (read_verdicts(judged / f"verdicts-{args.corpus}-{r}.jsonl") for r in readers)
    place = {(p["item"], p["start"], p["end"]): p["id"] for p in key["places"]}
    ranked = sorted((p["ranks"][args.method], (p["item"], p["start"], p["end"])) for p in key["places"]
                    if args.method in p["ranks"])
    first = places(suspects[: args.top])
    if first != [p for _, p in ranked][: args.top]:
        print(f"{judged}: this checkout's first {args.top} are not {args.method}'s judged ones; run the code "
              "that ranked them", file=sys.stderr)
        return 2
    agreed = [(s.features, a[i] == "error") for s in suspects[: args.top]
              if a[i := place[(s.item, s.start, s.end)]] == b[i] and a[i] in ("error", "correct")]
    new = critic.refit(np.array([f for f, _ in agreed]), np.array([float(e) for _, e in agreed]), args.weight,
                       args.seed)   # as `ner critic --learn`: with no verdicts the refit is the critic itself
    again = places(s for s in score_items(items, labels, probs, new) if s.kind != "token")
    reviewed = set(first)
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name, order in (("learn", again), ("rest", places(suspects))):
        kept = [list(p) for p in order if p not in reviewed][:1000]
        (RESULTS / f"ranked-{args.corpus}-{name}.json").write_text(json.dumps({"critic": kept}), encoding="utf-8")
    print(f"refitted on {len(agreed)} verdicts ({sum(e for _, e in agreed)} errors) of the first {args.top}, "
          f"weight {args.weight:g} -> {RESULTS}/ranked-{args.corpus}-learn.json, -rest.json")
    return 0


def audit(args) -> int:
    """``ner critic FILES --learn P`` on a reviewed audit: the stratified sample of ``critic_error_rate.py``
    (``--judged``: its folder, whose key names the sentences and strata), each sentence as ``--corrected``
    (``{"id", "spans": [[start, end, label], ...]}`` a line) has it, or unchanged where the file has no line
    for it; the critic refitted as the command refits it, ranked again without the audited sentences, beside
    the unrefitted ranking without them (``ranked-CORPUS-audit.json``, ``ranked-CORPUS-base.json`` in
    ``--results``; judge both with ``dump`` and ``score`` in a fresh results folder)."""
    from ner.bio import spans_tags
    from ner.labelstudio.review import FIXED, KEPT, Reviewed
    from ner.quality.critic.audit_learn import learn_audit
    from ner.quality.critic.suspects import score_items

    if not args.judged or not args.corrected:
        print("audit needs --judged DIR (the sample's folder) and --corrected FILE", file=sys.stderr)
        return 2
    items, labels, probs, critic, suspects = critic_suspects(args.corpus, args)
    key = json.loads((Path(args.judged) / f"sample-key-{args.corpus}.json").read_text(encoding="utf-8"))
    sizes = {s["name"]: s["size"] for s in key["strata"]}
    fixed = {}
    for line in Path(args.corrected).read_text(encoding="utf-8").splitlines():
        if line.strip():
            v = json.loads(line)
            fixed[v["id"]] = [tuple(x) for x in v["spans"]]
    reviewed = []
    for d in key["drawn"]:
        s = items[d["item"]].sentence
        after = s.with_tags(tuple(spans_tags(len(s), fixed[d["id"]]))) if d["id"] in fixed else s
        reviewed.append(Reviewed(str(d["id"]), d["id"], FIXED if after.tags != s.tags else KEPT, False, s, after,
                                 "reader", {"audit": d["stratum"], "size": sizes[d["stratum"]], "sample": "s",
                                            "file": items[d["item"]].path, "line": s.line}))
    new, summary = learn_audit(reviewed, "readers' sample", critic, (items, labels, probs), seed=args.seed)
    print(summary)
    audited = {d["item"] for d in key["drawn"]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    again = places(s for s in score_items(items, labels, probs, new) if s.kind != "token")
    for name, order in (("audit", again), ("base", places(suspects))):
        kept = [list(p) for p in order if p[0] not in audited][:1000]
        (RESULTS / f"ranked-{args.corpus}-{name}.json").write_text(json.dumps({"critic": kept}), encoding="utf-8")
    print(f"-> {RESULTS}/ranked-{args.corpus}-audit.json, -base.json")
    return 0


def dump(args) -> int:
    items, _ = corpus(FAMILY[args.corpus])
    ranked = {}
    for path in args.rankings:
        name = Path(path).stem.rsplit("-", 1)[-1]
        for method, order in json.loads(Path(path).read_text(encoding="utf-8")).items():
            order = [tuple(p) for p in order]
            if order[: args.top] not in [o[: args.top] for o in ranked.values()]:  # cleanlab: one code, one list
                ranked[f"{name}/{method}"] = order
    pooled = pool(ranked, args.top, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / f"judge-{args.corpus}.jsonl", "w", encoding="utf-8") as f:
        for n, ((item, a, b), _) in enumerate(pooled):
            words, tags = list(items[item].sentence.words), items[item].sentence.tags
            f.write(json.dumps({"id": n, **shown(words, tags, a, b)}, ensure_ascii=False) + "\n")
    key = [{"id": n, "item": p[0], "start": p[1], "end": p[2], "ranks": r} for n, (p, r) in enumerate(pooled)]
    (RESULTS / f"key-{args.corpus}.json").write_text(json.dumps({"top": args.top, "methods": list(ranked),
                                                                "places": key}, indent=1), encoding="utf-8")
    print(f"{len(pooled)} places from the first {args.top} of {len(ranked)} rankings -> "
          f"{RESULTS / f'judge-{args.corpus}.jsonl'}")
    return 0


def read_verdicts(path: Path) -> dict:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            v = json.loads(line)
            out[v["id"]] = v["verdict"]
    return out


def readers_verdicts(paths: dict, ids: list, what: str) -> dict | None:
    """``{reader: {id: verdict}}`` from each reader's file, or None (said on stderr) when one lacks an id."""
    readers = {r: read_verdicts(path) for r, path in paths.items()}
    for reader, verdicts in readers.items():
        missing = [i for i in ids if i not in verdicts]
        if missing:
            print(f"reader {reader}: no verdict for {len(missing)} {what} (ids {missing[:10]}...)", file=sys.stderr)
            return None
    return readers


def score(args) -> int:
    key = json.loads((RESULTS / f"key-{args.corpus}.json").read_text(encoding="utf-8"))
    readers = readers_verdicts({r: RESULTS / f"verdicts-{args.corpus}-{r}.jsonl" for r in args.readers.split(",")},
                               [p["id"] for p in key["places"]], "places")
    if readers is None:
        return 2
    top = key["top"]
    cuts = list(range(10, top + 1, 10)) or [top]
    print(f"{args.corpus}: real errors among each method's first k suspects on the untouched corpus "
          f"({len(key['places'])} places; unsure counted as no error; 95% Wilson interval at k = {top})")
    for reader, verdicts in readers.items():
        print(f"reader {reader}\n{'method':22}" + "".join(f"{'top ' + str(k):>8}" for k in cuts)
              + f"{'interval':>14}{'unsure':>8}")
        for method in key["methods"]:
            found = errors_within(key["places"], verdicts, method, cuts)
            lo, hi = wilson(found[-1], cuts[-1])
            unsure = sum(verdicts[p["id"]] == "unsure" for p in key["places"] if method in p["ranks"])
            print(f"{method:22}" + "".join(f"{k:8d}" for k in found) + f"{f'{lo:.0%}-{hi:.0%}':>14}{unsure:8d}")
    if len(readers) == 2:
        a, b = readers.values()
        ids = [p["id"] for p in key["places"]]
        same = sum(a[i] == b[i] for i in ids)
        print(f"readers agree on {same} of {len(ids)} verdicts; kappa (error or not) "
              f"{kappa([a[i] == 'error' for i in ids], [b[i] == 'error' for i in ids]):.2f}")
    return 0


def partial(args) -> int:
    """Where a ranking (``--ranked``, e.g. a ``rank`` output) puts the unannotated places of the forms the corpus
    annotates at least 3 times and at least half the time (the listing of ``ner stats``): such misses are most of
    the real errors readers find, and the critic's model learns them."""
    from collections import Counter

    from ner.stats.report import unannotated_occurrences

    items, _ = corpus(FAMILY[args.corpus])
    annotated, found = unannotated_occurrences([it.sentence for it in items])   # as ner stats reads them
    left = Counter(key for key, *_ in found)
    places = [(key, (n, i, j)) for key, n, i, j in found]
    ranked = json.loads(Path(args.ranked).read_text(encoding="utf-8"))["critic"]
    at = {tuple(p): r for r, p in enumerate(ranked)}
    ranks = [at.get(place) for key, place in places
             if sum(annotated[key].values()) >= 3 and sum(annotated[key].values()) >= left[key]]
    print(f"{len(ranks)} unannotated places of forms annotated 3 times or more, at least half the time: "
          f"{sum(r is not None and r < 40 for r in ranks)} in the first 40, "
          f"{sum(r is not None and r < 200 for r in ranks)} in the first 200, "
          f"{sum(r is None for r in ranks)} outside the first {len(ranked)}")
    return 0


def main() -> int:
    global RESULTS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=("rank", "dump", "score", "learn", "partial", "audit"))
    ap.add_argument("--ranked", help="partial: the ranking to read (ranked-CORPUS-NAME.json)")
    ap.add_argument("corpus", choices=tuple(FAMILY))
    ap.add_argument("rankings", nargs="*", help="dump: ranked-CORPUS-NAME.json files to pool")
    ap.add_argument("--name", default="now", help="rank: the name of this checkout's rankings")
    ap.add_argument("--readers", default="a", help="score: the readers whose verdicts to read")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--judged", help="learn: the results folder of the judged first pass; audit: the sample's")
    ap.add_argument("--corrected", help="audit: the sample's corrected sentences (JSON lines)")
    ap.add_argument("--method", default="head/critic", help="learn: the judged ranking this checkout's critic made")
    ap.add_argument("--weight", type=float, default=5.0, help="learn: each verdict's weight (ner critic's default)")
    ap.add_argument("--seed", type=int, default=7, help="the critic's seed and the shuffle's")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", default=str(ROOT / "out" / "bench_critic_unseen"))
    ap.add_argument("--results", default=None, help="where the rankings, places, key and verdicts are "
                    "(default bench/results/critic_real)")
    args = ap.parse_args()
    if args.results:
        RESULTS = Path(args.results)
    return {"rank": rank, "dump": dump, "score": score, "learn": learn, "partial": partial,
            "audit": audit}[args.action](args)


if __name__ == "__main__":
    sys.exit(main())
