"""Raw text: razdel tokenization (the one tokenizer), sentences, UTF-16 offsets, and the damage real files carry.

One tokenizer everywhere (razdel), so that Label Studio tasks, training and
``tag()`` agree on token boundaries. Label Studio's editor counts UTF-16 code
units while Python counts code points; ``utf16_to_index``/``index_to_utf16``
convert between them. ``repair_mojibake`` undoes UTF-8 text that was once
decoded as mac_roman, cp1252 or latin-1; ``lookalike_letters`` finds words that
mix Latin and Cyrillic letters which look the same.

Left out: sentence splitting of CoNLL token streams (``formats/conll.py``); the way back from tokens
to text (``detok.py``).
"""

from __future__ import annotations

import re
import unicodedata
from itertools import accumulate

# The Russian and the basic Latin letters, both cases: the one copy (readers, checks and word shapes use it).
CYRILLIC = re.compile("[а-яёА-ЯЁ]")
LATIN = re.compile("[a-zA-Z]")
# Latin letters that look like Cyrillic ones, and the Cyrillic letters that look like Latin ones.
_LATIN_LOOKALIKES = frozenset("aceopxyABCEHKMOPTX")
_CYRILLIC_LOOKALIKES = frozenset("асеорхуАВСЕНКМОРТХ")
_MOJIBAKE_CODECS = ("mac_roman", "cp1252", "latin-1")


def text_lines(text: str) -> list[str]:
    r"""The lines of a file's text, cut at ``\n`` (and ``\r\n``) only: ``str.splitlines`` would also cut
    at U+2028, ``\x85`` and form feeds, splitting one text in two and shifting line numbers.

    >>> text_lines("a\u2028b\r\nc\x0cd\n")
    ['a\u2028b', 'c\x0cd', '']
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


def tokenize(text: str, base: int = 0) -> list[tuple[int, int, str]]:
    """razdel tokens of ``text`` as ``(start, end, word)``, offsets into ``text`` plus ``base``.

    Emoji stuck to letters are split off them (razdel keeps '😀Яндекс' whole).

    >>> tokenize("BERT-а вышел в 2018 г.")[:3]
    [(0, 6, 'BERT-а'), (7, 12, 'вышел'), (13, 14, 'в')]
    """
    from razdel import tokenize as razdel_tokenize

    words = []
    for t in razdel_tokenize(text):
        words.extend(split_pictographs(base + t.start, t.text))
    return words


def sentences(text: str) -> list[tuple[int, int]]:
    """razdel sentence ranges ``(start, end)`` of ``text``."""
    from razdel import sentenize

    return [(s.start, s.stop) for s in sentenize(text)]


def repair_mojibake(text: str) -> tuple[str, str] | None:
    """``(repaired, codec)`` if ``text`` is UTF-8 once decoded as ``codec``; else None.

    Only repairs that produce Cyrillic from text without Cyrillic are accepted,
    so ordinary accented Latin is left alone.

    >>> repair_mojibake("–Ø–Ω–¥–µ–∫—Å")
    ('Яндекс', 'mac_roman')
    """
    if text.isascii() or CYRILLIC.search(text):
        return None
    for codec in _MOJIBAKE_CODECS:
        try:
            repaired = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if CYRILLIC.search(repaired):
            return repaired, codec
    return None


def lookalike_letters(word: str) -> str | None:
    """The odd-script letters of a word that mixes Latin and Cyrillic look-alikes, else None.

    'Мoдель' (Latin o) -> 'o'. A Latin name with a Cyrillic ending joined by a
    hyphen or apostrophe ('BERT-а', "PyTorch'е") is not flagged.

    >>> lookalike_letters("Мoдель")
    'o'
    """
    for part in re.split(r"[-'’]", word):
        latin = LATIN.findall(part)
        cyrillic = CYRILLIC.findall(part)
        if not latin or not cyrillic:
            continue
        if len(latin) <= len(cyrillic) and all(c in _LATIN_LOOKALIKES for c in latin):
            return "".join(latin)
        if len(cyrillic) < len(latin) and all(c in _CYRILLIC_LOOKALIKES for c in cyrillic):
            return "".join(cyrillic)
    return None


def utf16_index(text: str) -> list[int]:
    """UTF-16 offset of every code-point offset 0..len(text) of ``text``."""
    if text.isascii() or all(ord(c) < 0x10000 for c in text):
        return list(range(len(text) + 1))
    return [0, *accumulate(2 if ord(c) >= 0x10000 else 1 for c in text)]


def index_to_utf16(text: str, index: int) -> int:
    """The UTF-16 offset of code-point offset ``index`` ('😀a': 1 -> 2)."""
    return index + sum(1 for c in text[:index] if ord(c) >= 0x10000)


def utf16_to_index(text: str, offset: int) -> int:
    """The code-point offset of UTF-16 offset ``offset``; ValueError inside a surrogate pair."""
    units = 0
    for i, c in enumerate(text):
        if units == offset:
            return i
        units += 2 if ord(c) >= 0x10000 else 1
        if units > offset:
            raise ValueError(f"UTF-16 offset {offset} falls inside the character {c!r}")
    if units == offset:
        return len(text)
    raise ValueError(f"UTF-16 offset {offset} is past the end of a text of {units} units")


def _is_pictograph(char: str) -> bool:
    # Emoji and other pictographs, with the joiners and modifiers that glue them together.
    # ASCII and Latin-1 symbols (+, $, °) stay with their words: 'C++', '5°'.
    if char in "\u200d\ufe0f\u20e3":
        return True
    return char >= "\u2190" and unicodedata.category(char) in ("So", "Sk")


def split_pictographs(start: int, word: str) -> list[tuple[int, int, str]]:
    """Split a razdel token where emoji meet letters: '😀Яндекс' -> '😀', 'Яндекс'.

    >>> split_pictographs(10, "😀Яндекс")
    [(10, 11, '😀'), (11, 17, 'Яндекс')]
    """
    if max(word) < "\u2190":
        return [(start, start + len(word), word)]
    parts = []
    begin = 0
    kind = _is_pictograph(word[0])
    for i in range(1, len(word)):
        k = _is_pictograph(word[i])
        if k != kind:
            parts.append((start + begin, start + i, word[begin:i]))
            begin, kind = i, k
    parts.append((start + begin, start + len(word), word[begin:]))
    return parts


def segment(text: str) -> list[list[tuple[int, int, str]]]:
    """Sentences of ``text``, each a list of ``(start, end, word)`` with offsets into ``text``.

    >>> segment("Яндекс выложил YaLM. 😀Сбер тоже.")[1]
    [(21, 22, '😀'), (22, 26, 'Сбер'), (27, 31, 'тоже'), (31, 32, '.')]
    """
    from razdel import sentenize

    result = []
    for sentence in sentenize(text):
        words = tokenize(sentence.text, sentence.start)
        if words:
            result.append(words)
    return result
