"""The CoNLL reader's state machine: text goes in by pieces cut anywhere, documents or sentences come out.

``_Parser.feed(piece)`` takes text cut anywhere (inside a line, between CR and LF),
``close()`` ends it. The open sentence, the line number, the open document and a
line a piece cut in two live in the parser, so where pieces end cannot matter.
Per line: ``str.split()``, or ``lines.careful_columns`` for a line with odd
characters or tabs beside spaces; each distinct word is checked once; tags are
checked a sentence at a time (``check.TagChecker``). ``conll.py`` holds the API.

Left out: file handling and encodings (``textfile.py``), writing (``conll.py``).
"""

from __future__ import annotations

import gc
from pathlib import Path

from ..check import Change, Issue, TagChecker
from ..records import Document, Sentence
from .lines import LINE_ODD, careful_columns, word_needs_care

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
