"""Labelled corpora for training and evaluation: one file read and checked, labels renamed or kept.

``read_split(path, schema, mapping)`` reads a file of any format through the
registry (by its extension: ``.conll``, ``.jsonl``, ``.csv``, ``.spacy``, a
datasets directory) and refuses it, in one line naming the file and line, when
it cannot be used: a missing file, reading errors (with a pointer to ``ner
validate``), labels outside the schema (with a pointer to ``--labels auto``).
``label_mapping("Person=PER", keep="DATE")`` builds the renaming ``--map`` and
``--keep`` ask for; ``check_map`` refuses a source label that the corpus never
has ("did you mean"), since it would silently turn that label's entities into O.

Left out: model input encoding (``ner.models``), dev hold-out (``ner.train.prepare``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .bio import spans_tags, tags_spans
from .check import Report
from .errors import UserError
from .records import Sentence
from .schema import Schema, load_schema


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """The sentences of one corpus file, labels renamed; what the file had before renaming."""

    path: str
    sentences: tuple[Sentence, ...]
    unmapped: int                 # entities whose label the mapping does not name (now O)
    found: frozenset[str] = frozenset()  # labels in the file before renaming

    @property
    def n_tokens(self) -> int:
        return sum(len(s) for s in self.sentences)


def parse_map(text: str, flag: str = "--map") -> dict[str, str]:
    """``Person=PER,Org=ORG`` -> ``{"Person": "PER", "Org": "ORG"}``.

    >>> parse_map("Person=PER, LocOrg=LOC")
    {'Person': 'PER', 'LocOrg': 'LOC'}
    """
    out = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        src, sep, dst = part.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise UserError(f"{flag}: {part!r} is not SOURCE=TARGET (e.g. Person=PER,Org=ORG); "
                            f"to keep a label as it is, use --keep LABEL,...")
        out[src.strip()] = dst.strip()
    return out


def label_mapping(map_text: str = "", keep: str = "") -> dict[str, str] | None:
    """The renaming of ``--map A=B,...`` plus ``--keep L1,L2`` (kept under their own names); None for neither.

    >>> label_mapping("Person=PER", "DATE")
    {'Person': 'PER', 'DATE': 'DATE'}
    """
    mapping = parse_map(map_text) if map_text else {}
    for label in (part.strip() for part in keep.split(",")):
        if "=" in label:
            raise UserError(f"--keep: {label!r}: give label names only (renaming is --map's job)")
        if label:
            mapping.setdefault(label, label)
    return mapping or None


def check_map(mapping: dict[str, str] | None, found, where: str) -> None:
    """Refuse a mapped label that never occurs in the corpus (``where`` names it): it is a typo."""
    found = sorted(found)
    for source in mapping or {}:
        if source not in found:
            close = difflib.get_close_matches(source, found, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UserError(f"--map/--keep: label {source!r} never occurs in {where}; {hint}"
                            f"labels there: {', '.join(found) or 'none'}")


def map_tags(tags, mapping: dict[str, str]) -> tuple[list[str], int]:
    """Tags with labels renamed by ``mapping``; entities of other labels become O (and are counted).

    >>> map_tags(["B-Person", "I-Person", "B-Project", "O"], {"Person": "PER"})
    (['B-PER', 'I-PER', 'O', 'O'], 1)
    """
    spans = tags_spans(tags)
    kept = [(i, j, mapping[label]) for i, j, label in spans if label in mapping]
    return spans_tags(len(tags), kept), len(spans) - len(kept)


def map_documents(documents, mapping: dict[str, str]) -> tuple[list, int]:
    """Documents with every sentence's labels renamed (``map_tags``); the number of entities dropped."""
    from .records import Document

    out, dropped = [], 0
    for doc in documents:
        sentences = []
        for s in doc.sentences:
            tags, n = map_tags(s.tags, mapping)
            dropped += n
            sentences.append(s.with_tags(tags))
        out.append(Document(doc.id, tuple(sentences), doc.path, doc.meta))
    return out, dropped


def outside_schema(report: Report, paths) -> str | None:
    """One line for a read whose only errors are labels outside the schema (E112), else None:
    the fix is a flag, not a repair, so say it first instead of listing every token."""
    if not report.errors or any(i.code != "E112" or i.fixable for i in report.errors):
        return None
    labels = sorted({i.message.split("'")[1] for i in report.errors if i.message.count("'") >= 2})
    return (f"{', '.join(map(str, paths))}: {len(report.errors)} tag(s) with labels outside the schema "
            f"({', '.join(labels[:8])}{', ...' if len(labels) > 8 else ''}, first at {report.errors[0].path}:"
            f"{report.errors[0].line}); pass --labels auto to take the labels found in the data, "
            f"--labels FILE, or --map SOURCE=TARGET / --keep LABEL,...")


def _where(path: str, fmt: str, sentence: Sentence, number: int, token: int) -> str:
    """Where token ``token`` of a sentence is: its line in CoNLL/CSV, its record's line in JSONL."""
    if fmt in ("conll", "csv") and sentence.line:
        return f"{path}:{sentence.line + token}"
    if fmt == "jsonl" and sentence.line:
        return f"{path}:{sentence.line}: token #{token + 1}"
    return f"{path}: sentence #{number}, token #{token + 1}"


def read_split(path: str, schema: Schema | None, mapping: dict[str, str] | None = None) -> CorpusFile:
    """The sentences of one corpus file, checked; raises UserError on the first problem."""
    from .formats.registry import guess_format, load

    path = str(path)
    fmt = guess_format(path)
    report = Report()
    docs = list(load(path, fmt, schema=None if mapping else schema, report=report))
    if report.errors:
        first = report.errors[0]
        line = outside_schema(report, [path])
        if line:
            raise UserError(line)
        if first.code in ("E100", "E101", "E102", "E103"):
            raise UserError(str(first))
        raise UserError(f"{first} ({len(report.errors)} error(s) in {path}; see 'ner validate {path}', "
                        f"and 'ner validate --fix' repairs what it can)")
    sentences = [s for d in docs for s in d.sentences if len(s)]
    if not sentences:
        raise UserError(f"{path}: no sentences; the split is empty")
    found = frozenset(label for s in sentences for _, _, label in tags_spans(s.tags))
    unmapped = 0
    if mapping:
        mapped = []
        for s in sentences:
            tags, dropped = map_tags(s.tags, mapping)
            unmapped += dropped
            mapped.append(s.with_tags(tags))
        sentences = mapped
    if schema is not None:
        for n, s in enumerate(sentences, 1):
            for i, tag in enumerate(s.tags):
                if tag != "O" and tag[2:] not in schema:
                    closest = schema.closest(tag[2:])
                    hint = f"did you mean {closest!r}? " if closest else ""
                    raise UserError(f"{_where(path, fmt, s, n, i)}: label {tag[2:]!r} is not in the "
                                    f"schema ({', '.join(schema.names)}); {hint}pass --labels or --map")
    return CorpusFile(path, tuple(sentences), unmapped, found)


def resolve_schema(labels: str, mapping: dict[str, str] | None) -> Schema | None:
    """The schema for ``--labels``; None means 'auto' (taken from the data)."""
    if labels == "auto":
        return None
    if not labels and mapping:
        return Schema.auto(mapping.values(), "mapped")
    return load_schema(labels or None)


__all__ = ["CorpusFile", "check_map", "label_mapping", "map_documents", "map_tags", "outside_schema", "parse_map",
           "read_split", "resolve_schema"]
