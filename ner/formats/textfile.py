"""Text files of unknown encoding, read in chunks.

``detect_encoding`` tells UTF-8 (with or without BOM), UTF-16 (BOM), cp1251
and koi8-r apart from a file's first bytes, and refuses binary files;
``open_text`` opens a file so (reporting E100-E102 and W103); ``chunks``
hands out its text about a megabyte at a time. Undecodable bytes become
surrogate escapes, which the readers report per line (E103).

Left out: other Cyrillic code pages (cp866, mac_cyrillic).
"""

from __future__ import annotations

import codecs
import io
from typing import Iterator

from ..check import Issue, Report

CHUNK = 1 << 20


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


def chunks(stream: io.TextIOBase, size: int = CHUNK) -> Iterator[str]:
    """The stream's text, ``size`` characters at a time (the last piece may be shorter).

    Pieces end anywhere, inside a line too: the reader that takes them carries
    a cut line over to the next piece.
    """
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, not {size}")
    while True:
        data = stream.read(size)
        if not data:
            return
        yield data


def open_text(path: str, report: Report) -> io.TextIOBase | None:
    """The file as text in its detected encoding; None (and an issue) when it cannot be read."""
    try:
        f = open(path, "rb")
    except OSError as e:
        report.issues.append(Issue(path, 0, "E100", f"cannot read the file ({e.strerror}); check the path"))
        return None
    sample = f.read(CHUNK)
    if not sample:
        f.close()
        report.issues.append(Issue(path, 0, "E102", "the file is empty"))
        return None
    encoding = detect_encoding(sample)
    if encoding is None:
        f.close()
        report.issues.append(Issue(path, 0, "E101", "binary file (NUL bytes), not CoNLL text; "
                                                    "pass the .conll file itself"))
        return None
    report.encodings[path] = encoding
    if encoding not in ("utf-8", "utf-8-sig"):
        report.issues.append(Issue(path, 0, "W103", f"the file is in {encoding}, not UTF-8; read as "
                                                    f"{encoding} (--fix writes UTF-8)"))
    f.seek(0)
    return io.TextIOWrapper(f, encoding=encoding, errors="surrogateescape", newline=None)
