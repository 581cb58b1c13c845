"""The critic's output: a ranked table, JSON lines (one suspect each, best first), an HTML page, quality lines.

All functions return strings (``fold_reading`` the counts its line is made of); the command writes them.
Left out: colours in the terminal.
"""

from __future__ import annotations

import html
import json
import unicodedata
from typing import Sequence

# Under this strict F1 out of fold, the fold models miss most of the corpus's entities, so what the critic reads
# from them (their disagreements with the annotation) is mostly their own ignorance. On the team's written corpus,
# its first 91 sentences gave 0.10, its first 271 0.69 and all 4,409 0.85 (``ner critic``'s fold settings).
WEAK_READING = 0.5

WHAT = {"spurious": "not an entity?", "missing": "entity not annotated?", "type": "another type?",
        "boundary": "boundary off?", "token": "odd token"}


OPEN, CLOSE = "⟦", "⟧"   # the span in a sentence: brackets of its own (a transcript's "[ смех ]" is text)


def _printable(text: str) -> str:
    """Every blank, control and format character (a carriage return, an escape, a bidi mark) as one space: a
    table cell on one line that moves no cursor (same length: the window's offsets hold)."""
    return "".join(" " if c.isspace() or unicodedata.category(c) in ("Cc", "Cf") else c for c in text)


def _marked(words, start: int, end: int, fix=None, width: int = 90, sentence=None) -> str:
    """The sentence with its span in brackets, cut to ``width`` around it; a ``sentence`` with a text of its own (a
    project's) as the text has it ('A100', not 'A 100'), on one line (blanks and control characters as spaces)."""
    if sentence is None or sentence.offsets is None:
        text = " ".join((OPEN if t == start else "") + w + (CLOSE if t == end - 1 else "")
                        for t, w in enumerate(words))
        at = sum(len(w) + 1 for w in words[:start])
    else:
        n = len(sentence)
        left = sentence.written(0, start) + (" " if start and sentence.spaced(start - 1) else "")
        right = (" " if end < n and sentence.spaced(end - 1) else "") + sentence.written(end, n)
        text, at = _printable(left + OPEN + sentence.written(start, end) + CLOSE + right), len(left)
    if len(text) <= width:
        return text
    lo = max(0, at - width // 3)   # where the span opens
    return ("…" if lo else "") + text[lo : lo + width] + ("…" if lo + width < len(text) else "")


def change(s, sentence=None) -> str:
    """What the suspect suggests, in words: ``PER -> O``, ``ORG -> LOC``, ``+ PER``, ``word -> fixed``, and a
    boundary's span as suggested (given its ``sentence``, as written): ``PER -> «Иван Петров»``."""
    if s.kind == "token":
        return f"-> {s.suggested}"
    if s.kind == "missing":
        return f"+ {s.suggested}"
    if s.kind == "boundary" and s.fix and sentence is not None:
        return f"{s.label} -> «{sentence.written(s.fix[0], s.fix[1])}»"
    return f"{s.label} -> {s.suggested}"


def where(record: dict) -> str:
    """Where a suspect is (its ``record``): ``x.conll:89-95``, or a project's ``task 12, anna@team.ru``."""
    if "task" in record:
        return f"task {record['task']}" + (f", {record['annotator']}" if record.get("annotator") else "")
    last = f"-{record['last_line']}" if record["last_line"] != record["first_line"] else ""
    return f"{record['file']}:{record['first_line']}{last}"


def format_table(items, suspects: Sequence, width: int = 90) -> str:
    rows = [("#", "where", "score", "kind", "span", "suggested", "sentence")]
    for n, s in enumerate(suspects, 1):
        r = s.record(items)
        sentence = items[s.item].sentence
        rows.append((str(n), where(r), f"{s.score:.3f}", s.kind, _printable(r["span"]), _printable(change(s, sentence)),
                     _marked(sentence.words, s.start, s.end, width=width, sentence=sentence)))
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1] for row in rows)


def fold_reading(items, probs, labels, config=None) -> dict:
    """How well the fold models read the corpus out of fold: its entities (``gold``), theirs (``read``), those
    both have exactly (``exact``), the strict F1 of the two, and ``light``: the settings (a ``FoldConfig``) that
    trained them below ``ner critic``'s defaults, as "--folds 2 --epochs 2" ("" when not)."""
    from .folds import FoldConfig

    default = FoldConfig()
    light = " ".join(f"--{k} {getattr(config, k)}" for k in ("folds", "epochs", "hidden")
                     if config is not None and getattr(config, k) < getattr(default, k))
    return {**_reading(items, probs, labels), "light": light}


def _reading(items, probs, labels) -> dict:
    from ...bio import tags_spans
    from .folds import tag_names
    from .signals import model_spans, trim_edges

    names, gold, read, exact = tag_names(labels), 0, 0, 0
    for it, p in zip(items, probs):
        words = it.sentence.words
        mine, theirs = tags_spans(it.sentence.tags), set(model_spans(p, names, words))
        trimmed = {trim_edges(words, *s) or s for s in mine}   # edges cut as the models' are: a quote is not a miss
        gold, read, exact = gold + len(mine), read + len(theirs), exact + len(trimmed & theirs)
    return {"gold": gold, "read": read, "exact": exact, "f1": 2 * exact / (gold + read) if gold + read else 0.0}


def reading_line(r: dict, warn: bool = False) -> str:
    """``fold_reading`` in words; ``warn``: under ``WEAK_READING``, a warning that the scores rest on little."""
    line = (f"the fold models read {r['exact']} of the corpus's {r['gold']} entities exactly, out of fold "
            f"(strict F1 {r['f1']:.2f})")
    if r["f1"] >= WEAK_READING or not warn:
        return line
    more = "the critic wants a few hundred annotated sentences (the team's corpus read at 0.10 from 91, 0.69 from 271)"
    if r.get("light"):
        from .folds import FoldConfig

        d = FoldConfig()
        more = (f"these trained with {r['light']}, less than ner critic's defaults (--folds {d.folds} --epochs "
                f"{d.epochs} --hidden {d.hidden}), with which " + more)
    return (f"warning: {line}: under {WEAK_READING} they miss or misread most entities, so the suspects and shares "
            "here rest on little evidence; " + more)


def format_jsonl(items, suspects: Sequence) -> str:
    return "".join(json.dumps(s.record(items), ensure_ascii=False) + "\n" for s in suspects)


def format_quality(groups: dict, reading: dict | None = None) -> str:
    """One line per group: ``92.7% of 1769 sentences without a suspected error (... expect 95.1% clean)``, and
    a last line saying that the expectation is a ceiling: it counts the errors the critic can see. Readers put
    7.5% of the team's written corpus wrong (a stratified random sample) where it expected 2.8%, the rest
    nearly all entities that neither the annotators nor its model read (``bench/critic_error_rate.py``)."""
    lines = []
    for name, g in groups.items():
        lines.append(f"{name}: {g['clean']:.1%} of {g['sentences']} sentences without a suspected error "
                     f"({g['flagged']} flagged; the critic's probabilities expect {g['expected_clean']:.1%} clean)")
    if lines:
        at = next(iter(groups.values())).get("threshold")
        lines.append("(" + (f"flagged: a suspect scored {at:g} or more, --threshold; " if at is not None else "") +
                     "expected clean at most: an entity its model misses too is no suspect; how many sentences "
                     "really hold an error takes people reading a sample: --audit N)")
    if reading is not None and reading["f1"] < WEAK_READING:
        lines.append(reading_line(reading, warn=True))
    return "\n".join(lines)


def format_html(items, suspects: Sequence, groups: dict | None = None, reading: dict | None = None) -> str:
    rows = []
    for n, s in enumerate(suspects, 1):
        r = s.record(items)
        sentence = items[s.item].sentence
        words = sentence.words
        cells = []
        for t, w in enumerate(words):
            cls = []
            if s.start <= t < s.end:
                cls.append("span")
            if s.fix and s.fix[0] <= t < s.fix[1]:
                cls.append("fix")
            esc = html.escape(w)
            cells.append(f'<span class="{" ".join(cls)}">{esc}</span>' if cls else esc)
            if t + 1 < len(words) and sentence.spaced(t):   # as written: no blank in the text, no space
                cells.append(" ")
        rows.append(f"<tr><td>{n}</td><td>{html.escape(where(r))}</td><td>{s.score:.3f}</td>"
                    f"<td>{html.escape(s.kind)}</td><td>{html.escape(change(s, sentence))}</td>"
                    f"<td>{''.join(cells)}</td></tr>")
    quality = ""
    if groups:
        lines = format_quality(groups, reading).split("\n")
        quality = "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
    return ("<!doctype html><html><head><meta charset='utf-8'><title>ner critic</title><style>"
            "body{font-family:sans-serif}td{padding:2px 8px;vertical-align:top}"
            ".span{background:#fdd;border-bottom:2px solid #c00}.fix{outline:2px dashed #080}"
            "</style></head><body><h1>Suspected annotation errors</h1>" + quality +
            "<p>red: the span as annotated; dashed green: the suggested span</p><table>"
            "<tr><th>#</th><th>where</th><th>score</th><th>kind</th><th>suggested</th><th>sentence</th></tr>"
            + "".join(rows) + "</table></body></html>\n")
