"""``ner validate PATH... [--fix OUT]``: one line per problem, a summary, exit 1 on errors.

The workflow is ``ner.validate.validate_files``; this module prints its report. A missing
file is a usage error (exit 2)."""

from __future__ import annotations

from . import add_labels_arg, schema_from_arg


def register(sub) -> None:
    p = sub.add_parser("validate", help="check corpus files; --fix writes a repaired copy",
                       description="Check corpus files (.conll, .jsonl, .csv, .spacy, a datasets dir; by extension, or "
                                   "--from) and print every problem as PATH:LINE: severity "
                                   "CODE: message. Exit code 1 if any error remains.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="corpus files")
    p.add_argument("--from", dest="fmt", default=None, metavar="FMT", help="input format (default: from suffix)")
    add_labels_arg(p)
    p.add_argument("--fix", metavar="OUT", default=None,
                   help="write the repaired corpus to OUT (a file for one input, a directory for several) "
                        "and list every change")
    p.add_argument("--no-infer-sentences", action="store_true",
                   help="do not split documents without blank lines at sentence-final punctuation")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors and the summary")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..validate import validate_files

    result = validate_files(args.paths, fmt=args.fmt, schema=schema_from_arg(args.labels), fix=args.fix,
                            infer_sentences=not args.no_infer_sentences)
    for one in result.files:
        for issue in sorted(one.report.issues, key=lambda i: i.line):
            if not args.quiet or issue.severity == "error":
                print(issue)
        if one.target is not None:
            for change in one.report.changes:
                print(f"fixed {change}")
            print(f"wrote {one.target} ({one.sentences} sentences, {len(one.report.changes)} change(s))")
    print(result.summary())
    return 1 if result.remaining else 0
