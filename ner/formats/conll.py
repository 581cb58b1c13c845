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

import codecs
import io
import re
from pathlib import Path
from typing import Iterable, Iterator

from ..check import Change, Issue, Report, TagChecker
from ..records import Document, Sentence
from ..schema import Schema
from ..text import lookalike_letters, repair_mojibake

CHUNK = 1 << 20
_FINAL = frozenset({".", "!", "?", "…", "?!", "!?", "...", "?.."})
_OPENERS = frozenset("«\"“„")
# Characters that need a careful look: control characters, odd spaces, undecodable bytes
# (surrogate escapes), mojibake lead characters, Latin next to Cyrillic.
_SUSPECT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x85\xa0\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff\udc80-\udcff]"
    "|[ÐÑ–—][^\\sа-яёА-ЯЁa-zA-Z0-9.,;:!?()«»\"'\\-–—]"
    "|[a-zA-Z][а-яёА-ЯЁ]|[а-яёА-ЯЁ][a-zA-Z]"
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u200b\u2028\u2029\ufeff]")
_ODD_SPACE = re.compile("[\xa0\u2000-\u200a\u202f\u205f\u3000]")
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def detect_encoding(sample: bytes) -> str | None:
    """The encoding of a file from its first bytes; None for a binary file.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are recognised exactly;
    otherwise cp1251 and koi8-r are told apart by how many decoded letters are
    lowercase (Russian text is mostly lowercase; the wrong code page swaps cases).
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        return None
    cut = sample.rfind(b"\n")
    head = sample if cut < 0 or len(sample) < CHUNK else sample[: cut + 1]
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 3 and len(head) == len(sample):
            return "utf-8"  # a character cut by the sample's end
    best, best_score = "cp1251", -1
    for encoding in ("cp1251", "koi8-r"):
        decoded = head.decode(encoding, errors="replace")
        score = sum(1 for c in decoded if "а" <= c <= "я" or c == "ё")
        if score > best_score:
            best, best_score = encoding, score
    return best


def _split(line: str) -> list[str]:
    """Columns of a line that needs care: with tabs, spaces inside a field belong to the token."""
    if "\t" in line:
        return [f.strip(" ") for f in line.split("\t") if f.strip(" ")]
    return [f for f in line.split(" ") if f]


class _Block:
    __slots__ = ("words", "tags", "line")

    def __init__(self):
        self.words: list[str] = []
        self.tags: list[str] = []
        self.line = 0


def _suspect_lines(chunk: str) -> set[int]:
    """Indices (within the chunk) of lines with characters that need a careful look."""
    found = set()
    pos = 0
    index = 0
    for m in _SUSPECT.finditer(chunk):
        index += chunk.count("\n", pos, m.start())
        pos = m.start()
        found.add(index)
    return found


def _careful(line: str, path: str, lineno: int, report: Report) -> list[str]:
    """Columns of a suspect line, with its warnings and repairs recorded."""
    issue = report.issues.append
    if _UNDECODABLE.search(line):
        issue(Issue(path, lineno, "E103", "bytes that are not valid in the file's encoding; "
                                          "re-save the file as UTF-8"))
        line = _UNDECODABLE.sub("\ufffd", line)
    fields = _split(line)
    if not fields:
        return fields
    word = fields[0]
    repaired = repair_mojibake(word)
    if repaired:
        issue(Issue(path, lineno, "W104", f"mojibake {word!r} is UTF-8 read as {repaired[1]}; "
                                          f"--fix turns it into {repaired[0]!r}"))
        report.changes.append(Change(path, lineno, word, repaired[0], f"mojibake ({repaired[1]})"))
        fields[0] = word = repaired[0]
    if _ODD_SPACE.search(word) or " " in word:
        issue(Issue(path, lineno, "W105", f"token {word!r} has whitespace inside; "
                                          "split it or join it if that was not meant"))
    if _CONTROL.search(word):
        issue(Issue(path, lineno, "W106", f"token {word!r} has control characters; remove them"))
    odd = lookalike_letters(word)
    if odd:
        issue(Issue(path, lineno, "W107", f"token {word!r} mixes Latin and Cyrillic letters that look "
                                          f"alike ({odd!r}); retype it in one script"))
    return fields


def _infer_breaks(block: _Block) -> list[int]:
    """Token indices after which a sentence ends: final punctuation, then a capital or an opening quote."""
    words, tags = block.words, block.tags
    cuts = []
    for i in range(len(words) - 1):
        if words[i] in _FINAL and tags[i] == "O":
            nxt = words[i + 1]
            if nxt[:1].isupper() or nxt[:1] in _OPENERS:
                cuts.append(i + 1)
    return cuts


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
    checker = TagChecker(path, schema, report)
    stem = Path(path).stem
    sentences: list[Sentence] = []
    docstart = False
    doc_index = 0
    saw_break = False
    n_tokens = 0
    block = _Block()
    lineno = 0

    def flush(at_doc_end: bool) -> None:
        nonlocal block, n_tokens
        if not block.words:
            return
        cuts = []
        if infer_sentences and at_doc_end and not saw_break:
            cuts = _infer_breaks(block)
            if cuts:
                last = block.line + len(block.words) - 1
                report.issues.append(Issue(
                    path, block.line, "W101",
                    f"no blank lines between sentences in lines {block.line}-{last}; "
                    f"{len(cuts)} sentence break(s) inferred at sentence-final punctuation "
                    f"(--fix writes them as blank lines)"))
                for cut in cuts:
                    report.changes.append(Change(path, block.line + cut, "", "<blank line>",
                                                 "sentence break inferred"))
        tags = checker.check(block.words, block.tags, block.line)
        bounds = [0, *cuts, len(block.words)]
        for a, b in zip(bounds, bounds[1:]):
            line = block.line + a
            sentences.append(Sentence(tuple(block.words[a:b]), tuple(tags[a:b]), line, f"{stem}:{line}"))
        n_tokens += len(block.words)
        block = _Block()

    def document() -> Document | None:
        nonlocal sentences, doc_index
        if not sentences:
            return None
        doc_index += 1
        doc_id = f"{stem}-{doc_index}" if docstart else stem
        doc = Document(doc_id, tuple(sentences), path, {"docstart": docstart})
        sentences = []
        return doc

    for chunk in lines:
        suspects = _suspect_lines(chunk) if chunk else ()
        body = chunk[:-1] if chunk.endswith("\n") else chunk
        for index, raw in enumerate(body.split("\n")):
            lineno += 1
            if suspects and index in suspects:
                fields = _careful(raw, path, lineno, report)
            else:
                fields = raw.split()
            if not fields:
                if block.words:
                    saw_break = True
                flush(False)
                continue
            word = fields[0]
            if word == "-DOCSTART-":
                flush(True)
                doc = document()
                if doc:
                    yield doc
                docstart = True
                saw_break = False
                continue
            if word[0] == "#" and (len(fields) == 1 or not _looks_like_tag(fields[-1])):
                flush(False)  # a comment stands before a sentence, as in CoNLL-U
                continue
            if not block.words:
                block.line = lineno
            n = len(fields)
            if n == 2:
                block.words.append(word)
                block.tags.append(fields[1])
            elif n == 1:
                block.words.append(word)
                block.tags.append("")
            else:
                if n > 4:
                    report.issues.append(Issue(path, lineno, "W109",
                                               f"{n} columns; the last one, {fields[-1]!r}, is taken as the tag"))
                block.words.append(word)
                block.tags.append(fields[-1])
    flush(True)
    doc = document()
    if doc:
        yield doc
    checker.finish()
    if n_tokens == 0 and not any(i.path == path and i.code in ("E100", "E101", "E103") for i in report.issues):
        report.issues.append(Issue(path, 0, "E102", "the file has no tokens; is it the right file?"))


def _looks_like_tag(field: str) -> bool:
    return field == "O" or (len(field) > 2 and field[1] == "-" and field[0] in "BIESLU")


def _chunks(stream: io.TextIOBase) -> Iterator[str]:
    """Chunks of whole lines from a text stream."""
    rest = ""
    while True:
        data = stream.read(CHUNK)
        if not data:
            break
        data = rest + data
        cut = data.rfind("\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1 :]
        yield data[: cut + 1]
    if rest:
        yield rest


def read_conll(
    path: str | Path,
    *,
    schema: Schema | None = None,
    report: Report | None = None,
    infer_sentences: bool = True,
) -> Iterator[Document]:
    """Stream the documents of a CoNLL file; problems go to ``report``, never raised.

    A file that cannot be opened, a binary file and an empty file are reported
    (E100, E101, E102) and yield nothing.

    >>> report = Report()
    >>> docs = list(read_conll("corpora/ml_ru_seed.conll", report=report))  # doctest: +SKIP
    """
    report = report if report is not None else Report()
    path = str(path)
    try:
        f = open(path, "rb")
    except OSError as e:
        report.issues.append(Issue(path, 0, "E100", f"cannot read the file ({e.strerror}); check the path"))
        return
    with f:
        sample = f.read(CHUNK)
        if not sample:
            report.issues.append(Issue(path, 0, "E102", "the file is empty"))
            return
        encoding = detect_encoding(sample)
        if encoding is None:
            report.issues.append(Issue(path, 0, "E101", "binary file (NUL bytes), not CoNLL text; "
                                                        "pass the .conll file itself"))
            return
        report.encodings[path] = encoding
        if encoding not in ("utf-8", "utf-8-sig"):
            report.issues.append(Issue(path, 0, "W103", f"the file is in {encoding}, not UTF-8; read as "
                                                        f"{encoding} (--fix writes UTF-8)"))
        f.seek(0)
        stream = io.TextIOWrapper(f, encoding=encoding, errors="surrogateescape", newline=None)
        yield from parse_conll(_chunks(stream), path, schema=schema, report=report,
                               infer_sentences=infer_sentences)


def read_corpus(paths, *, schema: Schema | None = None, report: Report | None = None) -> list[Document]:
    """All documents of several files, in memory (for splits, training and Label Studio)."""
    return [doc for path in paths for doc in read_conll(path, schema=schema, report=report)]


def format_conll(documents: Iterable[Document], docstart: bool | None = None) -> Iterator[str]:
    """CoNLL lines (with newlines): ``word<TAB>tag``, a blank line after each sentence.

    ``-DOCSTART-`` opens each document when ``docstart`` is true, or, by default,
    when the document was read from a file that had it.
    """
    for doc in documents:
        if docstart or (docstart is None and doc.meta.get("docstart")):
            yield "-DOCSTART-\tO\n\n"
        for sentence in doc.sentences:
            yield "".join(f"{w}\t{t}\n" if t else f"{w}\n" for w, t in zip(sentence.words, sentence.tags))
            yield "\n"


def write_conll(documents: Iterable[Document], path: str | Path, docstart: bool | None = None) -> int:
    """Write documents as UTF-8 CoNLL; returns the number of sentences written."""
    count = 0
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in format_conll(documents, docstart):
            if line == "\n":
                count += 1
            f.write(line)
    return count


def parse_conll_string(text: str, **kwargs) -> list[Document]:
    """Documents from CoNLL text in a string (tests, notebooks)."""
    return list(parse_conll([text], **kwargs))


__all__ = ["read_conll", "read_corpus", "parse_conll", "parse_conll_string", "format_conll",
           "write_conll", "detect_encoding"]
