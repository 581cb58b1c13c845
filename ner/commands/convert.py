"""``ner convert IN OUT [--from FMT] [--to FMT]``: between CoNLL, JSONL, CSV, HF datasets and spaCy.

Formats are guessed from the suffixes (``formats/registry.py``). The output is
written beside OUT first and moved into place only when the input read without
errors, so a failed conversion leaves nothing half-written.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from . import add_labels_arg, refuse_input, schema_from_arg


def register(sub) -> None:
    p = sub.add_parser("convert", help="convert a corpus between CoNLL, JSONL, CSV, HF datasets and spaCy",
                       description="Convert a corpus. Formats from the suffix: .conll/.txt -> conll, .jsonl, "
                                   ".csv, .spacy (spaCy DocBin), a directory or no suffix -> a Hugging Face "
                                   "datasets dataset saved to disk.")
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT")
    p.add_argument("--from", dest="source", default=None, metavar="FMT", help="conll, jsonl, csv, hf, spacy")
    p.add_argument("--to", dest="target", default=None, metavar="FMT", help="conll, jsonl, csv, hf, spacy")
    add_labels_arg(p)
    p.set_defaults(func=run)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def run(args) -> int:
    from ..check import Report
    from ..errors import UserError
    from ..formats.registry import dump, guess_format, load

    source = guess_format(args.input, args.source)
    target = guess_format(args.output, args.target)
    out = Path(args.output)
    if Path(args.input).resolve() == out.resolve():
        raise UserError(f"OUT is the input {args.input}; write to another path")
    if out.is_dir() and not (out / "dataset_info.json").exists():
        raise UserError(f"{out} is a directory that holds no saved dataset; name a new path for the output")
    schema = schema_from_arg(args.labels)
    report = Report()
    partial = out.with_name(out.name + ".partial")
    _remove(partial)
    documents = []

    def counted():
        for doc in load(args.input, source, schema=schema, report=report):
            documents.append(len(doc.sentences))
            yield doc

    try:
        n = dump(counted(), partial, target, schema=schema)
    except BaseException:
        _remove(partial)
        raise
    if report.errors:
        _remove(partial)
        refuse_input(report, "convert")
        return 1
    _remove(out)
    partial.rename(out)
    warned = f"; reading: {report.summary()} (ner validate for details)" if report.warnings else ""
    print(f"wrote {out} ({target}): {len(documents)} document(s), {n} sentence(s){warned}")
    return 0
