"""Lines of token files that need a careful look, and the words that send a line there.

Most lines split on whitespace in one C call; a line with control characters,
odd spaces or undecodable bytes, or a word that looks like mojibake or mixes
Latin and Cyrillic look-alikes, goes through ``careful_columns``, which records
its warnings (W104-W107, E103) and repairs (mojibake) in the report.

Left out: the tag checks (``check.py``).
"""

from __future__ import annotations

import re

from ..check import Change, Issue, Report
from ..text import CYRILLIC, LATIN, lookalike_letters, repair_mojibake

# Characters that change how a line splits or reads: control characters, odd spaces,
# undecodable bytes (surrogate escapes). Blocks with them take the careful path.
LINE_ODD = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff\udc80-\udcff]"
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u200b\u2028\u2029\ufeff]")
_ODD_SPACE = re.compile("[\xa0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def split_columns(line: str) -> list[str]:
    """Columns of a line that needs care: with tabs, spaces inside a field belong to the token."""
    if "\t" in line:
        return [f.strip(" ") for f in line.split("\t") if f.strip(" ")]
    return [f for f in line.split(" ") if f]


def careful_columns(line: str, path: str, lineno: int, report: Report) -> list[str]:
    """Columns of a line that needs care, with its warnings and repairs recorded."""
    issue = report.issues.append
    if _UNDECODABLE.search(line):
        issue(Issue(path, lineno, "E103", "bytes that are not valid in the file's encoding; "
                                          "re-save the file as UTF-8"))
        line = _UNDECODABLE.sub("\ufffd", line)
    fields = split_columns(line)
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


def word_needs_care(word: str) -> bool:
    """A word the careful path must look at (checked once per distinct word).

    Cheap tests first: an ASCII word can only hold control characters; a word with
    Cyrillic letters cannot be mojibake and needs Latin letters to mix look-alikes.
    """
    if _CONTROL.search(word) or _UNDECODABLE.search(word):
        return True
    if word.isascii():
        return False
    if CYRILLIC.search(word):
        return LATIN.search(word) is not None and lookalike_letters(word) is not None
    return repair_mojibake(word) is not None
