"""CSV: one row per token, ``document,sentence,token,tag``, UTF-8, streamed both ways.

Consecutive rows with the same ``document`` and ``sentence`` values form one
sentence. A document that opened with ``-DOCSTART-`` in CoNLL keeps its id in
the ``document`` column; a document without one (a CoNLL file with no
``-DOCSTART-``) leaves the column empty. That keeps CoNLL -> CSV -> CoNLL exact:
rows with an empty ``document`` read back as one document with no
``-DOCSTART-``. Tokens with commas, quotes or spaces are quoted by the csv
module, so every token reads back as written.

Left out: character offsets (CSV rows hold tokens; JSONL holds the text).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable, Iterator

from ..check import Report, TagChecker
from ..errors import UserError
from ..records import Document, Sentence
from ..schema import Schema

HEADER = ("document", "sentence", "token", "tag")


def dump_csv(documents: Iterable[Document], path: str | Path) -> int:
    """Write one row per token with a header; returns the number of sentences written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        for doc in documents:
            doc_id = doc.id if doc.meta.get("docstart") else ""
            previous = None
            for index, sentence in enumerate(doc.sentences, 1):
                # The sentence column only has to change between sentences; ids usually do.
                sentence_id = sentence.id if sentence.id and sentence.id != previous else f"{doc.id}:{index}"
                previous = sentence_id
                writer.writerows((doc_id, sentence_id, w, t) for w, t in zip(sentence.words, sentence.tags))
                count += 1
    return count


def load_csv(path: str | Path, *, schema: Schema | None = None,
             report: Report | None = None) -> Iterator[Document]:
    """Stream the documents of a CSV file with the header ``document,sentence,token,tag``.

    The ``document`` column may be left out (one document). Tags are checked like
    CoNLL tags, with issues on the row's line.
    """
    report = report if report is not None else Report()
    path = str(path)
    stem = Path(path).stem
    checker = TagChecker(path, schema, report)
    try:
        f = open(path, encoding="utf-8-sig", newline="")
    except OSError as e:
        raise UserError(f"{path}: cannot read the file ({e.strerror}); check the path") from None
    doc_key = sent_key = None
    sentences: list[Sentence] = []
    words: list[str] = []
    tags: list[str] = []
    first_line = 0

    def sentence() -> Sentence:
        checked = checker.check(words, tags, first_line)
        return Sentence(tuple(words), tuple(checked), first_line, sent_key)

    def document() -> Document:
        return Document(doc_key or stem, tuple(sentences), path, {"docstart": bool(doc_key)})

    with f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
            columns = [c.strip().lower() for c in header or ()]
            missing = [c for c in HEADER[1:] if c not in columns]
            if missing:
                raise UserError(f"{path}:1: the header {header!r} lacks {missing}; "
                                f"the first row must be {','.join(HEADER)}")
            at = {name: columns.index(name) for name in HEADER if name in columns}
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != len(columns):
                    raise UserError(f"{path}:{line}: {len(row)} fields, the header has {len(columns)}; "
                                    f"quote fields that hold commas")
                doc = row[at["document"]] if "document" in at else ""
                sent = row[at["sentence"]]
                if words and (doc, sent) != (doc_key, sent_key):
                    sentences.append(sentence())
                    words, tags = [], []
                    if doc != doc_key:
                        yield document()
                        sentences = []
                if not words:
                    doc_key, sent_key, first_line = doc, sent, line
                words.append(row[at["token"]])
                tags.append(row[at["tag"]])
        except csv.Error as e:
            raise UserError(f"{path}:{reader.line_num}: not readable as CSV ({e})") from None
        except UnicodeDecodeError as e:
            raise UserError(f"{path}: not UTF-8 text ({e.reason}); re-save it as UTF-8") from None
    if words:
        sentences.append(sentence())
    if sentences:
        yield document()
    checker.finish()


__all__ = ["HEADER", "dump_csv", "load_csv"]
