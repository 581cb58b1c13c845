"""How well the critic's fold models read a corpus out of fold, by how much of it there is.

The critic judges an annotation by what its out-of-fold models read (``ner critic`` prints "the fold models
read N of the corpus's M entities exactly, out of fold (strict F1 ...)", and warns under 0.5,
``report.WEAK_READING``). This script takes the corpus's first N sentences for each N of ``--sizes`` (0: all of
it), computes their out-of-fold marginals with ``ner critic``'s default fold settings (cached in ``--work`` per
size, as ``ner critic`` caches them) and prints the reading line's figures for each size. There is no peer to
print beside them: they show where the warning's line falls.

    OMP_NUM_THREADS=1 .venv/bin/python bench/critic_reading.py [corpora/ml_ru_written.conll] [--sizes 91,271,0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ner.quality.critic.folds import FoldConfig  # noqa: E402
from ner.quality.critic.report import WEAK_READING, fold_reading  # noqa: E402
from ner.quality.critic.suspects import load_items, probabilities  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(ROOT / "corpora" / "ml_ru_written.conll"))
    ap.add_argument("--sizes", default="91,271,0", help="first N sentences of the corpus, 0 for all")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", default=str(ROOT / "out" / "critic_reading"))
    args = ap.parse_args()
    items, labels = load_items([args.corpus])
    config = FoldConfig(workers=args.workers)     # ner critic's defaults: 5 folds, 10 epochs, hidden 128, seed 13
    print(f"{args.corpus}: {len(items)} sentences; ner critic warns under strict F1 {WEAK_READING}")
    print(f"{'sentences':>9}  {'entities':>8}  {'read':>6}  {'exact':>6}  {'F1':>5}  {'minutes':>7}")
    for size in (int(s) for s in args.sizes.split(",")):
        part = items[:size] if size else items
        t0 = time.monotonic()
        probs = probabilities(part, labels, config, Path(args.work) / f"first-{len(part)}")
        r = fold_reading(part, probs, labels)
        print(f"{len(part):>9}  {r['gold']:>8}  {r['read']:>6}  {r['exact']:>6}  {r['f1']:>5.2f}  "
              f"{(time.monotonic() - t0) / 60:>7.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
