"""``ner agreement FILE FILE... | EXPORT.json | --project P``: how much annotators agree on spans.

Prints the mean pairwise F1 (strict and overlap), one row per annotator pair and per
label, the label confusion between annotators and the disagreements (file:line or
task, who said what); ``--json`` prints all of it as JSON. Exit 0, or 1 when some
Label Studio region could not be placed (each is listed on stderr).
"""

from __future__ import annotations

import json
import sys

from . import add_labels_arg, schema_from_arg


def register(sub) -> None:
    p = sub.add_parser("agreement", help="pairwise span F1 between annotators, label confusion, disagreements",
                       description="Agreement between annotators of the same texts: several corpus files (one "
                                   "per annotator, same sentences and tokens), a Label Studio JSON export, or "
                                   "a Label Studio project (--project) where several people annotated the same "
                                   "tasks. Pairwise F1, strict (same words, same label) and overlap (same "
                                   "label, sharing a word); kappa is not used for spans (docs/annotating.md).")
    p.add_argument("paths", nargs="*", metavar="PATH", help="corpus files, one per annotator (CoNLL, JSONL, ...), "
                                                           "or one Label Studio JSON export")
    p.add_argument("--project", default=None, help="Label Studio project title (instead of files)")
    p.add_argument("--from", dest="fmt", default=None, metavar="FMT", help="input format (default: from suffix)")
    add_labels_arg(p)
    p.add_argument("--json", action="store_true", help="print the whole result as JSON")
    p.add_argument("--top", type=int, default=20, help="how many disagreements to print (default 20; --json: all)")
    p.add_argument("--url", default=None, help="Label Studio URL (default: $LABEL_STUDIO_URL)")
    p.add_argument("--api-key", default=None, help="Label Studio token (default: $LABEL_STUDIO_API_KEY)")
    p.set_defaults(func=run)


def _f(value) -> str:
    return "   –" if value is None else f"{value:.3f}"


def _table(rows, header) -> list[str]:
    rows = [header, *rows]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    return ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def format_agreement(result, top: int = 20) -> str:
    """The agreement as readable text."""
    out = [f"{len(result.annotators)} annotators ({', '.join(result.annotators)}), {result.units} sentences; "
           f"mean pairwise F1: strict {_f(result.mean('strict'))}, overlap {_f(result.mean('overlap'))}", ""]
    out += _table([[f"{p.a} / {p.b}", p.units, p.micro.n_a, p.micro.n_b, _f(p.micro.strict), _f(p.micro.overlap)]
                   for p in result.pairs], ["pair", "sentences", "spans a", "spans b", "strict F1", "overlap F1"])
    out += ["", "Per label (mean over pairs)"]
    out += _table([[lab, _f(result.mean("strict", lab)), _f(result.mean("overlap", lab)),
                    sum(p.labels[lab].n_a + p.labels[lab].n_b for p in result.pairs if lab in p.labels)]
                   for lab in result.labels], ["label", "strict F1", "overlap F1", "spans"])
    labels = sorted({k for pair in result.confusion for k in pair}, key=lambda k: (k == "—", k))
    if labels:
        out += ["", "Label confusion (rows: the first annotator of each pair, columns: the second; "
                    "— = no span there)"]
        out += _table([[row, *(result.confusion.get((row, col), 0) for col in labels)] for row in labels],
                      ["", *labels])
    out += ["", f"Disagreements: {len(result.disagreements) or 'none'}"]
    for d in result.disagreements[:top]:
        said = "; ".join(f"{who}: " + (", ".join(f"{lab} {text!r}" for lab, text in spans) if spans else "—")
                         for who, spans in d.said.items())
        out.append(f"  {d.where}: {said}")
    if len(result.disagreements) > top:
        out.append(f"  ... {len(result.disagreements) - top} more (--top N or --json for all)")
    return "\n".join(out)


def run(args) -> int:
    from ..check import Report
    from ..errors import UserError
    from ..quality.agreement import agreement, units_from_files, units_from_project

    if args.top < 0:
        raise UserError(f"--top {args.top}: give 0 or more disagreements to print")
    schema = schema_from_arg(args.labels) if args.labels else None
    report = Report()
    if args.project:
        if args.paths:
            raise UserError("give files or --project, not both")
        from ..labelstudio.client import Client, connection_from

        client = Client(connection_from(args.url, args.api_key))
        units = units_from_project(client, args.project, schema=schema, report=report)
    else:
        units = units_from_files(args.paths, fmt=args.fmt, schema=schema, report=report)
    result = agreement(units)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_agreement(result, args.top))
    for issue in report.issues:
        print(issue, file=sys.stderr)
    return 1 if report.errors else 0
