"""CoNLL token-per-line files: streamed reading with validation and repair, and writing.

What real files contain and how it is read:

- columns separated by a tab, a space or several spaces, trailing whitespace,
  2 to 4 columns (the tag is the last one, so Label Studio's CONLL2003 export
  ``token -X- _ tag`` reads too); with tabs present, spaces inside a field are
  part of the token;
- ``-DOCSTART-`` lines break documents, ``#`` lines are comments, runs of blank
  lines are one sentence break; CRLF and a UTF-8 BOM are taken in stride;
- cp1251, koi8-r and UTF-16 files are detected from their bytes (W103), and
  mojibake lines are repaired (W104);
- a document with no blank lines at all is split into sentences at
  sentence-final punctuation followed by a capital letter (W101).

Files are read in chunks of about a megabyte; a cheap scan of each chunk picks
the few lines that need the slow, careful checks. Tags come out in IOB2 with
every unambiguous repair applied; every repair is a ``Change`` in the report.

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
from .textfile import chunks, detect_encoding, open_text
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


class _Parser:
    """State of one file being parsed: the open sentence, the open document, checks."""

    def __init__(self, path, schema, report, infer_sentences):
        self.path = path
        self.report = report
        self.checker = TagChecker(path, schema, report)
        self.infer = infer_sentences
        self.stem = Path(path).stem
        self.words: list[str] = []
        self.tags: list[str] = []
        self.first = 0               # line of the open sentence's first word
        self.sentences: list[Sentence] = []
        self.docstart = False
        self.doc_index = 0
        self.saw_break = False       # a blank line seen in the open document
        self.n_tokens = 0
        self.known_words: set[str] = set()   # words already checked and found clean
        self.odd_words: set[str] = set()
        self.stream = False          # hand out sentences as they complete, keep no documents

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
        if not self.sentences:
            return None
        self.doc_index += 1
        doc_id = f"{self.stem}-{self.doc_index}" if self.docstart else self.stem
        doc = Document(doc_id, tuple(self.sentences), self.path, {"docstart": self.docstart})
        self.sentences = []
        return doc

    def clean_words(self, words) -> bool:
        """True unless a word needs the careful path (each distinct word is checked once)."""
        if self.known_words.issuperset(words):
            return True
        new = set(words).difference(self.known_words)
        if new:
            for word in new:
                (self.odd_words if word_needs_care(word) else self.known_words).add(word)
            if len(self.known_words) > 500_000:
                self.known_words.clear()
        return not self.odd_words or self.odd_words.isdisjoint(words)

    def plain_columns(self, text: str, n_lines: int, marks: bool = True) -> tuple[list, list] | None:
        """(words, tags) of a block of two-column lines with clean words; None when it needs the careful path.

        ``marks=False`` says the chunk holds no -DOCSTART- and no '#', so the block is not searched for them.
        """
        fields = text.split()
        if len(fields) != 2 * n_lines or (marks and ("-DOCSTART-" in text or text[0] == "#" or "\n#" in text)):
            return None
        words = fields[0::2]
        return (words, fields[1::2]) if self.clean_words(words) else None

    # -- lines ------------------------------------------------------------------------------
    def block(self, text: str, line: int, n_lines: int, careful: bool) -> list[Document] | None:
        """Lines of text with no blank line inside (whitespace-only lines may be); ``line`` is the first.

        Returns the documents that -DOCSTART- lines in the block completed, if any.
        """
        plain = None if careful else self.plain_columns(text, n_lines)
        if plain is None:
            return self.lines(text.split("\n"), line)
        if not self.words:
            self.first = line
        self.words += plain[0]
        self.tags += plain[1]
        return None

    def lines(self, lines, line: int) -> list[Document]:
        """The careful path: one line at a time."""
        path, report = self.path, self.report
        docs = []
        for lineno, raw in enumerate(lines, line):
            fields = careful_columns(raw, path, lineno, report)
            if not fields:
                self.end_sentence()
                continue
            word = fields[0]
            if word == "-DOCSTART-":
                doc = self.end_document()
                if doc:
                    docs.append(doc)
                self.docstart = True
                continue
            if word[0] == "#" and (len(fields) == 1 or not _looks_like_tag(fields[-1])):
                self.end_sentence()  # a comment stands before a sentence, as in CoNLL-U
                continue
            if not self.words:
                self.first = lineno
            n = len(fields)
            if n > 4:
                report.issues.append(Issue(path, lineno, "W109",
                                           f"{n} columns; the last one, {fields[-1]!r}, is taken as the tag"))
            self.words.append(word)
            self.tags.append(fields[-1] if n > 1 else "")
        return docs


def _parse(chunks: Iterable[str], parser: "_Parser") -> Iterator[Document | Sentence]:
    """Sentences as they complete (``parser.stream``) or documents, from chunks of whole lines.

    The cyclic garbage collector is paused while a chunk is parsed: the parser
    makes no cycles, and the collector's passes over a growing document would
    otherwise cost more than the parsing itself.
    """
    line = 1
    for chunk in chunks:
        if "\r" in chunk:
            chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
        body = chunk[:-1] if chunk.endswith("\n") else chunk
        odd_chunk = LINE_ODD.search(body) is not None
        # Document breaks and comments send a block to the careful path; most chunks have none.
        marks = "-DOCSTART-" in body or "#" in body
        blocks = body.split("\n\n")
        last = len(blocks) - 1
        done: list = []
        odd_at = [m.start() for m in LINE_ODD.finditer(body)] if odd_chunk else []
        k = 0      # the first odd character not before the current block
        end = -2   # where the current block ends in body
        fast_tokens = 0
        append = parser.sentences.append
        check, columns, stem = parser.checker.check, parser.plain_columns, parser.stem
        gc_enabled = gc.isenabled()
        gc.disable()
        try:
            for i, text in enumerate(blocks):
                start = end + 2
                end = start + len(text)
                if text.startswith("\n"):  # an odd run of blank lines
                    stripped = text.lstrip("\n")
                    line += len(text) - len(stripped)
                    text = stripped
                n_lines = text.count("\n") + 1
                if text:
                    careful = False
                    if odd_at:
                        while k < len(odd_at) and odd_at[k] < start:
                            k += 1
                        careful = k < len(odd_at) and odd_at[k] < end
                    if i < last and not careful and not parser.words:
                        # The hot path: a whole sentence of two-column lines, checked in bulk.
                        plain = columns(text, n_lines, marks)
                        if plain is not None:
                            words, tags = plain
                            fast_tokens += n_lines
                            parser.saw_break = True
                            append(Sentence(tuple(words), tuple(check(words, tags, line)),
                                            line, f"{stem}:{line}"))
                            line += n_lines + 1
                            continue
                    docs = parser.block(text, line, n_lines, careful)
                    append = parser.sentences.append  # a -DOCSTART- in the block starts a new list
                    if docs:
                        done += docs
                line += n_lines + (1 if i < last else 0)
                if i < last:
                    parser.end_sentence()
        finally:
            parser.n_tokens += fast_tokens
            if gc_enabled:
                gc.enable()
        if parser.stream:
            done, parser.sentences = parser.sentences, []
        yield from done
    doc = parser.end_document()
    if parser.stream:
        yield from parser.sentences
        parser.sentences = []
    elif doc:
        yield doc
    parser.checker.finish()
    path, report = parser.path, parser.report
    if parser.n_tokens == 0 and not any(i.path == path and i.code in ("E100", "E101", "E103")
                                        for i in report.issues):
        report.issues.append(Issue(path, 0, "E102", "the file has no tokens; is it the right file?"))


def parse_conll(
    lines: Iterable[str],
    path: str = "<string>",
    *,
    schema: Schema | None = None,
    report: Report | None = None,
    infer_sentences: bool = True,
) -> Iterator[Document]:
    """Documents from CoNLL text given as chunks of whole lines (a list of lines works too).

    ``schema=None`` accepts any label. Issues and repairs go to ``report``.
    """
    report = report if report is not None else Report()
    yield from _parse(lines, _Parser(path, schema, report, infer_sentences))


def _looks_like_tag(field: str) -> bool:
    return field == "O" or (len(field) > 2 and field[1] == "-" and field[0] in "BIESLU")


def _read(path, schema, report, infer_sentences, stream: bool):
    report = report if report is not None else Report()
    path = str(path)
    text = open_text(path, report)
    if text is not None:
        parser = _Parser(path, schema, report, infer_sentences)
        parser.stream = stream
        with text:
            yield from _parse(chunks(text), parser)


def read_conll(path: str | Path, *, schema: Schema | None = None, report: Report | None = None,
               infer_sentences: bool = True) -> Iterator[Document]:
    """Stream the documents of a CoNLL file; problems go to ``report``, never raised.

    A file without ``-DOCSTART-`` is one document (held in memory; use
    ``iter_sentences`` for constant memory). A file that cannot be opened, a
    binary file and an empty file are reported (E100, E101, E102) and yield nothing.
    """
    return _read(path, schema, report, infer_sentences, stream=False)


def iter_sentences(path: str | Path, *, schema: Schema | None = None, report: Report | None = None,
                   infer_sentences: bool = True) -> Iterator[Sentence]:
    """Stream the sentences of a CoNLL file in constant memory (documents are not kept)."""
    return _read(path, schema, report, infer_sentences, stream=True)


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
