"""What ``ner llm annotate`` reads: texts with the tokens their spans must fall on.

A ``.txt`` file holds one text per line (blank lines skipped, the line kept as the text's
``line``; tokens by razdel, as every other reader of raw text). A ``.jsonl`` file or any
corpus the toolkit reads (``--from`` names the format) gives its sentences: their text and
their own tokens, so that the output lines up word for word with the corpus (``ner
agreement`` against it needs that). JSONL records with only ``text`` are tokenized by razdel.

Left out: texts longer than a model's context are sent whole (the server refuses them and the
text is listed as failed); splitting them is the user's call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..text import text_lines, tokenize


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    words: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    id: str
    document: str
    docstart: bool = False
    line: int = 0
    spans: tuple = ()  # the corpus's own spans, if it had any (for --examples and export)


def read_text_lines(path: str) -> list[Item]:
    """One item per non-blank line of a UTF-8 text file."""
    stem = Path(path).stem
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            lines = text_lines(f.read())
    except OSError as e:
        raise UserError(f"{path}: cannot read the file ({e.strerror}); check the path") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text ({e.reason}); re-save it as UTF-8") from None
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        found = tokenize(line)
        items.append(Item(line, tuple(w for _, _, w in found), tuple((s, e) for s, e, _ in found),
                          f"{stem}:{number}", stem, False, number))
    return items


def read_corpus_items(path: str, fmt: str | None = None, schema=None) -> list[Item]:
    """One item per sentence of a corpus file (any format ``ner.formats`` reads)."""
    from ..check import Report
    from ..formats.registry import load

    report = Report()
    items = []
    for doc in load(path, fmt, schema=schema, report=report):
        for k, sentence in enumerate(doc.sentences):
            if not len(sentence):
                continue
            text, offsets = sentence.layout
            items.append(Item(text, sentence.words, offsets, sentence.id or f"{doc.id}:{k + 1}", doc.id,
                              bool(doc.meta.get("docstart")) and k == 0, sentence.line, sentence.spans))
    if report.errors:
        raise UserError(f"{report.errors[0]} ({len(report.errors)} error(s) in {path}; see 'ner validate {path}')")
    return items


def read_items(path: str, fmt: str | None = None) -> list[Item]:
    """The texts of ``path``: a ``.txt`` file line by line, anything else as a corpus."""
    from ..formats.registry import require

    require(path)
    if fmt is None and Path(path).suffix.lower() == ".txt":
        return read_text_lines(path)
    return read_corpus_items(path, fmt)
