"""The validation workflow of ``ner validate``: read corpus files, collect every issue, optionally repair.

``validate_files(paths, schema=..., fix=OUT)`` reads each file by its extension (CoNLL
streamed in constant memory; JSONL, CSV, spaCy and datasets directories through the
format registry) and returns a ``Validation``: per file its ``Report`` (issues and the
changes a repair made) and, with ``fix``, where the repaired copy went (OUT itself for
one input, OUT/NAME for several; the format OUT's extension names). Every usage
problem (a missing file, a repair that would overwrite its input, an OUT of no known
format) is a ``UserError`` raised before any file is read.

Left out: printing (``commands/validate.py``); the checks themselves (``check.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .check import Report
from .errors import UserError


@dataclass(frozen=True, slots=True)
class FileValidation:
    path: str
    report: Report
    target: Path | None = None   # the repaired copy (with ``fix``)
    sentences: int = 0           # sentences written to ``target``


@dataclass(frozen=True, slots=True)
class Validation:
    files: tuple[FileValidation, ...]
    fixing: bool = False

    @property
    def total(self) -> Report:
        total = Report()
        for one in self.files:
            total.issues += one.report.issues
            total.changes += one.report.changes
        return total

    @property
    def fixable(self) -> int:
        return sum(1 for i in self.total.errors if i.fixable)

    @property
    def remaining(self) -> int:
        """Errors left in the output: all of them, or those ``fix`` could not repair."""
        return len(self.total.errors) - (self.fixable if self.fixing else 0)

    def summary(self) -> str:
        fixable = self.fixable
        return (f"{len(self.files)} file(s): {self.total.summary()}"
                + (f"; {fixable} error(s) repaired by --fix" if self.fixing and fixable else
                   f"; {fixable} of the errors --fix can repair" if fixable else ""))


def fix_targets(paths: Sequence[str], out: str) -> list[Path]:
    """Where each input's repaired copy goes: OUT itself for one file, OUT/NAME for several."""
    out_path = Path(out)
    if len(paths) == 1 and not out_path.is_dir() and not out.endswith("/"):
        return [out_path]
    return [out_path / Path(p).name for p in paths]


def _check_one(path: str, fmt: str, schema, target: Path | None, infer: bool) -> FileValidation:
    from .formats.conll import iter_sentences, read_conll, write_conll
    from .formats.registry import dump, guess_format, load

    report = Report()

    def documents():
        if fmt == "conll":
            return read_conll(path, schema=schema, report=report, infer_sentences=infer)
        return load(path, fmt, schema=schema, report=report)

    n_sentences = 0
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
    return FileValidation(path, report, target, n_sentences)


def validate_files(paths: Sequence[str], *, fmt: str | None = None, schema=None, fix: str | None = None,
                   infer_sentences: bool = True) -> Validation:
    """Check every file (``schema`` None: any label); with ``fix``, write repaired copies there."""
    from .formats.registry import guess_format, require

    paths = [str(p) for p in paths]
    targets = fix_targets(paths, fix) if fix else [None] * len(paths)
    formats = [guess_format(path, fmt) for path in paths]
    for path, target in zip(paths, targets):
        require(path)
        if target is not None and Path(path).resolve() == target.resolve():
            raise UserError(f"--fix would overwrite {path}; write to another path")
        if target is not None:
            guess_format(target)  # an OUT whose format cannot be told is refused before any work
    return Validation(tuple(_check_one(path, f, schema, target, infer_sentences)
                            for path, f, target in zip(paths, formats, targets)), fixing=bool(fix))
