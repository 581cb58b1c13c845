"""Read-and-validate speed: ner's streaming CoNLL reader beside spaCy's CoNLL NER converter.

The factRuEval testset is repeated to about one million tokens in a temporary
file; each reader runs three times and the best time counts. Printed side by
side: tokens/s for ner (reading + every check), spaCy's ``conll_ner_to_docs``
(what ``spacy convert`` runs) and a plain Python loop that only splits lines
(the floor any pure-Python reader sits above). Targets: ner >= 1 M tokens/s and
>= 5x spaCy. Wall and CPU time are both printed, with the load average: on a
shared machine the CPU time is the steadier of the two.

    .venv/bin/python bench/bench_read.py [--tokens 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTSET = ROOT.parent / "shared" / "corpora" / "factrueval2016" / "testset.conll"


def best_of(n, fn):
    """(best wall seconds, best CPU seconds, result) of n runs: on a shared, loaded machine the
    CPU time of the process is the steadier figure, the wall time the one a user waits."""
    wall = cpu = float("inf")
    result = None
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def ner_read(path):
    from ner.check import Report
    from ner.formats.conll import iter_sentences

    report = Report()
    tokens = sum(len(s) for s in iter_sentences(path, schema=None, report=report))
    return tokens, len(report.issues)


def spacy_read(path):
    from spacy.training.converters import conll_ner_to_docs

    text = Path(path).read_text(encoding="utf-8")
    docs = conll_ner_to_docs(text, n_sents=1, no_print=True)
    return sum(len(d) for d in docs)


def plain_loop(path):
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.split():
                n += 1
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not TESTSET.exists():
        print(f"skip: {TESTSET} is absent (../shared comes with CI)")
        return 0
    sample = TESTSET.read_text(encoding="utf-8")
    per_copy = sum(1 for line in sample.splitlines() if line.strip())
    copies = max(1, round(args.tokens / per_copy))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.conll"
        with open(path, "w", encoding="utf-8") as f:
            for _ in range(copies):
                f.write(sample.rstrip("\n") + "\n\n")
        n_tokens = per_copy * copies
        print(f"input: factRuEval testset x{copies} = {n_tokens:,} tokens, "
              f"{path.stat().st_size / 1e6:.1f} MB")
        t_ner, c_ner, (tokens, issues) = best_of(args.repeat, lambda: ner_read(path))
        assert tokens == n_tokens, (tokens, n_tokens)
        t_loop, c_loop, _ = best_of(args.repeat, lambda: plain_loop(path))
        t_spacy, c_spacy, spacy_tokens = best_of(1 if args.tokens > 200_000 else args.repeat,
                                                 lambda: spacy_read(path))
        assert spacy_tokens == n_tokens, (spacy_tokens, n_tokens)
    rows = [
        ("ner read + validate (iter_sentences)", t_ner, c_ner),
        ("spaCy conll_ner_to_docs", t_spacy, c_spacy),
        ("plain split loop (no checks)", t_loop, c_loop),
    ]
    print(f"{'reader':<40}{'wall s':>9}{'M tok/s':>9}{'cpu s':>9}{'M tok/s':>9}")
    for name, wall, cpu in rows:
        print(f"{name:<40}{wall:>9.3f}{n_tokens / wall / 1e6:>9.2f}{cpu:>9.3f}{n_tokens / cpu / 1e6:>9.2f}")
    for what, ours, theirs in (("wall", t_ner, t_spacy), ("cpu", c_ner, c_spacy)):
        print(f"ner ({what}): {n_tokens / ours / 1e6:.2f} M tokens/s (target >= 1.0), "
              f"{theirs / ours:.1f}x spaCy (target >= 5x)")
    print(f"{issues} issue(s) found on the way; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
