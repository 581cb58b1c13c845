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

The reader is a line-by-line state machine: the open sentence, the line number
and the open document live in the parser and carry over from one chunk of text
to the next, as does a line the chunk cut in two, so where chunks end cannot
matter (chunks are only how the file is read). Each distinct word is checked
for mojibake and look-alikes once; a line with odd characters takes the careful
split of ``lines.py``. Tags are checked a sentence at a time and come out in
IOB2 with every unambiguous repair applied; every repair is a ``Change``.

Left out: CoNLL-U's other columns (only the token and the last column are kept).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Iterable, Iterator

from ..check import Change, Issue, Report, TagChecker
from ..errors import UserError
from ..records import Document, Sentence
from ..schema import Schema
from .lines import LINE_ODD, careful_columns, word_needs_care
from .textfile import CHUNK, chunks, detect_encoding, open_text

_FINAL = frozenset({".", "!", "?", "…", "?!", "!?", "...", "?.."})
_OPENERS = frozenset("«\"“„")


def _infer_breaks(words, tags) -> list[int]:
    """Token indices after which a sentence ends: final punctuation, then a capital or an opening quote."""
    cuts = []
    for i in range(len(words) - 1):
        if words[i] in _FINAL and tags[i] == "O":
            nxt = words[i + 1]
            if nxt[:1].isupper() or nxt[:1] in _OPENERS:
                cuts.append(i + 1)
    return cuts


def _looks_like_tag(field: str) -> bool:
    return field == "O" or (len(field) > 2 and field[1] == "-" and field[0] in "BIESLU")


class _Parser:
    """One file being parsed: text goes in by ``feed``, completed documents (or sentences) come out."""

    def __init__(self, path, schema, report, infer_sentences, stream=False):
        self.path = path
        self.report = report
        self.checker = TagChecker(path, schema, report)
        self.infer = infer_sentences
        self.stream = stream         # hand out sentences as they complete, keep no documents
        self.stem = Path(path).stem
        self.line = 0                # the number of the last line read
        self.rest = ""               # the start of a line the last chunk cut, and a CR that may precede LF
        self.words: list[str] = []   # the open sentence
        self.tags: list[str] = []
        self.first = 0               # line of the open sentence's first word
        self.sentences: list[Sentence] = []   # the open document's sentences (streaming: the completed ones)
        self.docstart = False
        self.doc_index = 0
        self.saw_break = False       # a sentence in the open document ended at a blank line or a comment
        self.n_tokens = 0
        self.known_words: set[str] = set()   # words checked and found clean
        self.odd_words: set[str] = set()     # words the careful path must see every time

    # -- text in -----------------------------------------------------------------------------
    def feed(self, chunk: str) -> list:
        """Read a piece of text (any size, cut anywhere); returns what it completed."""
        text = self.rest + chunk
        tail = ""
        if text.endswith("\r"):  # its LF may open the next chunk
            text, tail = text[:-1], "\r"
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        cut = text.rfind("\n")
        self.rest = text[cut + 1:] + tail
        return self.read_lines(text[:cut]) if cut >= 0 else []

    def close(self) -> list:
        """The end of the text: the last line, the open sentence and document, file-level checks."""
        rest, self.rest = self.rest.replace("\r", "\n"), ""
        done = self.read_lines(rest.rstrip("\n")) if rest else []
        doc = self.end_document()
        if self.stream:
            done += self.sentences
            self.sentences = []
        elif doc:
            done.append(doc)
        self.checker.finish()
        path, report = self.path, self.report
        if self.n_tokens == 0 and not any(i.path == path and i.code in ("E100", "E101", "E103")
                                          for i in report.issues):
            report.issues.append(Issue(path, 0, "E102", "the file has no tokens; is it the right file?"))
        return done

    def read_lines(self, text: str) -> list:
        """Whole lines, joined by LF (no line break at the end). The cyclic garbage collector is
        paused meanwhile: the parser makes no cycles, and the collector's passes over a growing
        document would otherwise cost more than the parsing itself."""
        gc_enabled = gc.isenabled()
        gc.disable()
        try:
            done = self._lines(text)
        finally:
            if gc_enabled:
                gc.enable()
        if self.stream:
            done, self.sentences = self.sentences, []
        return done

    def _lines(self, text: str) -> list[Document]:
        path, report = self.path, self.report
        known, odd_words = self.known_words, self.odd_words
        # Lines that split differently from str.split(): odd characters, or tabs beside spaces.
        odd = LINE_ODD.search(text) is not None
        mixed = "\t" in text and " " in text
        words, tags = self.words, self.tags
        done: list[Document] = []
        lineno = self.line
        for raw in text.split("\n"):
            lineno += 1
            careful = (odd and LINE_ODD.search(raw) is not None) or (mixed and "\t" in raw and " " in raw)
            fields = careful_columns(raw, path, lineno, report) if careful else raw.split()
            if not fields:
                if words:
                    self.end_sentence()
                    words, tags = self.words, self.tags
                continue
            word = fields[0]
            if word not in known and not careful:
                if word in odd_words or word_needs_care(word):
                    odd_words.add(word)
                    fields = careful_columns(raw, path, lineno, report)
                    word = fields[0]
                else:
                    if len(known) > 500_000:
                        known.clear()
                    known.add(word)
            n = len(fields)
            if word[0] in "-#":
                if word == "-DOCSTART-":
                    doc = self.end_document()
                    if doc:
                        done.append(doc)
                    self.docstart = True
                    words, tags = self.words, self.tags
                    continue
                if word[0] == "#" and (n == 1 or not _looks_like_tag(fields[-1])):
                    if words:  # a comment stands before a sentence, as in CoNLL-U
                        self.end_sentence()
                        words, tags = self.words, self.tags
                    continue
            if n == 2:
                tag = fields[1]
            elif n == 1:
                tag = ""
            else:
                tag = fields[-1]
                if n > 4:
                    report.issues.append(Issue(path, lineno, "W109",
                                               f"{n} columns; the last one, {tag!r}, is taken as the tag"))
            if not words:
                self.first = lineno
            words.append(word)
            tags.append(tag)
        self.line = lineno
        return done

    # -- sentences and documents ------------------------------------------------------------
    def end_sentence(self, at_doc_end: bool = False) -> None:
        words, tags, first = self.words, self.tags, self.first
        if not words:
            return
        self.words, self.tags = [], []
        cuts = []
        if self.infer and at_doc_end and not self.saw_break:
            cuts = _infer_breaks(words, tags)
            if cuts:
                path = self.path
                self.report.issues.append(Issue(
                    path, first, "W101",
                    f"no blank lines between sentences in lines {first}-{first + len(words) - 1}; "
                    f"{len(cuts)} sentence break(s) inferred at sentence-final punctuation "
                    f"(--fix writes them as blank lines)"))
                self.report.changes.extend(Change(path, first + cut, "", "<blank line>",
                                                  "sentence break inferred") for cut in cuts)
        if not at_doc_end:
            self.saw_break = True
        tags = self.checker.check(words, tags, first)
        self.n_tokens += len(words)
        if not cuts:
            self.sentences.append(Sentence(tuple(words), tuple(tags), first, f"{self.stem}:{first}"))
            return
        bounds = [0, *cuts, len(words)]
        for a, b in zip(bounds, bounds[1:]):
            line = first + a
            self.sentences.append(Sentence(tuple(words[a:b]), tuple(tags[a:b]), line, f"{self.stem}:{line}"))

    def end_document(self) -> Document | None:
        self.end_sentence(at_doc_end=True)
        self.saw_break = False
        if self.stream or not self.sentences:
            return None
        self.doc_index += 1
        doc_id = f"{self.stem}-{self.doc_index}" if self.docstart else self.stem
        doc = Document(doc_id, tuple(self.sentences), self.path, {"docstart": self.docstart})
        self.sentences = []
        return doc


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
