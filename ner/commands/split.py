"""``ner split PATH... --out DIR [--ratios 0.8,0.1,0.1] [--seed 13] [--map A=B] [--keep L]``: seeded splits.

Two ratios (``0.9,0.1``) write train and dev, three write train, dev and test. A
corpus whose labels are outside the schema is refused in one line that names the
flag to pass (``--labels auto``, ``--map``), before anything else is listed.
"""

from __future__ import annotations

from pathlib import Path

from ..bio import tags_spans
from . import add_labels_arg, refuse_input, schema_from_arg


def register(sub) -> None:
    p = sub.add_parser("split", help="deterministic train/dev/test split by document",
                       description="Split a corpus into train/dev/test CoNLL files by document, seeded, "
                                   "keeping every label in every split where the corpus allows. A corpus "
                                   "with too few documents is split by sentence (and says so).")
    p.add_argument("paths", nargs="+", metavar="PATH", help="corpus files (any format ner convert reads)")
    p.add_argument("--out", required=True, metavar="DIR", help="directory for train.conll, dev.conll, test.conll")
    p.add_argument("--ratios", default="0.8,0.1,0.1", metavar="TRAIN,DEV[,TEST]",
                   help="shares of tokens: three numbers write train, dev and test; two (e.g. 0.9,0.1) write "
                        "train and dev (default 0.8,0.1,0.1)")
    p.add_argument("--seed", type=int, default=13, help="random seed (default 13)")
    p.add_argument("--from", dest="fmt", default=None, metavar="FMT", help="input format (default: from suffix)")
    add_labels_arg(p)
    p.add_argument("--map", metavar="A=B,...", default="",
                   help="rename labels (Person=PER,...); labels neither mapped nor kept become O")
    p.add_argument("--keep", metavar="L1,L2,...", default="", help="keep these labels under their own names")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..check import Report
    from ..corpus import check_map, label_mapping, map_documents, outside_schema, resolve_schema
    from ..errors import UserError
    from ..formats.conll import write_conll
    from ..formats.registry import load_many, require
    from ..split import parse_ratios, split_corpus, split_counts

    ratios = parse_ratios(args.ratios)
    mapping = label_mapping(args.map, args.keep)
    # as in ner train: with --map/--keep and no --labels, the labels they give are the schema
    schema = resolve_schema(args.labels or "", mapping) if mapping else schema_from_arg(args.labels)
    for path in args.paths:
        require(path)
    report = Report()
    documents = load_many(args.paths, args.fmt, schema=None if mapping else schema, report=report)
    line = outside_schema(report, args.paths)
    if line:
        raise UserError(line)
    if report.errors:
        refuse_input(report, "split")
        return 1
    if mapping:
        check_map(mapping, {label for d in documents for s in d.sentences for _, _, label in tags_spans(s.tags)},
                  ", ".join(args.paths))
        documents, dropped = map_documents(documents, mapping)
        if dropped:
            print(f"note: {dropped} entities with labels --map/--keep do not name became O")
        outside = sorted({t[2:] for d in documents for s in d.sentences for t in s.tags if t != "O"}
                         - set(schema.names)) if schema is not None else []
        if outside:
            raise UserError(f"--map/--keep give labels outside the schema ({', '.join(outside)}); "
                            f"pass --labels auto or --labels FILE with them")
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
