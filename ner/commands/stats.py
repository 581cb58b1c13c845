"""``ner stats PATH... [--json] [--plots DIR]``: the dataset report as a table, JSON or charts."""

from __future__ import annotations

import json
import sys

from . import add_labels_arg, schema_from_arg


def register(sub) -> None:
    p = sub.add_parser("stats", help="counts, label and length distributions, duplicates, leakage",
                       description="Report on a corpus: documents, sentences, tokens; entities per label and "
                                   "per file; span lengths; frequent surface forms; forms tagged with several "
                                   "labels; forms annotated in some sentences and not in others; duplicate "
                                   "sentences; sentences shared between files (leakage); "
                                   "the share of sentences with no issue.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="corpus files (CoNLL, JSONL, CSV, .spacy, HF dir)")
    add_labels_arg(p)
    p.add_argument("--from", dest="fmt", default=None, metavar="FMT", help="input format (default: from suffix)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--plots", metavar="DIR", default=None, help="write PNG charts of the label and length "
                                                                 "distributions to DIR")
    p.add_argument("--top", type=int, default=10, help="how many surface forms, duplicates... to list (10)")
    p.set_defaults(func=run)
    # exit code: 0, or 1 when reading found errors (the report is printed either way)


def _table(rows, header) -> list[str]:
    rows = [header, *rows]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(c).rjust(w) if isinstance(c, (int, float)) else str(c).ljust(w)  # noqa: E731
                              for c, w in zip(r, widths)).rstrip()
    return [fmt(r) for r in rows]


def format_stats(stats) -> str:
    """The report as readable text: one section per question."""
    d = stats.to_dict()
    t = d["totals"]
    out = [f"{t['files']} files: {t['documents']} documents, {t['sentences']} sentences, {t['tokens']} tokens, "
           f"{t['entities']} entities; {t['clean_sentences']} of {t['sentences']} sentences "
           f"({t['clean_share']:.1%}) have no issue"]
    labels = sorted(stats.entities)
    out += ["", "Entities per file and label"]
    out += _table([[f.path, f.documents, f.sentences, f.tokens, *(f.entities.get(lab, 0) for lab in labels)]
                   for f in stats.files], ["file", "docs", "sents", "tokens", *labels])
    out += ["", "Per label"]
    rows = []
    for label in labels:
        lengths = stats.lengths[label]
        n = sum(lengths.values())
        mean = sum(k * v for k, v in lengths.items()) / n
        forms = ", ".join(f"{text} ({c})" for text, c in stats.forms[label].most_common(stats.top))
        rows.append([label, n, f"{mean:.2f}", max(lengths), forms])
    out += _table(rows, ["label", "entities", "mean len", "max len", "most frequent forms"])
    out += ["", "Span length (tokens): " + ", ".join(f"{k}: {v}" for k, v in d["span_lengths"].items())]
    sections = (
        ("Forms tagged with several labels", stats.ambiguous,
         lambda a: f"  {a[0]!r}: " + ", ".join(f"{lab} {n}" for lab, n in a[1].most_common())),
        ("Forms annotated in some sentences and not in others", stats.partial,
         lambda x: f"  {x.text!r}: " + ", ".join(f"{lab} {n}" for lab, n in x.labels.most_common())
                   + f", unannotated {x.unannotated} (e.g. {', '.join(x.places[:3])}"
                   + (" ...)" if len(x.places) > 3 else ")")),
        ("Duplicate sentences", stats.duplicates,
         lambda x: f"  x{x.count}{' (tags differ)' if x.conflicting else ''}: {x.text!r} at {', '.join(x.places[:3])}"
                   + (" ..." if len(x.places) > 3 else "")),
        ("Sentences shared between files (leakage)", stats.leakage,
         lambda o: f"  {o.first} & {o.second}: {o.shared} sentence(s), e.g. {o.examples[0]!r}"),
    )
    for title, items, line in sections:
        out += ["", f"{title}: {len(items) or 'none'}"]
        out += [line(item) for item in items[:stats.top]]
        if len(items) > stats.top:
            out.append(f"  ... {len(items) - stats.top} more (--top N or --json for all)")
    if d["issues"]:
        out += ["", "Issues (ner validate for details): " + ", ".join(f"{c} x{n}" for c, n in d["issues"].items())]
    return "\n".join(out)


def run(args) -> int:
    from ..formats.registry import require
    from ..stats.report import corpus_stats

    for path in args.paths:
        require(path)
    stats = corpus_stats(args.paths, schema=schema_from_arg(args.labels), fmt=args.fmt, top=args.top)
    if not stats.total("tokens") and stats.file_issues and not args.json:
        for issue in stats.file_issues:  # nothing could be read: the reasons, not an empty report
            print(issue, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_stats(stats))
    if args.plots:
        from ..stats.plots import plot_stats

        for path in plot_stats(stats, args.plots):
            print(f"wrote {path}")
    for issue in stats.file_issues:
        print(issue, file=sys.stderr)
    errors = stats.total("errors")
    if errors:
        print(f"ner stats: {errors} error(s) in the input; ner validate lists them", file=sys.stderr)
    return 1 if errors else 0
