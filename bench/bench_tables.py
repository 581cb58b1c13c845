"""Markdown tables: strict entity F1 on the table rows of held-out documents, read three ways.

The table rows (lines with a leading pipe) of the given CoNLL files (default: the demo's dev and test
splits, documents the model never trained on) are put back together as tables, one text per run of
rows, with ``ner.detok.detokenize``; the model tags each table and its entities are compared with the
gold spans (exact offsets and label). Printed side by side: the whole row as one piece (how the tagger
read tables before), each cell as a piece of its own, and each cell read as ``header: cell``
(``markup.pieces``, the default).

    .venv/bin/python bench/bench_tables.py [--model models/default] [CONLL ...]
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tables(paths):
    """(text, gold spans) of each run of table rows in the documents of ``paths``."""
    from ner.bio import tags_spans
    from ner.detok import detokenize
    from ner.formats.conll import read_conll
    from ner.tables import is_row

    out = []
    for path in paths:
        for doc in read_conll(path):
            block = []
            for sentence in list(doc.sentences) + [None]:
                laid = detokenize(sentence.words) if sentence else ("", ())
                if sentence is not None and is_row(laid[0]):
                    block.append((sentence, *laid))
                    continue
                if block:
                    gold, pos = set(), 0
                    for s, text, offsets in block:
                        gold |= {(pos + offsets[i][0], pos + offsets[j - 1][1], label) for i, j, label in tags_spans(s.tags)}
                        pos += len(text) + 1
                    out.append(("\n".join(text for _, text, _ in block), gold))
                    block = []
    return out


def whole_rows(text):
    """The pieces before cells were read apart: the razdel sentences of each masked line."""
    from ner.markup import mask
    from ner.text import segment

    out, base = [], 0
    for line in mask(text).splitlines(keepends=True):
        if line.strip():
            out.extend([(s + base, e + base, w) for s, e, w in sentence] for sentence in segment(line))
        base += len(line)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("conll", nargs="*", default=[ROOT / "out/demo/split/dev.conll", ROOT / "out/demo/split/test.conll"])
    parser.add_argument("--model", default=str(ROOT / "models/default"))
    args = parser.parse_args(argv)
    import ner.markup as markup
    from ner.tagger.core import Tagger

    data = tables(args.conll)
    tagger = Tagger.load(args.model)
    print(f"{len(data)} tables, {sum(t.count(chr(10)) + 1 for t, _ in data)} rows, "
          f"{sum(len(g) for _, g in data)} gold entities ({', '.join(map(str, args.conll))}); model {args.model}")
    original = markup.pieces
    for name, pieces in [("whole row (before)", whole_rows), ("each cell alone", functools.partial(original, headers=False)),
                         ("header: cell (default)", original)]:
        markup.pieces = pieces
        tp = fp = fn = 0
        for text, gold in data:
            found = {(e.start, e.end, e.label) for e in tagger.tag(text)}
            tp, fp, fn = tp + len(found & gold), fp + len(found - gold), fn + len(gold - found)
        p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        print(f"  {name:<24} P {p:.3f}  R {r:.3f}  F1 {2 * p * r / max(p + r, 1e-9):.3f}  (tp {tp}, fp {fp}, fn {fn})")
    markup.pieces = original
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
