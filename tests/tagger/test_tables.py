"""A markdown table and the same cells written as plain lines give the same entities (the trained seed model):
a cell is read on its own, after its column's header, so nothing crosses a cell separator."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_WORDS = ["ChatGPT", "Alpaca", "Яндекс", "YaLM", "100B", "GitHub", "Copilot", "Amazon", "CodeWhisperer", "LLama", "2",
          "датасет", "модель", "обучение", "задачи", "в", "2019", "году", "на", "от", "и"]
_CELL = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4).map(" ".join)
_MARK = st.sampled_from(["", "**", "*"])  # a code span of several words is blanked: not here


def _cell_entities(text, spans, entities, clip=False):
    """(cell number, start, end, label) of each entity, offsets relative to the cell's content; ``clip``: an
    entity on a plain line is cut to the cell's part (what is before it stands for the header)."""
    out = []
    for e in entities:
        if clip:
            line = [(a, b) for a, b in spans if text.rfind("\n", 0, a) == text.rfind("\n", 0, e.start)][0]
            if e.end <= line[0]:
                continue
            e = e.__class__(max(e.start, line[0]), e.end, e.label, text[max(e.start, line[0]):e.end], e.score)
        inside = [k for k, (a, b) in enumerate(spans) if a <= e.start and e.end <= b]
        assert inside, f"entity {e.text!r} crosses a cell boundary in {text!r}"
        a = spans[inside[0]][0]
        out.append((inside[0], e.start - a, e.end - a, e.label))
    return sorted(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.booleans(), rows=st.lists(st.lists(st.tuples(_MARK, _CELL), min_size=2, max_size=3), min_size=1,
                                             max_size=3))
def test_a_table_and_its_cells_as_plain_lines_give_the_same_entities(tagger, header, rows):
    width = min(len(r) for r in rows)
    rows = [r[:width] for r in rows]
    heads = ["Модель", "Данные", "Компания"][:width] if header else None
    table, table_spans, plain, plain_spans = [], [], [], []
    pos = 0
    if heads:
        line = "| " + " | ".join(heads) + " |"
        table.append(line)
        table_spans += [(line.index(h), line.index(h) + len(h)) for h in heads]
        table.append("|" + "---|" * width)
        pos = len(line) + 1 + len(table[-1]) + 1
    for row in rows:
        line = "|"
        for mark, cell in row:
            line += " " + mark
            table_spans.append((pos + len(line), pos + len(line) + len(cell)))
            line += cell + mark + " |"
        table.append(line)
        pos += len(line) + 1
    pos = 0
    for k, (_, cell) in enumerate([("", h) for h in heads or []] + [c for row in rows for c in row]):
        prefix = f"{heads[(k - width) % width]}: " if heads and k >= width else ""
        plain.append(prefix + cell)
        plain_spans.append((pos + len(prefix), pos + len(prefix) + len(cell)))
        pos += len(plain[-1]) + 1
    table_text, plain_text = "\n".join(table), "\n".join(plain)
    got = _cell_entities(table_text, table_spans, tagger.tag(table_text))
    want = _cell_entities(plain_text, plain_spans, tagger.tag(plain_text), clip=True)
    assert got == want


def test_neighbouring_cells_never_make_one_entity(tagger):
    text = "| ChatGPT | YaLM |"  # one entity 'ChatGPT | YaLM' before cells were read apart
    assert [e.text for e in tagger.tag(text)] == ["ChatGPT", "YaLM"]
