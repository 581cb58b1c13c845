"""An LLM's answer placed on the text: parsed leniently, each mention found at exact offsets.

LLMs cannot count characters, so answers carry only ``{"text", "label"}`` and every mention is
looked up in the text. ``parse_answer`` takes the answer however it comes: bare JSON, fenced
in a markdown block, wrapped in prose, or cut off (the complete entities before the cut are
kept; ``{"Model": ["BERT"]}``, mentions grouped by label, is read too). ``place_entities`` then
finds each mention:

- exactly, then ignoring case and ё/е, and only at word boundaries (no letter or digit
  touching either end); the case-blind occurrences come after the exact ones, also when those are taken;
- longer mentions first, so that "Hugging Face Transformers" is placed before "Hugging Face";
- a mention listed k times takes its first k free occurrences in text order; an occurrence
  beyond the k-th stays untagged (the prompt asks for one entry per occurrence);
- a match that cuts a token is widened to whole tokens ("BERT" in "BERT-а"), and counted; an occurrence
  that is whole tokens already is taken before one that would have to be widened (an exact one still
  before a case-blind one).

What is never placed goes to ``unplaced`` with its reason (``REASONS``): a mention not in the
text, one whose every occurrence overlaps a placed mention, one listed more often than it
occurs, a label outside the schema (a case slip such as "model" maps to "Model"), an entry
without a text and a label.

Left out: fuzzy matching of misspelt mentions (they are reported, not guessed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

NOT_IN_TEXT = "not in the text"
OVERLAPS = "overlaps a placed mention"
LISTED_TOO_OFTEN = "listed more often than it occurs"
FOREIGN_LABEL = "label outside the schema"
MALFORMED = "entry without text and label"
REASONS = (NOT_IN_TEXT, OVERLAPS, LISTED_TOO_OFTEN, FOREIGN_LABEL, MALFORMED)

_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)(?:```|$)", re.S)
_OPENING = re.compile(r"[\[{]")


class AnswerError(ValueError):
    """The answer holds no JSON this module can read (the text gets an error, not spans)."""


@dataclass(frozen=True, slots=True)
class Unplaced:
    text: str
    label: str
    reason: str

    def as_dict(self) -> dict:
        return {"text": self.text, "label": self.label, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Placement:
    spans: tuple[tuple[int, int, str], ...]   # (start, end, label) in text order
    unplaced: tuple[Unplaced, ...]
    widened: int = 0                           # matches widened to whole tokens
    truncated: bool = False                    # the answer was cut off; entities before the cut kept


def _salvage(body: str) -> list:
    """The complete ``{...}`` objects of a cut-off list (``body`` starts before its ``[``)."""
    decoder, out, pos = json.JSONDecoder(), [], body.find("[") + 1
    while True:
        while pos < len(body) and body[pos] in " \t\r\n,":
            pos += 1
        try:
            value, pos = decoder.raw_decode(body, pos)
        except json.JSONDecodeError:
            return out
        out.append(value)


def _entities(value):
    """The entity list of a decoded answer, or None when it has none: ``{"entities": [...]}``, a bare
    list of objects, or ``{"Model": ["BERT", ...], ...}`` (mentions grouped by label)."""
    if isinstance(value, dict) and isinstance(value.get("entities"), list):
        return value["entities"]
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    if isinstance(value, dict) and value and all(isinstance(v, list) and all(isinstance(m, str) for m in v)
                                                 for v in value.values()):
        return [{"text": m, "label": label} for label, mentions in value.items() for m in mentions]
    return None


def parse_answer(content: str | None) -> tuple[list, bool]:
    """``(entities, truncated)`` from an answer; AnswerError when it holds no JSON entities.

    The first JSON value in the answer (inside a markdown fence if there is one) that holds
    entities is taken; failing that, a cut-off ``"entities": [`` list gives its complete objects.

    >>> parse_answer('Вот: ```json\\n{"entities": [{"text": "BERT", "label": "Model"}]}\\n```')
    ([{'text': 'BERT', 'label': 'Model'}], False)
    >>> parse_answer('{"entities": [{"text": "BERT", "label": "Model"}, {"text": "Ян')
    ([{'text': 'BERT', 'label': 'Model'}], True)
    """
    if content is None or not content.strip():
        raise AnswerError("the answer is empty")
    fenced = _FENCE.search(content)
    # The answer as it stands first: a mention may itself hold ``` (a fence inside the JSON is no fence).
    decoder = json.JSONDecoder()
    for body in (content, fenced.group(1)) if fenced else (content,):
        for opening in _OPENING.finditer(body):
            try:
                value, _ = decoder.raw_decode(body, opening.start())
            except json.JSONDecodeError:
                continue
            entities = _entities(value)
            if entities is not None and not (isinstance(value, list) and '"entities"' in body[:opening.start()]):
                return entities, False  # (a list inside a cut-off {"entities": [...] is not the whole answer)
    body = content
    cut = body.find('"entities"')
    if cut >= 0 and "[" in body[cut:]:
        return _salvage(body[cut:]), True
    raise AnswerError(f"the answer is not JSON: {content[:60]!r}")


def fold(text: str) -> str:
    """Lower case, ё -> е and every kind of space (NBSP, thin, tab) -> " ", one character for one
    (offsets survive).

    >>> fold("Ёлка\u00a0BERT")
    'елка bert'
    """
    out = []
    for c in text:
        low = " " if c.isspace() else c.lower()
        out.append(low if len(low) == 1 else c)
    return "".join(out).replace("ё", "е")


def _at_boundaries(text: str, start: int, end: int) -> bool:
    return (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())


def _occurrences(text: str, folded: str, mention: str) -> list[tuple[int, int]]:
    """Where ``mention`` stands at word boundaries: exact matches in text order, then the case- and
    ё-blind ones that are not exact (so a second listing of "BERT" finds "bert" once "BERT" is taken)."""
    found: list[tuple[int, int]] = []
    for haystack, needle in ((text, mention), (folded, fold(mention))):
        pos = haystack.find(needle)
        while pos >= 0:
            if _at_boundaries(text, pos, pos + len(needle)) and (pos, pos + len(needle)) not in found:
                found.append((pos, pos + len(needle)))
            pos = haystack.find(needle, pos + 1)
    return found


def _widen(start: int, end: int, offsets) -> tuple[int, int]:
    """The range of whole tokens covering ``start:end``."""
    inside = [(s, e) for s, e in offsets if s < end and e > start]
    return (inside[0][0], inside[-1][1]) if inside else (start, end)


def schema_label(label: str, names) -> str | None:
    """The schema's name for ``label``: itself, or the one it matches ignoring case.

    >>> schema_label("model", ("Model", "Task")), schema_label("Person", ("Model",))
    ('Model', None)
    """
    if label in names:
        return label
    lowered = {n.lower(): n for n in names}
    return lowered.get(label.lower())


def place_entities(text: str, entities: list, names, offsets) -> Placement:
    """Place answer ``entities`` in ``text`` (token ``offsets``) with the schema's label ``names``."""
    folded = fold(text)
    unplaced, wanted = [], []
    for k, entity in enumerate(entities):
        mention = entity.get("text") if isinstance(entity, dict) else None
        label = entity.get("label") if isinstance(entity, dict) else None
        if not isinstance(mention, str) or not isinstance(label, str) or not mention.strip():
            unplaced.append((k, Unplaced(str(mention or ""), str(label or ""), MALFORMED)))
            continue
        name = schema_label(label.strip(), names)
        if name is None:
            unplaced.append((k, Unplaced(mention, label, FOREIGN_LABEL)))
            continue
        wanted.append((-len(mention.strip()), k, mention, name))
    taken: list[tuple[int, int, str]] = []
    used: dict[str, int] = {}
    widened = 0
    for _, k, mention, name in sorted(wanted):
        key = mention.strip()
        found = _occurrences(text, folded, key)
        if not found:
            unplaced.append((k, Unplaced(mention, name, NOT_IN_TEXT)))
            continue
        free = [(s, e, _widen(s, e, offsets)) for s, e in found]
        free = [(s, e, w) for s, e, w in free if all(w[1] <= a or w[0] >= b for a, b, _ in taken)]
        if not free:
            reason = OVERLAPS if used.get(key, 0) < len(found) else LISTED_TOO_OFTEN
            unplaced.append((k, Unplaced(mention, name, reason)))
            continue
        used[key] = used.get(key, 0) + 1
        # earlier listings of this mention took the occurrences before it; an exact one before a case-blind
        # one, and within each a whole token before one that must be widened ("AI" alone before the "AI"
        # of "AI-ассистент", but the "BERT" of "BERT-а" before a later "bert")
        start, end, (ws, we) = min(free, key=lambda f: (text[f[0]:f[1]] != key, f[2] != (f[0], f[1])))
        widened += (ws, we) != (start, end)
        taken.append((ws, we, name))
    return Placement(tuple(sorted(taken)), tuple(u for _, u in sorted(unplaced, key=lambda x: x[0])), widened)
