"""One key for a name in either script: "Яндексом" and "Yandex", "Лламы" and "LLaMA", "Пайторча" and "PyTorch".

Russian text writes Latin names in Cyrillic ("Лама", "Мистраль", "Пайторч") and declines them
("Ламы", "Мистралем", "Пайторче"). ``romanize`` (steps 1-3) maps both spellings to one rough
Latin form, ``key_forms`` adds the forms without a case ending (step 4), and a list entry meets
a word of the other script where their forms meet (``lexicon.py``); ``translit_key`` is one key
per word (the longest ending cut), what ``ner.quality.disjoint`` groups names by:

1. lower case; Cyrillic letters by a plain romanisation (я -> ia, ю -> iu, ж -> zh, ц -> ts,
   ч -> ch, ш/щ -> sh, х -> h, й/ы -> i, ь/ъ dropped);
2. Latin spellings folded towards what a Russian writer hears: x -> ks, ph -> f, th -> t,
   ck -> k, w -> v, q -> k, j -> dzh, c -> s before e/i and k elsewhere, ee -> i, oo -> u, and
   y -> "ai" between consonants (PyTorch, Python), "i" elsewhere;
3. doubled letters as one (LLaMA, Ллама);
4. a Russian case ending, romanised, cut from a word of letters when three letters stay
   ("mistralem" -> "mistral").

>>> translit_key("Яндексом") == translit_key("Yandex"), translit_key("Лламы") == translit_key("LLaMA")
(True, True)

Left out: English spellings the rules cannot hear ("Claude" / "Клод", "Gemini" / "Джемини");
the lists can hold such spellings themselves. Acronyms are matched as written (``lexicon.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_CYR = dict(zip("абвгдезиклмнопрстуфэ", "abvgdeziklmnoprstufe")) | {
    "ё": "e", "ж": "zh", "й": "i", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i",
    "ь": "", "ю": "iu", "я": "ia"}
_VOWELS = "aeiouy"
# (pattern, replacement) in order, on lower-case Latin
_LATIN = [(re.compile(p), r) for p, r in (
    ("ph", "f"), ("th", "t"), ("ck", "k"), ("wh", "v"), ("qu", "kv"), ("x", "ks"), ("w", "v"), ("q", "k"),
    ("j", "dzh"), ("ee", "i"), ("oo", "u"), ("ch", "\0"), ("c(?=[eiy])", "s"), ("c", "k"), ("\0", "ch"),
    (f"(?<=[^{_VOWELS}\\W\\d])y(?=[^{_VOWELS}\\W\\d])", "ai"), ("y", "i"))]
_DOUBLE = re.compile(r"([a-z])\1+")
_ENDINGS = sorted("""iami ami ogo ego omu emu imi iei iam iah iem ah oi ei ii ia iu om em am ov ev ih im a u e i o
""".split(), key=len, reverse=True)
_CYRILLIC = re.compile("[а-яё]")
_VERSIONED = re.compile(r"([a-z]{3,})(-[\w.]*\d[\w.]*)")


@lru_cache(maxsize=1 << 16)
def romanize(word: str) -> str:
    """Steps 1-3 of the module docstring: the word's rough Latin form."""
    low = word.lower()
    if _CYRILLIC.search(low):
        low = "".join(_CYR.get(c, c) for c in low)
    for pattern, replacement in _LATIN:
        low = pattern.sub(replacement, low)
    return _DOUBLE.sub(r"\1", low)


def translit_key(word: str) -> str:
    """The word's key in either script, its Russian case ending cut (see the module docstring).

    >>> translit_key("Мистралем"), translit_key("Mistral"), translit_key("Пайторче"), translit_key("PyTorch")
    ('mistral', 'mistral', 'paitorch', 'paitorch')
    """
    key = romanize(word)
    if key.isalpha() and key.isascii():
        for ending in _ENDINGS:
            if key.endswith(ending) and len(key) - len(ending) >= 3:
                return key[: -len(ending)]
    return key


@lru_cache(maxsize=1 << 16)
def key_forms(romanized: str) -> frozenset[str]:
    """A romanised word and each form of it without a (romanised) case ending, three letters kept:
    a list entry and a text word match when their forms meet ("babamam" and "babamama", "lama" and
    "lamu" meet; a single cut form would miss a name that itself ends like an ending).

    >>> sorted(key_forms("mistralem"))
    ['mistral', 'mistralem']
    """
    versioned = _VERSIONED.fullmatch(romanized)  # "lamoi-2": the ending sits before the version
    if versioned:
        return frozenset(f + versioned.group(2) for f in key_forms(versioned.group(1)))
    forms = {romanized}
    if romanized.isalpha() and romanized.isascii():
        forms.update(romanized[: -len(e)] for e in _ENDINGS if romanized.endswith(e) and len(romanized) - len(e) >= 3)
    return frozenset(forms)


def forms_of(words) -> tuple[list[str], list[frozenset[str]]]:
    """Each word romanised, and each one's ``key_forms``: what a lexicon matches across scripts on."""
    rom = [romanize(w) for w in words]
    return rom, [key_forms(r) for r in rom]


def crosses(listed_cyrillic: bool, words) -> bool:
    """Whether ``words`` may match a name listed in the other script (Cyrillic when ``listed_cyrillic``):
    they are in the other script, and a lower-case Cyrillic word matches a Latin name only with a key of
    seven letters or more ("гигачат" finds GigaChat, "голоса" does not find Golos).
    """
    if listed_cyrillic == bool(_CYRILLIC.search("".join(words).lower())):
        return False
    return listed_cyrillic or words[0][:1].isupper() or len(romanize(words[0])) >= 7


def latin_key(word: str) -> str:
    """``translit_key`` for a word with letters, the word itself otherwise (digits, punctuation)."""
    return translit_key(word) if any(c.isalpha() for c in word) else word
