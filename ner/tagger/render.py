"""Tagged texts as JSONL, CoNLL or a displaCy-style HTML page (strings only, no I/O).

``format_jsonl`` writes one JSON object per text: ``{"line", "text", "score",
"entities": [{"start", "end", "label", "text", "score"}]}`` with offsets into
``text`` (code points, as Python slices). ``format_tagged_conll`` writes
``word<TAB>tag`` lines, one blank line after each sentence. The HTML page marks
entities with the schema's colours; ``html_head``/``format_html``/``html_tail``
are separate so a page of any length can be streamed.

Left out: reading these formats back (``formats/conll.py`` reads CoNLL).
"""

from __future__ import annotations

import json
from html import escape

_FALLBACK_COLOR = "#ddd"


def format_jsonl(tagged, line: int | None = None) -> str:
    """One JSON line (with its newline) for a ``TaggedText``.

    >>> from ner.tagger import Entity, TaggedText
    >>> format_jsonl(TaggedText("Сбер", (Entity(0, 4, "Organization", "Сбер", 0.91),), 0.91), line=3)
    '{"line": 3, "text": "Сбер", "score": 0.91, "entities": [{"start": 0, "end": 4, "label": "Organization", "text": "Сбер", "score": 0.91}]}\\n'
    """
    record = {} if line is None else {"line": line}
    record["text"] = tagged.text
    record["score"] = round(tagged.score, 4)
    record["entities"] = [e.as_dict() for e in tagged.entities]
    return json.dumps(record, ensure_ascii=False) + "\n"


def format_tagged_conll(tagged) -> str:
    """``word<TAB>tag`` lines of a ``TaggedText``, a blank line after each sentence."""
    parts = []
    for first, end in tagged.sentences:
        for token, tag in zip(tagged.tokens[first:end], tagged.tags[first:end]):
            parts.append(f"{token.text}\t{tag}\n")
        parts.append("\n")
    return "".join(parts)


def html_head(title: str = "ner tag") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>"
        "body{font-family:-apple-system,'Segoe UI',sans-serif;max-width:60em;margin:2em auto;line-height:2.4}"
        ".text{border-bottom:1px solid #eee;padding:1em 0;white-space:pre-wrap}"
        "mark{padding:.25em .4em;margin:0 .1em;border-radius:.35em;line-height:1}"
        "mark span{font-size:.7em;font-weight:bold;margin-left:.4em;text-transform:uppercase;opacity:.8}"
        ".score{color:#999;font-size:.75em}"
        "</style></head><body>\n"
    )


def format_html(tagged, colors: dict[str, str], line: int | None = None) -> str:
    """One ``<div>`` with the entities of a ``TaggedText`` marked in their label's colour."""
    parts = []
    pos = 0
    for e in tagged.entities:
        parts.append(escape(tagged.text[pos:e.start]))
        color = colors.get(e.label, _FALLBACK_COLOR)
        parts.append(f'<mark style="background:{color}40;border:1px solid {color}" '
                     f'title="{escape(e.label)} {e.score:.2f}">{escape(e.text)}<span>{escape(e.label)}</span></mark>')
        pos = e.end
    parts.append(escape(tagged.text[pos:]))
    where = f"line {line}, " if line is not None else ""
    return (f'<div class="text">{"".join(parts)}<div class="score">{where}'
            f"lowest confidence {tagged.score:.2f}</div></div>\n")


def html_tail() -> str:
    return "</body></html>\n"
