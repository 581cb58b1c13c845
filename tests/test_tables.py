"""Markdown tables (ner/tables.py) and what the model reads of them (markup.pieces): a cell is a piece of its
own, after its column's header; a cell separator is never inside a piece."""

from __future__ import annotations

import pytest

from ner.markup import pieces
from ner.tables import cells, is_row

TABLE = ("| Модель | **Метод** | Данные |\n"
         "|:---|---:|---|\n"
         "| **Qwen2.5-7B-Instruct** | LoRA (r=16) | ru_alpaca |\n"
         "| GigaChat Lite | `a|b` | MERA 0.51 |\n")


def test_cells_have_offsets_rows_columns_and_headers():
    got = [(TABLE[c.start:c.end].strip(), c.row, c.column, c.header) for c in cells(TABLE)]
    assert got == [("Модель", 0, 0, ""), ("**Метод**", 0, 1, ""), ("Данные", 0, 2, ""),
                   ("**Qwen2.5-7B-Instruct**", 2, 0, "Модель"), ("LoRA (r=16)", 2, 1, "**Метод**"),
                   ("ru_alpaca", 2, 2, "Данные"),
                   ("GigaChat Lite", 3, 0, "Модель"), ("`a|b`", 3, 1, "**Метод**"), ("MERA 0.51", 3, 2, "Данные")]
    assert all(TABLE[c.line:c.start].lstrip().startswith("|") for c in cells(TABLE))


@pytest.mark.parametrize("line, row", [
    ("| a | b |", True), ("  | a | b", True), ("|---|---|", True), ("a | b", False), ("| a", False),
    ("| `a|b`", False), (r"| a \| b", False), ("", False), ("> | a | b |", False),
])
def test_is_row(line, row):
    assert is_row(line) is row


def test_a_row_without_header_gives_one_piece_per_cell_and_no_pipe():
    row = "| **Qwen2.5-7B-Instruct** | LoRA (r=16) | ru_alpaca | MERA 0.51 |"
    got = [[w for _, _, w in p] for p in pieces(row)]
    assert got == [["Qwen", "2.5-7", "B-Instruct"], ["LoRA", "(", "r", "=", "16", ")"], ["ru_alpaca"], ["MERA", "0.51"]]
    assert all(row[s:e] == w for p in pieces(row) for s, e, w in p)


def test_a_cell_under_a_header_is_read_after_the_header_and_a_colon():
    got = pieces(TABLE)
    qwen = [p for p in got if any(w == "Qwen" for _, _, w in p)]
    assert [(s, w) for s, _, w in qwen[0]][:3] == [(-1, "Модель"), (-1, ":"), (TABLE.index("Qwen"), "Qwen")]
    assert [w for _, _, w in got[0]] == ["Модель"]  # the header row itself has no header
    assert [[w for _, _, w in p] for p in pieces(TABLE, headers=False)][3:5] == [["Qwen", "2.5-7", "B-Instruct"],
                                                                                ["LoRA", "(", "r", "=", "16", ")"]]
