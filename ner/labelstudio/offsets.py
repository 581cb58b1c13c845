"""Label Studio character offsets <-> code-point offsets -> token ranges, loudly.

Label Studio stores and draws regions in code points, as Python counts (since
2022, label-studio PR #1559; checked in the browser on 1.23); exports of older
versions counted UTF-16 code units, and browsers
may count ``\\r\\n`` as one character. ``to_label_studio`` is the one way out
(code points, checked: push, predictions, the ML backend). ``Resolver.resolve``
reads code points first; only when they do not give the region's own ``text``
does it try the other readings (UTF-16, either with ``\\r\\n`` as one character),
and it says which one it used so the caller can report it. When code points and
another reading both give the region's text at different places, the region is
ambiguous and is not placed.
``snap`` maps a character range onto stored tokens:

- whitespace at either edge is trimmed;
- a range inside one token grows to that token (BIO can hold nothing smaller:
  "BERT" selected inside "BERT-а");
- a range that crosses tokens and cuts one at an edge keeps that token when it
  covers more than half of it and drops it when less; exactly half is ambiguous
  and the span is not placed.

Every snap and every failure comes back as a reason string for the caller's report.

Left out: fuzzy search for region texts whose offsets match no reading.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from ..text import utf16_index


class Resolver:
    """Offset readings of one task text, built once and reused for all its regions."""

    def __init__(self, text: str):
        self.text = text
        self._maps: list[tuple[str, dict[int, int], str]] | None = None

    def _readings(self):
        if self._maps is None:
            text = self.text
            maps = []
            units = utf16_index(text)
            if units[-1] != len(text):
                maps.append(("UTF-16", {u: i for i, u in enumerate(units)}, text))
            if "\r\n" in text:
                # Offsets of a text whose "\r\n" counts as one character.
                collapsed, j = {}, 0
                for i in range(len(text) + 1):
                    if i > 0 and text[i - 1] == "\r" and i < len(text) and text[i] == "\n":
                        continue
                    collapsed[j] = i
                    j += 1
                maps.append(("code points, CRLF as one", collapsed, text))
                flat = text.replace("\r\n", "\n")
                flat_units = utf16_index(flat)
                if flat_units[-1] != len(flat):
                    to_flat = {u: i for i, u in enumerate(flat_units)}
                    maps.append(("UTF-16, CRLF as one",
                                 {u: collapsed[i] for u, i in to_flat.items()}, text))
            self._maps = maps
        return self._maps

    def resolve(self, start, end, region_text) -> tuple[int, int, str] | str:
        """``(start, end, reading)`` in code points, or the reason no single reading fits.

        ``reading`` is ``"code points"`` for Label Studio's own offsets; anything else
        names the fallback used (an export of an old version), for the caller to report.
        """
        text = self.text
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
            return f"offsets {start!r}:{end!r} are not a character range"
        if region_text is None:
            return (start, end, "code points") if end <= len(text) else f"offsets {start}:{end} are past the end"
        wanted = region_text.replace("\r\n", "\n")
        fits = []
        if end <= len(text) and text[start:end] == region_text:
            fits.append((start, end, "code points"))
        for name, mapping, _ in self._readings():
            s, e = mapping.get(start), mapping.get(end)
            if s is not None and e is not None and text[s:e].replace("\r\n", "\n") == wanted:
                if all((s, e) != f[:2] for f in fits):
                    fits.append((s, e, name))
        if len(fits) == 1:
            return fits[0]
        if fits:
            places = ", ".join(f"{s}:{e} in {name}" for s, e, name in fits)
            return f"ambiguous: the offsets give {region_text!r} at {places}"
        found = text[start:end] if end <= len(text) else "past the end of the text"
        return (f"offsets {start}:{end} give {found!r}, not {region_text!r}, in code points, UTF-16 "
                f"or with CRLF as one character")


def to_label_studio(text: str, start: int, end: int) -> tuple[int, int]:
    """The offsets Label Studio stores and draws for code points ``start:end`` of ``text``: the same
    numbers (code points), after checking the range; every region we write goes through here.

    >>> to_label_studio("🚀 🚀 Компания OpenAI", 13, 19)
    (13, 19)
    """
    if not 0 <= start < end <= len(text):
        raise ValueError(f"range {start}:{end} is not inside a text of {len(text)} characters")
    return start, end


def snap(starts: list[int], ends: list[int], text: str, start: int, end: int) -> tuple[int, int, str] | str:
    """Token range ``(i, j, note)`` of characters ``start:end``; ``note`` is '' when exact.

    ``starts``/``ends`` are the tokens' sorted character offsets. Returns the reason
    as a string when the range cannot be placed.

    >>> snap([0, 7], [6, 12], "BERT-а вышел", 0, 4)
    (0, 1, "grown to the whole token 'BERT-а'")
    """
    s, e = start, end
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if s == e:
        return "the region holds only whitespace"
    i = bisect_right(ends, s)        # first token ending after s
    j = bisect_left(starts, e)       # tokens before j start before e
    if i >= j:
        return "the region covers no token"
    notes = ["whitespace trimmed"] if (s, e) != (start, end) else []
    if starts[i] == s and ends[j - 1] == e:
        return i, j, ", ".join(notes)
    if j - i == 1:
        return i, j, f"grown to the whole token {text[starts[i]:ends[i]]!r}"
    if starts[i] < s:
        covered, length = ends[i] - s, ends[i] - starts[i]
        if covered * 2 == length:
            return f"its start cuts the token {text[starts[i]:ends[i]]!r} in half (ambiguous)"
        if covered * 2 < length:
            i += 1
            notes.append(f"start moved past {text[starts[i - 1]:ends[i - 1]]!r}")
        else:
            notes.append(f"start moved back to take the whole {text[starts[i]:ends[i]]!r}")
    if ends[j - 1] > e:
        covered, length = e - starts[j - 1], ends[j - 1] - starts[j - 1]
        if covered * 2 == length:
            return f"its end cuts the token {text[starts[j - 1]:ends[j - 1]]!r} in half (ambiguous)"
        if covered * 2 < length:
            j -= 1
            notes.append(f"end moved before {text[starts[j]:ends[j]]!r}")
        else:
            notes.append(f"end moved on to take the whole {text[starts[j - 1]:ends[j - 1]]!r}")
    if i >= j:
        return "the region covers only parts of tokens (ambiguous)"
    return i, j, "; ".join(notes)
