"""Markup around the words: what the model never sees, and what is never an entity edge.

Real documents come as markdown (headings, bold, lists, tables, links, code) and as
chat transcripts (speaker tags, timestamps, @mentions, URLs, e-mail addresses). Two
pure functions keep that syntax out of the entities:

- ``mask(text)``: a copy of ``text`` of the same length in which markup characters
  are blanks (line breaks kept), so every offset still indexes the original string.
  Blanked: heading ``#``s, quote ``>``s, list markers and task boxes, table pipes and
  rule rows, horizontal rules, ``*``/``_``/``~`` emphasis, link and image brackets with
  their targets, bare URLs, e-mail addresses, HTML tags, fenced code blocks, code spans
  that are more than one name (`` `train.py --lr 2e-4` ``; a one-word span such as
  `` `vLLM` `` keeps its word, its backticks go), identifiers (hashes, file and storage IDs:
  ``88f3c2a1``, ``ds-5c0e77b2``; ``is_identifier``) and chat prefixes at a line start
  (``SP_1:``, ``@anna:``, ``user:``, ``[10:02]``).
- ``clean_tags(words, tags)``: IOB2 tags in which no entity starts or ends on a token that
  is only punctuation or markup (``**``, ``|``, ``#``, ``>``, ``---``, ``—``, ``«``), and
  entities made of nothing else, speaker tags (``SP_1`` before ``:`` at the start) or
  pieces of a URL are gone. It needs only the words, so it serves CoNLL input too.

The tagger uses both through ``model_inputs``/``model_outputs``: the model tags the ``pieces``
of a text, the razdel sentences of each line of ``mask(text)`` and of each markdown table cell on its
own, after its column's header (``ner/tables.py``: a cell separator is never inside an entity) (so a markdown document and the
same text with its markup blanked give the model the same words, hence the same entities, at
offsets into the original); entities come back onto the tagger's own words (masked ones get
``O``) and go through ``clean_tags``.

Left out: setext headings (a line under ``===``), reference-style links, nested HTML,
reStructuredText and wiki markup; a lexicon match inside a code span is the lexicon's call
(``ner.lexicon`` tags the original words).
"""

from __future__ import annotations

import re
import unicodedata

from .bio import spans_tags, tags_spans, to_iob2

_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_QUOTE = re.compile(r"^\s*(?:>\s*)+")
_BLOCK = re.compile(r"#{1,6}(?=\s|$)|[-*+•](?=\s)|\d{1,3}[.)](?=\s)")
_TASKBOX = re.compile(r"\s*\[[ xX]\](?=\s)")
_STAMP = re.compile(r"\s*\[?(?:\d{1,2}\.\d{1,2}\.\d{2,4},?\s+)?\d{1,2}:\d{2}(?::\d{2})?\]?")
SPEAKER = r"@[\w.-]+|[A-Za-z]+[_-]?\d+|(?i:user|assistant|system|human|bot|ai|moderator)"
_SPEAKER = re.compile(rf"\s*(?:{SPEAKER})\s*:(?=\s|$)")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_NAME = re.compile(r"[\w+-]+")
_LINK = re.compile(r"(!?\[)([^\[\]\n]*)(\]\([^()\s]*(?:\s+\"[^\"]*\")?\))")
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>()\[\]{}\"'«»]*[^\s<>()\[\]{}\"'«».,;:!?]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HTML = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>\n]*)?/?>")
_EMPHASIS = re.compile(r"\*+|~~|\||(?<!\w)_+(?=\w)|(?<=\w)_+(?!\w)|(?<!\w)_+(?!\w)")
_HIDDEN = "\x00"  # a masked character while the line is worked on
# Every pattern above needs one of these to match: text without any is its own mask (tested against ``mask``).
# A hyphen counts at a line's start (lists, rules; any line break str.splitlines knows) or doubled (rules,
# tables); a colon before a space, the end, a digit or a slash (speakers, stamps, URLs); a number before
# ". " or ") " (numbered lists). Prose dashes, "2.5" and "см:" alone stay plain.
_MAYBE_MARKUP = re.compile(r"[`~#>*+•\[|_<@\x00]|(?:^|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029])\s*-|--"
                           r"|:(?=[\s/\d]|$)|\d[.)](?=\s)|www\.|[a-z]\d+[a-z]|\d[a-z]+\d", re.IGNORECASE)
# an identifier (a hash, a file or storage ID: 88f3c2a1, ds-5c0e77b2, a UUID): an ASCII word with a run of Latin
# letters and digits that switches between them 4+ times (6+ characters), or a hex run of 7+ that switches twice
# (git's short hashes); "GPT-4o", "Qwen2.5-VL-7B", "YOLOv8", "A100" switch once
_WORDISH = re.compile(r"[A-Za-z0-9_.-]+")
_ALNUM = re.compile(r"[A-Za-z0-9]{6,}")
_HEX = re.compile(r"[0-9a-fA-F]{7,}")


def has_markup(text: str) -> bool:
    """False only for text that ``mask`` leaves as it is (a cheap look before the real one)."""
    return bool(_MAYBE_MARKUP.search(text)) and mask(text) != text


def mask(text: str) -> str:
    """``text`` with its markup blanked: same length, same line breaks, every offset kept.

    >>> mask("## Итоги: **LoRA** | [гайд](https://x.io)")
    '   Итоги:   LoRA        гайд                 '
    """
    out = []
    in_code = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        if _FENCE.match(body):
            in_code = not in_code
            out.append(_blank(body) + ending)
        elif in_code or _TABLE_RULE.match(body) or _RULE.match(body):
            out.append(_blank(body) + ending)
        else:
            out.append(_mask_line(body) + ending)
    return "".join(out)


def _blank(s: str) -> str:
    return re.sub(r"\S", " ", s)


def _hide(chars: list, start: int, end: int) -> None:
    for i in range(start, end):
        if not chars[i].isspace():
            chars[i] = _HIDDEN


def _mask_line(line: str) -> str:
    chars = list(line)
    pos = 0
    for pattern in (_QUOTE, _STAMP, _SPEAKER, _BLOCK, _TASKBOX):  # the prefixes, in the order they stack
        m = pattern.match(line, pos)
        if m:
            _hide(chars, m.start(), m.end())
            pos = m.end()
    for m in _CODE_SPAN.finditer(line, pos):
        _hide(chars, m.start(1), m.end(1))
        _hide(chars, m.end(2), m.end())
        if not _NAME.fullmatch(m.group(2).strip()):
            _hide(chars, m.start(2), m.end(2))
    work = "".join(chars)  # code is hidden now, so the patterns below never look inside it
    for m in _LINK.finditer(work):
        _hide(chars, m.start(1), m.end(1))
        _hide(chars, m.start(3), m.end(3))
    for pattern in (_URL, _EMAIL, _HTML, _EMPHASIS):
        for m in pattern.finditer("".join(chars)):
            if _HIDDEN not in m.group():
                _hide(chars, m.start(), m.end())
    for m in _WORDISH.finditer("".join(chars)):
        if _HIDDEN not in m.group() and is_identifier(m.group()):
            _hide(chars, m.start(), m.start() + len(m.group().rstrip(".-")))  # a sentence's full stop stays
    return "".join(" " if c == _HIDDEN else c for c in chars)


def is_identifier(word: str) -> bool:
    """A hash or an ID, never a name: a run of 6+ Latin letters and digits that switches between them 4+ times,
    or a hex run of 7+ that switches twice.

    >>> is_identifier("ds-5c0e77b2"), is_identifier("Qwen2.5-VL-7B"), is_identifier("gpt-4o-mini-2024-07-18")
    (True, False, False)
    """
    def switches(run: str) -> int:
        return sum(a.isdigit() != b.isdigit() for a, b in zip(run, run[1:]))

    return any(switches(run) >= 4 for run in _ALNUM.findall(word)) or \
        any(switches(run) >= 2 for run in _HEX.findall(word) if _HEX.fullmatch(run))


def _is_junk(word: str) -> bool:
    """Only punctuation, symbols or markup: never the first or last word of an entity."""
    return all(unicodedata.category(c)[0] in "PSZ" or c in "\u200d\ufe0f" for c in word)


_SPEAKER_WORD = re.compile(SPEAKER)
_SCHEMES = {"http", "https", "ftp", "www"}


def _url_words(words) -> set[int]:
    """Indices of the words of a URL split into tokens: from 'https' ':' '/' (or 'www' '.') on,
    while the words have no Cyrillic and are not closing brackets or final punctuation."""
    inside = set()
    i, n = 0, len(words)
    while i < n:
        w = words[i].lower()
        starts = (w in ("http", "https", "ftp") and i + 1 < n and words[i + 1] == ":") or \
                 (w == "www" and i + 1 < n and words[i + 1] == ".")
        if not starts:
            i += 1
            continue
        j = i
        while j < n and words[j].isascii() and words[j] not in (")", "]", ">", ",", ";", "!", "?") \
                and not (words[j] == "." and (j + 1 == n or not words[j + 1].isascii())):
            j += 1
        inside.update(range(i, j))
        i = max(j, i + 1)
    return inside


def clean_tags(words, tags, addresses: bool = True) -> list[str]:
    """IOB2 ``tags`` of ``words`` with markup and punctuation off every entity's edges, and
    without entities that are only markup, a speaker tag or (``addresses``) part of a URL or
    e-mail address. Words carry no spacing, so a URL runs from ``https`` ``:`` (or ``www`` ``.``)
    over ASCII words up to a Cyrillic one or a closing bracket; text that ``mask`` has seen
    needs no such guess (``addresses=False``).

    >>> clean_tags(["|", "**", "LoRA", "**", "|"], ["B-Method_ML", "I-Method_ML", "I-Method_ML", "I-Method_ML", "O"])
    ['O', 'O', 'B-Method_ML', 'O', 'O']
    """
    words = list(words)
    if len(words) != len(tags):
        raise ValueError(f"{len(words)} words but {len(tags)} tags")
    url = _url_words(words) if addresses else set()
    kept = []
    for start, end, label in tags_spans(to_iob2(tags)):
        while start < end and _is_junk(words[start]):
            start += 1
        while end > start and _is_junk(words[end - 1]):
            end -= 1
        if start == end:
            continue
        if start == 0 and end == 1 and len(words) > 1 and words[1] == ":" and _SPEAKER_WORD.fullmatch(words[0]):
            continue
        if addresses and (any(k in url or "@" in words[k] for k in range(start, end)) or
                          (start > 0 and words[start - 1] == "@") or (end < len(words) and words[end] == "@")):
            continue
        kept.append((start, end, label))
    return spans_tags(len(words), kept)


def pieces(text: str, headers: bool = True) -> list[list[tuple[int, int, str]]]:
    """What the model tags in ``text``: the razdel sentences of each line of ``mask(text)``, and of
    each cell of a markdown table row on its own (``tables.cells``), as ``(start, end, word)`` with
    offsets into ``text``. A markdown document and its blanked twin ``mask(text)`` have the same pieces.
    A cell under a header is read as ``header: cell``: after its header's words and ``:``, words that
    are not in the text (offsets ``(-1, -1)``; ``headers=False``: the cell alone). On the table rows of
    the demo's dev and test splits this gives strict F1 .933, the cell alone .917, the whole row as one
    piece (before) .828 (``bench/bench_tables.py``).

    >>> [[w for _, _, w in p] for p in pieces("## Итоги\\n| **LoRA** | RAG |")]
    [['Итоги'], ['LoRA'], ['RAG']]
    """
    from .tables import cells
    from .text import segment

    masked = mask(text)
    table = {}
    for cell in cells(text) if "|" in text else ():
        table.setdefault(cell.line, []).append(cell)
    out, base = [], 0
    for line in masked.splitlines(keepends=True):
        if base in table:
            for cell in table[base]:
                context = []
                if headers and cell.header and mask(cell.header).strip():
                    context = [(-1, -1, w) for sentence in segment(mask(cell.header)) for _, _, w in sentence]
                    context.append((-1, -1, ":"))
                for sentence in segment(masked[cell.start:cell.end]):
                    out.append(context + [(s + cell.start, e + cell.start, w) for s, e, w in sentence])
        elif line.strip():
            out.extend([(s + base, e + base, w) for s, e, w in sentence] for sentence in segment(line))
        base += len(line)
    return out


def model_inputs(pending) -> tuple[list[list[str]], list]:
    """The batch of word lists the model tags for the tagger's ``(text, sentences)`` pairs
    (the ``pieces`` of each text), and the plan ``model_outputs`` needs to put them back."""
    batch, plan = [], []
    for text, sentences in pending:
        # plain one-line text (what 'ner tag' mostly sees): the pieces are the sentences themselves
        plain = len(text.splitlines()) <= 1 and not has_markup(text)
        text_pieces = sentences if plain else pieces(text)
        plan.append((sentences, text_pieces))
        batch.extend([w for _, _, w in piece] for piece in text_pieces)
    return batch, plan


def model_outputs(plan, predictions) -> list:
    """One ``Prediction`` per sentence of the tagger, in order, from the predictions of the pieces.

    Each predicted entity is a character range of the text; a sentence's words inside it get its
    label (a range that crosses the sentence's end is cut there). A word's probability is the
    lowest of the piece words it overlaps, 1.0 for a masked word (tagged ``O``). The tags then go
    through ``clean_tags``.
    """
    from bisect import bisect_left, bisect_right

    from .models.base import Prediction

    out, p = [], 0
    for sentences, text_pieces in plan:
        if text_pieces is sentences:  # plain text: each piece is a sentence, its prediction is the sentence's
            for sentence in sentences:
                prediction = predictions[p]
                p += 1
                if len(prediction.tags) != len(sentence):
                    raise RuntimeError(f"the model tagged {len(prediction.tags)} of {len(sentence)} words")
                out.append(Prediction(tuple(clean_tags([w for _, _, w in sentence], prediction.tags, addresses=False)),
                                      tuple(prediction.scores)))
            continue
        ranges, scored = [], []  # entity character ranges; (start, end, probability) of every piece word
        for piece in text_pieces:
            prediction = predictions[p]
            p += 1
            if len(prediction.tags) != len(piece):
                raise RuntimeError(f"the model tagged {len(prediction.tags)} of {len(piece)} words")
            context = sum(1 for start, _, _ in piece if start < 0)  # a header's words before a table cell
            ranges += [(piece[max(i, context)][0], piece[j - 1][1], label)
                       for i, j, label in tags_spans(to_iob2(prediction.tags)) if j > context]
            scored += [(start, end, score) for (start, end, _), score in zip(piece[context:], prediction.scores[context:])]
        starts = [start for start, _, _ in scored]
        # The pieces are disjoint and in text order, so are their entity ranges: a sentence looks only at
        # the ranges that reach into it (all of them for each sentence made a long line quadratic).
        range_starts = [start for start, _, _ in ranges]
        range_ends = [end for _, end, _ in ranges]
        for sentence in sentences:
            word_starts = [start for start, _, _ in sentence]
            word_ends = [end for _, end, _ in sentence]
            spans = []
            near = ranges[bisect_right(range_ends, word_starts[0]):bisect_left(range_starts, word_ends[-1])] \
                if sentence else ()
            for start, end, label in near:
                first = bisect_right(word_ends, start)  # the first word that ends after the range starts
                last = bisect_left(word_starts, end)  # past the last word that starts before it ends
                if first < last:
                    spans.append((first, last, label))
            tags = spans_tags(len(sentence), _disjoint(spans))
            scores = []
            for start, end, _ in sentence:
                i, inside = max(bisect_right(starts, start) - 1, 0), []
                while i < len(scored) and scored[i][0] < end:
                    if scored[i][1] > start:
                        inside.append(scored[i][2])
                    i += 1
                scores.append(min(inside) if inside else 1.0)
            out.append(Prediction(tuple(clean_tags([w for _, _, w in sentence], tags, addresses=False)),
                                  tuple(scores)))
    return out


def _disjoint(spans):
    """Token spans without overlaps (two ranges that snap onto one word keep the first)."""
    kept, end = [], 0
    for span in sorted(spans):
        if span[0] >= end:
            kept.append(span)
            end = span[1]
    return kept
