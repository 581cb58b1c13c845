"""Hugging Face ``datasets``: a dataset saved to disk (a directory), one row per sentence.

Columns: ``id``, ``document``, ``docstart`` (as in JSONL), ``tokens`` (a list
of strings) and ``ner_tags``, a list of ``ClassLabel`` whose names are the IOB2
tags of the schema (``O``, ``B-X``, ``I-X``... in ``Schema.tags`` order), or of
the labels found in the data when no schema is given (``--labels auto``). The
column names are the ones transformers' ``run_ner.py`` looks for.

Reading accepts any dataset with ``tokens`` and ``ner_tags`` (or ``tags``),
as ClassLabel ids or as strings; without a ``document`` column all rows form
one document. ``datasets`` is imported only here.

Left out: streaming writes (the rows are gathered in memory before saving; use
JSONL for corpora that do not fit) and DatasetDicts (pass one split's directory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from ..bio import parse_tag
from ..check import Report, TagChecker
from ..errors import UserError
from ..records import Document, Sentence, group_documents
from ..schema import Schema
from .registry import checked_tags


def _tag_names(rows, schema: Schema | None) -> list[str]:
    if schema is not None:
        return list(schema.tags)
    labels = {parse_tag(t).label for row in rows for t in row["ner_tags"] if t != "O"}
    return list(Schema.auto(labels).tags)


def dump_hf(documents: Iterable[Document], path: str | Path, *, schema: Schema | None = None) -> int:
    """Save the sentences as a ``datasets.Dataset`` in directory ``path``; returns the row count.

    A tag outside the names (a label not in the schema) raises UserError naming the sentence.
    """
    import datasets

    rows = [{"id": s.id or f"{doc.id}:{i}", "document": doc.id, "docstart": bool(doc.meta.get("docstart")),
             "tokens": list(s.words), "ner_tags": list(s.tags)}
            for doc in documents for i, s in enumerate(doc.sentences, 1)]
    names = _tag_names(rows, schema)
    ids = {name: i for i, name in enumerate(names)}
    for row in rows:
        unknown = [t for t in row["ner_tags"] if t not in ids]
        if unknown:
            raise UserError(f"sentence {row['id']}: tag {unknown[0]!r} is not one of the schema's tags "
                            f"({', '.join(names)}); pass --labels auto or a schema that has it")
        row["ner_tags"] = [ids[t] for t in row["ner_tags"]]
    features = datasets.Features({
        "id": datasets.Value("string"), "document": datasets.Value("string"),
        "docstart": datasets.Value("bool"), "tokens": datasets.List(datasets.Value("string")),
        "ner_tags": datasets.List(datasets.ClassLabel(names=names)),
    })
    columns = {name: [row[name] for row in rows] for name in features}
    quiet = not datasets.utils.are_progress_bars_disabled()
    if quiet:
        datasets.disable_progress_bars()  # a library does not draw on the user's terminal
    try:
        datasets.Dataset.from_dict(columns, features=features).save_to_disk(str(path))
    finally:
        if quiet:
            datasets.enable_progress_bars()
    return len(rows)


def load_hf(path: str | Path, *, schema: Schema | None = None,
            report: Report | None = None) -> Iterator[Document]:
    """The documents of a dataset saved with ``save_to_disk`` (see the module docstring)."""
    folder = Path(path)
    if folder.is_dir() and not any((folder / f).exists() for f in ("dataset_info.json", "state.json",
                                                                       "dataset_dict.json")):
        inside = sorted(p.name for p in folder.iterdir() if p.suffix in (".conll", ".jsonl", ".csv", ".spacy"))
        hint = f"to read the corpus files in it, name them ({folder}/*{Path(inside[0]).suffix})" if inside \
            else "check the path"
        raise UserError(f"{folder}: a folder, not a dataset saved with save_to_disk; {hint}")
    import datasets

    report = report if report is not None else Report()
    path = str(path)
    try:
        dataset = datasets.load_from_disk(path)
    except FileNotFoundError:
        raise UserError(f"{path}: not a dataset saved with save_to_disk (no dataset_info.json/state.json); "
                        f"check the path") from None
    if isinstance(dataset, datasets.DatasetDict):
        raise UserError(f"{path}: a DatasetDict with splits {list(dataset)}; pass one split's directory, "
                        f"e.g. {Path(path) / next(iter(dataset), 'train')}")
    tag_column = next((c for c in ("ner_tags", "tags") if c in dataset.column_names), None)
    if "tokens" not in dataset.column_names or tag_column is None:
        raise UserError(f"{path}: needs a 'tokens' column and a 'ner_tags' (or 'tags') column; "
                        f"it has {dataset.column_names}")
    feature = dataset.features[tag_column]
    inner = getattr(feature, "feature", None)
    names = inner.names if isinstance(inner, datasets.ClassLabel) else None
    stem = Path(path).name
    checker = TagChecker(path, schema, report)

    def entries():
        for index, row in enumerate(dataset, 1):
            tags = [names[t] for t in row[tag_column]] if names else list(row[tag_column])
            if len(tags) != len(row["tokens"]):
                raise UserError(f"{path}: row {index} has {len(row['tokens'])} tokens but {len(tags)} tags")
            words = tuple(row["tokens"])
            if not words:
                continue  # CoNLL cannot hold an empty sentence and it carries no tags
            sentence = Sentence(words, tuple(checked_tags(checker, report, words, tags, 0)), 0,
                                str(row.get("id") or f"{stem}:{index}"))
            yield str(row.get("document") or stem), bool(row.get("docstart", "document" in row)), sentence

    yield from group_documents(entries(), path)
    checker.finish()


__all__ = ["dump_hf", "load_hf"]
