"""Benchmark: is the critic's estimate of how many sentences hold an error right on an *untouched* corpus?

``ner critic`` tells a team the share of sentences it expects to hold an annotation error (one minus the
product of one minus each suspect's score, averaged over the sentences). ``bench_critic_unseen.py`` checks that
figure against injected errors only, on corpora that hold errors of their own. This script checks it against
readers (``ner critic --audit N`` does the same through a Label Studio review queue, with its own split of
the draws; the strata and the estimate are ``ner/quality/critic/audit.py``'s):

  sample  ranks the sentences of the untouched corpus by the critic's probability that they hold an error,
          cuts them into strata (its top 2%, the next 8%, the other 90%), draws ``--per`` sentences from each
          at random, and writes them shuffled, with the annotation inline and nothing of the critic's, to
          ``sample-CORPUS.jsonl``; the strata and the critic's probabilities go to ``sample-key-CORPUS.json``;
  rate    reads the readers' verdicts (``sample-verdicts-CORPUS-READER.jsonl``: ``{"id": .., "verdict": "error"
          | "correct" | "unsure", "why": ..}``; a sentence is an error when any of its annotations, or an entity
          left out, goes against the guidelines) and prints, per stratum, the judged share beside the share the
          critic expects there, and the corpus's share, weighted by the strata's sizes, with a 95% interval,
          beside the critic's expected share over the corpus; with two readers their kappa.

A reader sees the guidelines of the corpus (``annotation/guidelines.md`` and ``annotation/labels.toml``, or
factRuEval's PER/ORG/LOC) and the sentence; not its stratum or the critic's probability. "Unsure" counts as no
error (``rate`` also prints the count; ``--unsure-as-error`` gives the other bound). Same marginals and critic
as ``critic_real_errors.py`` (``ner critic``'s fold settings, critic seed ``--seed``).

    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_error_rate.py sample written|devset [--per 30,40,90]
    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_error_rate.py rate written|devset --readers a,b
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from critic_real_errors import FAMILY, critic_suspects, kappa, readers_verdicts, shown, wilson  # noqa: E402

from bench_critic_unseen import ROOT  # noqa: E402  (bench_critic_unseen sets sys.path)
from ner.quality.critic.audit import STRATA, sentence_errors, strata, weighted  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "critic_rate"


def sample(args) -> int:
    items, _, _, _, suspects = critic_suspects(args.corpus, args)
    p = sentence_errors(len(items), suspects)
    per = [int(x) for x in args.per.split(",")]
    rng = random.Random(args.seed)
    groups = strata(p)
    drawn = []
    for (name, _, _), members, k in zip(STRATA, groups, per):
        if k > len(members):
            print(f"--per asks {k} sentences of stratum '{name}', which holds {len(members)}", file=sys.stderr)
            return 2
        drawn += [(name, i) for i in rng.sample(members, k)]
    rng.shuffle(drawn)
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    with open(results / f"sample-{args.corpus}.jsonl", "w", encoding="utf-8") as f:
        for n, (_, i) in enumerate(drawn):
            view = shown(list(items[i].sentence.words), items[i].sentence.tags, 0, 0)
            f.write(json.dumps({"id": n, **{k: view[k] for k in ("sentence", "annotated", "inline")}},
                               ensure_ascii=False) + "\n")
    key = {"seed": args.seed, "sentences": len(items), "expected": sum(p) / len(p),
           "strata": [{"name": name, "size": len(m), "expected": sum(p[i] for i in m) / len(m)}
                      for (name, _, _), m in zip(STRATA, groups)],
           "drawn": [{"id": n, "item": i, "stratum": name, "p": p[i]} for n, (name, i) in enumerate(drawn)]}
    (results / f"sample-key-{args.corpus}.json").write_text(json.dumps(key, indent=1), encoding="utf-8")
    print(f"{len(drawn)} sentences ({args.per} from the strata) -> {results / f'sample-{args.corpus}.jsonl'}; "
          f"the critic expects {key['expected']:.1%} of the {len(items)} sentences to hold an error")
    return 0


def rate(args) -> int:
    results = Path(args.results)
    key = json.loads((results / f"sample-key-{args.corpus}.json").read_text(encoding="utf-8"))
    readers = readers_verdicts({r: results / f"sample-verdicts-{args.corpus}-{r}.jsonl"
                                for r in args.readers.split(",")}, [d["id"] for d in key["drawn"]], "sentences")
    if readers is None:
        return 2
    print(f"{args.corpus}: sentences holding an error, judged, against the critic's expectation "
          f"({len(key['drawn'])} drawn of {key['sentences']}; unsure counted as "
          f"{'an error' if args.unsure_as_error else 'no error'}; 95% intervals)")
    wrong = ("error", "unsure") if args.unsure_as_error else ("error",)
    for reader, verdicts in readers.items():
        print(f"reader {reader}\n{'stratum':12}{'size':>7}{'drawn':>7}{'errors':>8}{'judged':>9}{'interval':>13}"
              f"{'critic expects':>16}{'unsure':>8}")
        found, drawn = [], []
        for stratum in key["strata"]:
            ids = [d["id"] for d in key["drawn"] if d["stratum"] == stratum["name"]]
            k = sum(verdicts[i] in wrong for i in ids)
            lo, hi = wilson(k, len(ids))
            found.append(k)
            drawn.append(len(ids))
            print(f"{stratum['name']:12}{stratum['size']:7d}{len(ids):7d}{k:8d}{k / len(ids):9.1%}"
                  f"{f'{lo:.0%}-{hi:.0%}':>13}{stratum['expected']:16.1%}"
                  f"{sum(verdicts[i] == 'unsure' for i in ids):8d}")
        share, lo, hi = weighted([s["size"] for s in key["strata"]], found, drawn)
        print(f"{'corpus':12}{key['sentences']:7d}{sum(drawn):7d}{sum(found):8d}{share:9.1%}"
              f"{f'{lo:.1%}-{hi:.1%}':>13}{key['expected']:16.1%}   ratio critic / judged "
              f"{key['expected'] / share if share else float('inf'):.2f}")
    if len(readers) == 2:
        a, b = readers.values()
        ids = [d["id"] for d in key["drawn"]]
        print(f"readers agree on {sum(a[i] == b[i] for i in ids)} of {len(ids)} verdicts; kappa (error or not) "
              f"{kappa([a[i] == 'error' for i in ids], [b[i] == 'error' for i in ids]):.2f}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=("sample", "rate"))
    ap.add_argument("corpus", choices=tuple(FAMILY))
    ap.add_argument("--per", default="30,40,90", help="sample: sentences drawn from each stratum")
    ap.add_argument("--readers", default="a", help="rate: the readers whose verdicts to read")
    ap.add_argument("--unsure-as-error", action="store_true", help="rate: count 'unsure' as an error")
    ap.add_argument("--seed", type=int, default=7, help="the critic's seed and the draw's")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", default=str(ROOT / "out" / "bench_critic_unseen"))
    ap.add_argument("--results", default=str(RESULTS))
    args = ap.parse_args()
    return {"sample": sample, "rate": rate}[args.action](args)


if __name__ == "__main__":
    sys.exit(main())
