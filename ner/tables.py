"""Markdown tables: which lines are table rows, where their cells are, and each column's header.

A cell is a context of its own: the tagger reads each cell as a separate piece (``markup.pieces``),
so a cell separator and the markup around a cell never end up inside an entity, and two neighbouring
cells never merge into one name ("Hugging Face | Zephyr"). ``cells(text)`` gives every cell's
character range in ``text``, its row and its column; ``headers`` the header cell of each column of a
table whose header row is followed by a rule row (``|---|:---:|``).

A row is a line that starts with ``|`` (after blanks, quote or list markers are not allowed before it)
and has at least one more ``|``; a pipe inside a code span (`` `a|b` ``) or escaped (``\\|``) does not
separate cells. Lines without a leading pipe are read as prose, as GitHub does with a table that has
no rule row under its first line.

Left out: tables written without leading pipes (``a | b`` over ``--|--``), HTML tables, grid tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROW = re.compile(r"^[ \t]*\|")
_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_CODE = re.compile(r"(`+).+?\1")


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: ``text[start:end]`` (between its pipes), its ``row`` (0: the table's first line)
    and ``column`` (0: the first cell); ``line``: where its line starts in the text; ``header``: its
    column's header cell text, '' when none."""

    start: int
    end: int
    row: int
    column: int
    line: int
    header: str = ""


def is_row(line: str) -> bool:
    """Whether a line is a markdown table row (a leading pipe and at least two in all, outside code).

    >>> is_row("| GigaChat Lite | full fine-tuning |"), is_row("a | b"), is_row("|---|---|")
    (True, False, True)
    """
    return bool(_ROW.match(line)) and len(_pipes(line)) >= 2


def _pipes(line: str) -> list[int]:
    code = [(m.start(), m.end()) for m in _CODE.finditer(line)]
    return [i for i, c in enumerate(line) if c == "|" and (i == 0 or line[i - 1] != "\\")
            and not any(a <= i < b for a, b in code)]


def cells(text: str) -> list[Cell]:
    """Every cell of every table row of ``text``, in order, with offsets into ``text``; rule rows have none.

    >>> [(text[c.start:c.end].strip(), c.header) for text in ["| Модель | Данные |\\n|---|---|\\n| GigaChat | ru_alpaca |"]
    ...  for c in cells(text)]
    [('Модель', ''), ('Данные', ''), ('GigaChat', 'Модель'), ('ru_alpaca', 'Данные')]
    """
    out: list[Cell] = []
    header: list[str] = []
    row = 0
    pos = 0
    lines = text.splitlines(keepends=True)
    for k, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if not is_row(body):
            row, header = 0, []
            pos += len(line)
            continue
        if _RULE.match(body):
            row += 1
            pos += len(line)
            continue
        pipes = _pipes(body)
        bounds = list(zip(pipes, pipes[1:])) + ([(pipes[-1], len(body))] if body[pipes[-1] + 1:].strip() else [])
        row_cells = [Cell(pos + a + 1, pos + b, row, c, pos, header[c] if c < len(header) else "")
                     for c, (a, b) in enumerate(bounds)]
        if row == 0 and k + 1 < len(lines) and _RULE.match(lines[k + 1].rstrip("\r\n")):
            header = [body[a + 1:b].strip() for a, b in bounds]
        out.extend(row_cells)
        row += 1
        pos += len(line)
    return out


def row_cells(words) -> list[tuple[int, int]] | None:
    """The word ranges of the cells of a table row given as tokens (``|`` tokens between cells), or None
    when the words are not a row (a first ``|`` and at least two in all). Empty cells are left out.

    >>> row_cells(["|", "Stanford", "NLP", "|", "Stanza", "|"])
    [(1, 3), (4, 5)]
    """
    if not words or words[0] != "|" or sum(w == "|" for w in words) < 2:
        return None
    pipes = [i for i, w in enumerate(words) if w == "|"] + [len(words)]
    return [(a + 1, b) for a, b in zip(pipes, pipes[1:]) if b > a + 1]
