"""``ner validate PATH... [--fix OUT]``: one line per problem, a summary, exit 1 on errors.

Files are read by their extension (CoNLL streamed in constant memory; JSONL, CSV,
spaCy and datasets directories through the format registry); ``--fix`` writes the
format OUT's extension names. A missing file is a usage error (exit 2)."""

from __future__ import annotations

from pathlib import Path

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


def fix_targets(paths: list[str], out: str) -> list[Path]:
    """Where each input's repaired copy goes: OUT itself for one file, OUT/NAME for several."""
    out_path = Path(out)
    if len(paths) == 1 and not out_path.is_dir() and not out.endswith("/"):
        return [out_path]
    return [out_path / Path(p).name for p in paths]


def run(args) -> int:
    from ..check import Report
    from ..errors import UserError
    from ..formats.conll import iter_sentences, read_conll, write_conll
    from ..formats.registry import dump, guess_format, load, require

    schema = schema_from_arg(args.labels)
    targets = fix_targets(args.paths, args.fix) if args.fix else [None] * len(args.paths)
    formats = [guess_format(path, args.fmt) for path in args.paths]
    for path, target in zip(args.paths, targets):
        require(path)
        if target is not None and Path(path).resolve() == target.resolve():
            raise UserError(f"--fix would overwrite {path}; write to another path")
        if target is not None:
            guess_format(target)  # an OUT whose format cannot be told is refused before any work
    total = Report()
    infer = not args.no_infer_sentences
    for path, fmt, target in zip(args.paths, formats, targets):
        report = Report()

        def documents():
            if fmt == "conll":
                return read_conll(path, schema=schema, report=report, infer_sentences=infer)
            return load(path, fmt, schema=schema, report=report)

        if target is not None:
            if guess_format(target) == "conll":
                n_sentences = write_conll(documents(), target)
            else:
                n_sentences = dump(documents(), target, schema=schema)
        elif fmt == "conll":
            for _ in iter_sentences(path, schema=schema, report=report, infer_sentences=infer):
                pass
        else:
            for _ in documents():
                pass
        for issue in sorted(report.issues, key=lambda i: i.line):
            if not args.quiet or issue.severity == "error":
                print(issue)
        if target is not None:
            for change in report.changes:
                print(f"fixed {change}")
            print(f"wrote {target} ({n_sentences} sentences, {len(report.changes)} change(s))")
        total.issues += report.issues
        total.changes += report.changes
    fixable = sum(1 for i in total.errors if i.fixable)
    remaining = len(total.errors) - (fixable if args.fix else 0)
    print(f"{len(args.paths)} file(s): {total.summary()}"
          + (f"; {fixable} error(s) repaired by --fix" if args.fix and fixable else
             f"; {fixable} of the errors --fix can repair" if fixable else ""))
    return 1 if remaining else 0
