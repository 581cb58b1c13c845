"""CoNLL token-per-line files: streamed reading with validation and repair, and writing.

What real files contain and how it is read:

- columns separated by a tab, a space or several spaces, trailing whitespace,
  2 to 4 columns (the tag is the last one, so Label Studio's CONLL2003 export
  ``token -X- _ tag`` reads too); with tabs present, spaces inside a field are
  part of the token;
- ``-DOCSTART-`` lines break documents, ``#`` lines are comments, runs of blank
  (or whitespace-only) lines are one sentence break; CRLF, lone CR and a UTF-8
  BOM are taken in stride;
- cp1251, koi8-r and UTF-16 files are detected from their bytes (W103), and
  mojibake lines are repaired (W104);
- a document with no blank lines at all is split into sentences at
  sentence-final punctuation followed by a capital letter (W101).

The reader is a line-by-line state machine (``conll_parser.py``): the open sentence, the line number
and the open document live in the parser and carry over from one chunk of text
to the next, as does a line the chunk cut in two, so where chunks end cannot
matter (chunks are only how the file is read). Each distinct word is checked
for mojibake and look-alikes once; a line with odd characters takes the careful
split of ``lines.py``. Tags are checked a sentence at a time and come out in
IOB2 with every unambiguous repair applied; every repair is a ``Change``.

Left out: CoNLL-U's other columns (only the token and the last column are kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from ..check import Report
from ..errors import UserError
from ..records import Document, Sentence
from ..schema import Schema
from .conll_parser import _Parser
from .textfile import CHUNK, chunks, detect_encoding, open_text


def _parse(pieces: Iterable[str], parser: _Parser) -> Iterator[Document | Sentence]:
    for piece in pieces:
        yield from parser.feed(piece)
    yield from parser.close()


def parse_conll(
    lines: Iterable[str],
    path: str = "<string>",
    *,
    schema: Schema | None = None,
    report: Report | None = None,
    infer_sentences: bool = True,
) -> Iterator[Document]:
    """Documents from CoNLL text given in pieces (lines, chunks cut anywhere, or one string in a list).

    ``schema=None`` accepts any label. Issues and repairs go to ``report``.
    """
    report = report if report is not None else Report()
    yield from _parse(lines, _Parser(path, schema, report, infer_sentences))


def _read(path, schema, report, infer_sentences, stream: bool, chunk_size: int):
    report = report if report is not None else Report()
    path = str(path)
    text = open_text(path, report)
    if text is not None:
        with text:
            yield from _parse(chunks(text, chunk_size), _Parser(path, schema, report, infer_sentences, stream))


def read_conll(path: str | Path, *, schema: Schema | None = None, report: Report | None = None,
               infer_sentences: bool = True, chunk_size: int = CHUNK) -> Iterator[Document]:
    """Stream the documents of a CoNLL file; problems go to ``report``, never raised.

    A file without ``-DOCSTART-`` is one document (held in memory; use
    ``iter_sentences`` for constant memory). A file that cannot be opened, a
    binary file and an empty file are reported (E100, E101, E102) and yield nothing.
    ``chunk_size`` (characters per read) changes nothing but speed and memory.
    """
    return _read(path, schema, report, infer_sentences, False, chunk_size)


def iter_sentences(path: str | Path, *, schema: Schema | None = None, report: Report | None = None,
                   infer_sentences: bool = True, chunk_size: int = CHUNK) -> Iterator[Sentence]:
    """Stream the sentences of a CoNLL file in constant memory (documents are not kept)."""
    return _read(path, schema, report, infer_sentences, True, chunk_size)


def read_corpus(paths, *, schema: Schema | None = None, report: Report | None = None) -> list[Document]:
    """All documents of several files, in memory (for splits, training and Label Studio)."""
    return [doc for path in paths for doc in read_conll(path, schema=schema, report=report)]


def format_conll(documents: Iterable[Document], docstart: bool | None = None, *,
                 spaces: bool = True) -> Iterator[str]:
    """CoNLL lines (with newlines): ``word<TAB>tag``, a blank line after each sentence.

    ``-DOCSTART-`` opens each document when ``docstart`` is true, or, by default,
    when the document was read from a file that had it. A token CoNLL cannot hold
    (empty, ``-DOCSTART-``, a tab or line break inside) is a UserError naming its
    sentence; so is a space inside one when ``spaces`` is false (tab-separated, it
    reads back whole here, but whitespace-splitting readers would split it).
    """
    bad = " \t\n\r" if not spaces else "\t\n\r"
    for doc in documents:
        if docstart or (docstart is None and doc.meta.get("docstart")):
            yield "-DOCSTART-\tO\n\n"
        for sentence in doc.sentences:
            for word in sentence.words:
                if not word or word == "-DOCSTART-" or any(c in word for c in bad):
                    raise UserError(f"sentence {sentence.id or '?'} of document {doc.id}: token {word!r} cannot be "
                                    f"written to CoNLL (empty, -DOCSTART-, or a {'space, ' if not spaces else ''}"
                                    f"tab or line break inside); fix the token or keep this corpus in JSONL")
            yield "".join(f"{w}\t{t}\n" if t else f"{w}\n" for w, t in zip(sentence.words, sentence.tags))
            yield "\n"


def write_conll(documents: Iterable[Document], path: str | Path, docstart: bool | None = None, *,
                spaces: bool = True) -> int:
    """Write documents as UTF-8 CoNLL; returns the number of sentences written (see ``format_conll``)."""
    count = 0
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in format_conll(documents, docstart, spaces=spaces):
            if line == "\n":
                count += 1
            f.write(line)
    return count


def parse_conll_string(text: str, **kwargs) -> list[Document]:
    """Documents from CoNLL text in a string (tests, notebooks)."""
    return list(parse_conll([text], **kwargs))


__all__ = ["read_conll", "iter_sentences", "read_corpus", "parse_conll", "parse_conll_string", "format_conll",
           "write_conll", "detect_encoding"]
