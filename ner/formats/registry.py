"""Corpus formats by name and by path: which load/dump pair reads or writes a file.

Every format module has ``load_NAME(path, *, schema=None, report=None)``, a
generator of ``Document`` records, and ``dump_NAME(documents, path, ...)``,
which returns the number of sentences written. CoNLL's pair is
``read_conll``/``write_conll``. Modules are imported only when their format is
used, so ``datasets`` and ``spacy`` load only for ``hf`` and ``spacy``.

A format is guessed from the suffix: ``.conll``, ``.txt``, ``.iob``, ``.bio``
-> conll; ``.jsonl`` -> jsonl; ``.csv`` -> csv; ``.spacy`` -> spacy; a
directory or a new path with no suffix -> hf (a ``datasets`` dataset saved to disk); an
existing plain file with no suffix -> conll. Any other suffix is refused (``--from``/``--to``
name the format), so no command reads JSON as CoNLL or writes CoNLL into a ``.jsonl`` file.

Left out: formats that hold nested spans (BIO cannot).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import UserError
from ..records import Document


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    module: str
    load_name: str
    dump_name: str
    suffixes: tuple[str, ...]
    description: str

    def loader(self):
        return getattr(importlib.import_module(self.module), self.load_name)

    def dumper(self):
        return getattr(importlib.import_module(self.module), self.dump_name)


FORMATS = {f.name: f for f in (
    Format("conll", "ner.formats.conll", "read_conll", "write_conll", (".conll", ".txt", ".iob", ".bio"),
           "token<TAB>tag per line, blank line between sentences"),
    Format("jsonl", "ner.formats.jsonl", "load_jsonl", "dump_jsonl", (".jsonl",),
           "one JSON record per sentence: text, tokens, tags, spans"),
    Format("csv", "ner.formats.csv", "load_csv", "dump_csv", (".csv",),
           "one row per token: document,sentence,token,tag"),
    Format("hf", "ner.formats.hf", "load_hf", "dump_hf", (),
           "Hugging Face datasets dataset saved to disk (a directory), tags as ClassLabel"),
    Format("spacy", "ner.formats.spacy", "load_spacy", "dump_spacy", (".spacy",),
           "spaCy DocBin, one Doc per sentence, entities as doc.ents"),
)}


def guess_format(path: str | Path, given: str | None = None) -> str:
    """The format name for ``path``: ``given`` if set, else from the suffix (a directory is hf).

    >>> guess_format("train.jsonl"), guess_format("out/hf_dataset"), guess_format("x.csv", "conll")
    ('jsonl', 'hf', 'conll')
    """
    if given:
        if given not in FORMATS:
            raise UserError(f"--from/--to: unknown format {given!r}; choose one of {', '.join(FORMATS)}")
        return given
    path = Path(path)
    suffix = path.suffix.lower()
    for fmt in FORMATS.values():
        if suffix in fmt.suffixes:
            return fmt.name
    if path.is_file() and not suffix:  # a datasets dataset is a directory: a plain file is text
        return "conll"
    if path.is_dir() or not suffix:
        return "hf"
    known = ", ".join(x for fmt in FORMATS.values() for x in fmt.suffixes)
    raise UserError(f"{path}: cannot tell the format from the suffix {suffix!r}; give the file one of "
                    f"{known} (or a datasets directory), or pass --from/--to FMT where the command has it "
                    f"({', '.join(FORMATS)})")


def require(path: str | Path) -> None:
    """A missing input is a usage mistake (exit 2, one line), the same for every format and command."""
    if not Path(path).exists():
        raise UserError(f"{path}: no such file or directory; check the path")


def require_output(out: str | Path) -> None:
    """Refuse an output file whose extension names no corpus format, before any work is done."""
    try:
        guess_format(out, None)
    except UserError:
        suffixes = ", ".join(x for f in FORMATS.values() for x in f.suffixes)
        raise UserError(f"{out}: the extension names no corpus format; use one of {suffixes}") from None


def load(path: str | Path, fmt: str | None = None, *, schema=None, report=None) -> Iterator[Document]:
    """Stream the documents of ``path`` in format ``fmt`` (guessed when None); UserError when it is missing."""
    name = guess_format(path, fmt)
    require(path)
    yield from FORMATS[name].loader()(str(path), schema=schema, report=report)


def dump(documents: Iterable, path: str | Path, fmt: str | None = None, *, schema=None) -> int:
    """Write documents to ``path`` in format ``fmt`` (guessed when None); the number of sentences."""
    name = guess_format(path, fmt)
    if name == "conll":  # converted tokens with a space inside are refused: other CoNLL readers split them
        return FORMATS[name].dumper()(documents, path, spaces=False)
    if name == "hf":
        return FORMATS[name].dumper()(documents, path, schema=schema)
    return FORMATS[name].dumper()(documents, path)


def checked_tags(checker, report, words, tags, line: int) -> list[str]:
    """Tags of one sentence checked (and repaired to IOB2) by a ``TagChecker``, for formats
    that keep a whole sentence on one line (JSONL) or on none (hf, spaCy): the issues are
    put on ``line`` instead of on one line per token."""
    n_issues, n_changes, n_opens = len(report.issues), len(report.changes), len(checker.iob1_opens)
    out = checker.check(words, tags, 0)
    if line:
        report.issues[n_issues:] = [replace(i, line=line) for i in report.issues[n_issues:]]
        report.changes[n_changes:] = [replace(c, line=line) for c in report.changes[n_changes:]]
        # I- tags that open an entity are judged when the file ends (IOB1 or broken IOB2): they keep the line too
        checker.iob1_opens[n_opens:] = [replace(i, line=line) for i in checker.iob1_opens[n_opens:]]
    return out


def load_many(paths, fmt: str | None = None, *, schema=None, report=None) -> list:
    """All documents of several files, in memory (stats, splits)."""
    return [doc for path in paths for doc in load(path, fmt, schema=schema, report=report)]

__all__ = ["FORMATS", "Format", "guess_format", "require", "load", "dump", "load_many", "checked_tags"]
