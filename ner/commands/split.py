"""``ner split PATH... --out DIR [--ratios 0.8,0.1,0.1] [--seed 13]``: seeded splits by document."""

from __future__ import annotations

from pathlib import Path

from . import add_labels_arg, schema_from_arg


def register(sub) -> None:
    p = sub.add_parser("split", help="deterministic train/dev/test split by document",
                       description="Split a corpus into train/dev/test CoNLL files by document, seeded, "
                                   "keeping every label in every split where the corpus allows. A corpus "
                                   "with too few documents is split by sentence (and says so).")
    p.add_argument("paths", nargs="+", metavar="PATH", help="corpus files (any format ner convert reads)")
    p.add_argument("--out", required=True, metavar="DIR", help="directory for train.conll, dev.conll, test.conll")
    p.add_argument("--ratios", default="0.8,0.1,0.1",
                   help="shares of tokens for train,dev,test (or train,test) (default 0.8,0.1,0.1)")
    p.add_argument("--seed", type=int, default=13, help="random seed (default 13)")
    p.add_argument("--from", dest="fmt", default=None, metavar="FMT", help="input format (default: from suffix)")
    add_labels_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..check import Report
    from .convert import refuse
    from ..formats.conll import write_conll
    from ..formats.registry import load_many
    from ..split import parse_ratios, split_corpus, split_counts

    ratios = parse_ratios(args.ratios)
    report = Report()
    documents = load_many(args.paths, args.fmt, schema=schema_from_arg(args.labels), report=report)
    if report.errors:
        refuse(report, "split")
        return 1
    if report.warnings:
        print(f"reading: {report.summary()} (ner validate for details)")
    split = split_corpus(documents, ratios, args.seed)
    for note in split.notes:
        print(f"note: {note}")
    out = Path(args.out)
    counts = split_counts(split)
    labels = sorted({label for c in counts.values() for label in c["entities"]})
    rows = [["split", "docs", "sents", "tokens", *labels]]
    for name, docs in split:
        c = counts[name]
        if not docs:
            print(f"note: {name} is empty, not written")
            continue
        write_conll(docs, out / f"{name}.conll")
        rows.append([name, c["documents"], c["sentences"], c["tokens"], *(c["entities"].get(lab, 0) for lab in labels)])
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths))))
    print(f"wrote {', '.join(f'{out / name}.conll' for name, docs in split if docs)} "
          f"(split by {split.by}, seed {args.seed})")
    return 0
