"""A pattern pre-annotator: lists of names per label, matched over razdel tokens, no model needed.

A lexicon directory holds one UTF-8 file per label, ``<Label>.txt`` (``Model.txt``,
``Method_ML.txt``, ...), one name per line; ``#`` starts a comment, blank lines are
skipped. ``O.txt`` lists phrases that are not entities ("машинное обучение",
"learning rate"): a match there wins over a shorter entity inside it. The bundled
lists are ``annotation/lexicons/``; a user's own directory is read the same way, and
several directories add up (``load_lexicon(a, b)``).

Matching (``Lexicon.tags(words)``) is longest match first, left to right, over tokens:

- Latin names ignore case ("lora" finds LoRA) except short acronyms (at most five
  characters, mostly capitals: RAG, NER, CoT, MoE), which match only as written, so
  that "rag" or "moe" in running English text is not a method;
- Russian words match by a crude stem (the word without its case ending), so one
  entry "дистилляция" finds "дистилляции", "дистилляцией";
- a Latin name with a Russian ending keeps the ending: "BERT-а", "PyTorch'е" (three
  tokens: the name, the apostrophe and the ending) are matched as BERT and PyTorch;
- a name in the other script, declined or not, is found through ``translit.key_forms``:
  the entry "LLaMA" finds "Ламы", "Mistral" finds "Мистралем", "Яндекс" finds "Yandex"
  (acronyms and names under four letters excepted: "RAG" never finds "раг").

Dates are patterns, not lists (``dates.py`` style rules in ``_date_spans``): "2023 году",
"марте 2024 года", "14 марта 2023 года", "с 2019 по 2021 год", "2024-05-20", "12.03.2024".

``LexiconModel`` wraps a lexicon in the model protocol (``predict``, ``probabilities``,
``labels``, ``tags``, ``name``, ``version``), so ``Tagger(LexiconModel(...))`` tags raw
text with it and everything that takes a model takes it.

The navec backbone uses ``Lexicon.tags`` as a word feature (``ner/models/lexfeatures.py``).

Left out: morphology beyond endings (no pymorphy), nested names (the longest match wins).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..bio import spans_tags
from ..errors import UserError
from .translit import crosses, forms_of

BUNDLED = Path(__file__).resolve().parents[2] / "annotation" / "lexicons"
NOT_AN_ENTITY = "O"

_CYRILLIC = re.compile("[а-яё]", re.I)
_ENDINGS = sorted("""ями ами ого его ому ему ыми ими ией иям иях ием ах ях ой ей ий ый ая яя ое ее ые ие ую юю ом ем
ам ям ов ев ых их ым им ию ия ии ью а я у ю е и ы о ь й""".split(), key=len, reverse=True)
_LATIN_WITH_ENDING = re.compile(r"(.*[A-Za-z0-9])[-'’]([а-яё]{1,4})", re.I)
_APOSTROPHES = ("'", "’")


def stem(word: str) -> str:
    """The matching key of one word: lower case; a Russian word without its ending, a Latin
    name without a Russian ending ("BERT-а" -> "bert").

    >>> stem("Дистилляцией"), stem("BERT-а"), stem("LoRA")
    ('дистилляци', 'bert', 'lora')
    """
    m = _LATIN_WITH_ENDING.fullmatch(word)
    if m and not _CYRILLIC.search(m.group(1)):
        word = m.group(1)
    low = word.lower()
    if _CYRILLIC.search(low) and low.isalpha() and len(low) > 4:
        for ending in _ENDINGS:
            if low.endswith(ending) and len(low) - len(ending) >= 3:
                return low[: -len(ending)]
    return low


def is_acronym(name: str) -> bool:
    """Short and mostly capitals (RAG, NER, CoT, MoE, T5): matched with its case."""
    letters = [c for c in name if c.isalpha()]
    return len(name) <= 5 and bool(letters) and sum(c.isupper() for c in letters) * 2 >= len(letters)


def _exact(word: str) -> str:
    m = _LATIN_WITH_ENDING.fullmatch(word)
    return m.group(1) if m and not _CYRILLIC.search(m.group(1)) else word


@dataclass
class Lexicon:
    """Names per label, keyed by their token stems (and, for acronyms, their exact tokens)."""

    folded: dict = field(default_factory=dict)   # tuple of stems -> label
    exact: dict = field(default_factory=dict)    # tuple of exact words -> label (acronyms)
    longest: int = 0
    labels: tuple = ()
    version: str = "lexicon"
    sizes: dict = field(default_factory=dict)    # label -> number of entries
    seen: dict = field(default_factory=dict)     # tuple of stems -> (label, where, layer) of every name
    translit: dict = field(default_factory=dict)  # tuple of translit keys -> label (not acronyms)

    def add(self, name: str, label: str, where: str = "", layer: int = 0) -> None:
        """Add one name. A name listed under another label by an earlier ``layer`` (an earlier
        directory) is overridden; under another label in the same layer it is a ValueError."""
        from ..text import tokenize

        words = tuple(w for _, _, w in tokenize(name))
        if not words:
            return
        fold = tuple(stem(w) for w in words)
        old = self.seen.get(fold)  # "BERT" and "bert" are one name, whatever the case rule
        if old is not None and old[0] != label and old[2] == layer:
            raise ValueError(f"{where}: {name!r} is listed as {label} and as {old[0]} ({old[1]}); keep one")
        if old is None or old[2] != layer:
            self.seen[fold] = (label, where, layer)
        keys = [(self.folded, fold)]
        if is_acronym(name):  # as written; with a digit ("GPT-4", "T5") in lower case too
            keys = [(self.exact, tuple(_exact(w) for w in words))] + (keys if re.search(r"\d", name) else [])
        rom, forms = forms_of([_exact(w) for w in words])
        if not is_acronym(name) and sum(map(len, rom)) >= 4 and min(map(len, rom)) >= 2:
            keys += [(self.translit, (*rom[:-1], form)) for form in forms[-1]]
        for table, key in keys:
            if table is not self.translit or self.translit.get(key, (label,))[0] == label or layer:
                table[key] = (label, where, bool(_CYRILLIC.search(name)))
        self.longest = max(self.longest, len(words))
        self.sizes[label] = self.sizes.get(label, 0) + 1

    def spans(self, words) -> list[tuple[int, int, str]]:
        """``(start, end, label)`` token spans of the names in ``words``: longest match, left to right,
        dates included, "not an entity" phrases removed."""
        words = list(words)
        exact = [_exact(w) for w in words]
        folded = [stem(w) for w in words]
        rom, forms = forms_of(exact)
        found, i, n = [], 0, len(words)
        dates = {start: (end, label) for start, end, label in _date_spans(words)}
        while i < n:
            hit = None
            for size in range(min(self.longest, n - i), 0, -1):
                entry = self.exact.get(tuple(exact[i:i + size])) or self.folded.get(tuple(folded[i:i + size]))
                for form in () if entry else forms[i + size - 1]:  # a name in the other script
                    entry = self.translit.get((*rom[i:i + size - 1], form))
                    if entry and crosses(entry[2], exact[i:i + size]):
                        break
                    entry = None
                if entry:
                    hit = (i, i + size, entry[0])
                    break
            if i in dates and (hit is None or dates[i][0] > hit[1]):
                hit = (i, *dates[i])
            if hit is None:
                i += 1
                continue
            start, end, label = hit
            if end + 1 < n and words[end] in _APOSTROPHES and _CYRILLIC.fullmatch(words[end + 1][:1] or "x") \
                    and len(words[end + 1]) <= 3 and words[end + 1].isalpha():
                end += 2  # PyTorch ' е
            if label != NOT_AN_ENTITY:
                found.append((start, end, label))
            i = end
        return found

    def tags(self, words) -> list[str]:
        """IOB2 tags of ``words``."""
        return spans_tags(len(words), self.spans(words))


def load_lexicon(*directories, labels=None) -> Lexicon:
    """The lexicon of the ``<Label>.txt`` files in ``directories`` (default: the bundled one).

    ``labels`` (default: the schema's) limits the file names; a file for another label, an
    empty directory or a name listed under two labels in one directory is a ``UserError`` naming
    file and line. A later directory wins over an earlier one: ``load_lexicon(BUNDLED, mine)``
    is the bundled lists with the user's names, and the user's labels where they differ.
    """
    if labels is None:
        from ..schema import load_schema

        labels = load_schema().names
    directories = [Path(d) for d in directories] or [BUNDLED]
    lexicon = Lexicon(labels=tuple(labels))
    digest = hashlib.sha256()
    for layer, directory in enumerate(directories):
        if not directory.is_dir():
            raise UserError(f"{directory}: no such lexicon directory (expected files like Model.txt in it)")
        files = sorted(directory.glob("*.txt"))
        if not files:
            raise UserError(f"{directory}: no <Label>.txt files in this lexicon directory")
        for path in files:
            label = path.stem
            if label not in labels and label != NOT_AN_ENTITY:
                raise UserError(f"{path}: {label!r} is not a label (labels: {', '.join(labels)}); "
                                f"rename the file to <Label>.txt")
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise UserError(f"{path}: unreadable ({e})") from None
            digest.update(path.name.encode() + b"\0" + text.encode())
            for lineno, line in enumerate(text.splitlines(), 1):
                name = "" if line.lstrip().startswith("#") else line.split(" #", 1)[0].strip()
                if name:
                    try:
                        lexicon.add(name, label, f"{path}:{lineno}", layer)
                    except ValueError as e:
                        raise UserError(str(e)) from None
    lexicon.version = f"lexicon@{digest.hexdigest()[:8]}"
    return lexicon


_MONTH = re.compile(r"(январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)(ь|я|е|ю|ем|ём|й|и|а|у|ом)?",
                    re.I)
_YEAR = re.compile(r"(19[5-9]\d|20[0-4]\d)([–—-](19[5-9]\d|20[0-4]\d))?")
_YEAR_WORD = re.compile(r"(год|году|года|годом|годы|годов|годах|г)", re.I)
_PERIOD = re.compile(r"(начал|конц|середин|втор|перв|трет|четв[её]рт|осен|весн|лет|зим)\w*|[QH][1-4]", re.I)
_QUARTER = re.compile(r"(квартал|полугоди)\w*", re.I)
_ISO = re.compile(r"(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_DOTTED = re.compile(r"(0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])\.(19|20)\d\d")
_DAY = re.compile(r"(0?[1-9]|[12]\d|3[01])")


def _date_at(words, i, bare_year: bool = False) -> int:
    """The end of a date that starts at word ``i`` (``i`` when none); a year alone counts
    only with ``bare_year`` (the ends of "с 2019 по 2021 год")."""
    n = len(words)

    def w(k):
        return words[k] if k < n else ""

    if _ISO.fullmatch(w(i)) or _DOTTED.fullmatch(w(i)):
        return i + 1
    if w(i).upper() in ("Q", "H") and w(i + 1) in ("1", "2", "3", "4") and _YEAR.fullmatch(w(i + 2)):
        return i + 3 + bool(_YEAR_WORD.fullmatch(w(i + 3)))  # "Q1 2025": razdel cuts Q from 1
    k = i
    if _PERIOD.fullmatch(w(k)) and (_MONTH.fullmatch(w(k + 1)) or _YEAR.fullmatch(w(k + 1)) or _QUARTER.fullmatch(w(k + 1))):
        k += 1
        if _QUARTER.fullmatch(w(k)):
            k += 1
    if _DAY.fullmatch(w(k)) and _MONTH.fullmatch(w(k + 1)):
        k += 1
    if _MONTH.fullmatch(w(k)):
        k += 1
        if _YEAR.fullmatch(w(k)):
            k += 1
            if _YEAR_WORD.fullmatch(w(k)):
                k += 1
        return k
    if _YEAR.fullmatch(w(k)):
        if w(k + 1) in ("–", "-", "—") and _YEAR.fullmatch(w(k + 2)):
            k += 2
        if _YEAR_WORD.fullmatch(w(k + 1)):
            return k + 2
        if k > i or bare_year:  # "начале 2024", "2020–2023"
            return k + 1
    return i


def _date_spans(words) -> list[tuple[int, int, str]]:
    """Date spans by pattern; "с X по Y" joins two dates into one range."""
    spans, i, n = [], 0, len(words)
    while i < n:
        if words[i].lower() == "с":  # a range: "с 2019 по 2021 год", "с января по декабрь 2023 года"
            first = _date_at(words, i + 1, bare_year=True)
            if first > i + 1 and first < n and words[first].lower() == "по":
                second = _date_at(words, first + 1, bare_year=True)
                if second > first + 1:
                    spans.append((i, second, "Date"))
                    i = second
                    continue
        end = _date_at(words, i)
        if end == i:
            i += 1
            continue
        spans.append((i, end, "Date"))
        i = end
    return spans


class LexiconModel:
    """A lexicon in the model protocol: tags with probability 1.0, one-hot probabilities."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self.labels = tuple(lexicon.labels)
        self.tags = ("O", *(f"{p}-{label}" for label in self.labels for p in "BI"))
        self.name = "lexicon"
        self.version = lexicon.version

    @classmethod
    def load(cls, *directories) -> "LexiconModel":
        return cls(load_lexicon(*directories))

    def predict(self, batch):
        from .base import Prediction

        out = []
        for words in batch:
            tags = self.lexicon.tags(words)
            out.append(Prediction(tuple(tags), tuple(1.0 for _ in tags)))
        return out

    def probabilities(self, batch):
        import numpy as np

        column = {tag: k for k, tag in enumerate(self.tags)}
        arrays = []
        for prediction in self.predict(batch):
            a = np.zeros((len(prediction.tags), len(self.tags)), dtype=np.float32)
            for i, tag in enumerate(prediction.tags):
                a[i, column[tag]] = 1.0
            arrays.append(a)
        return arrays


def union(model_tags, lexicon_tags) -> list[str]:
    """Model tags, plus each lexicon entity whose words the model left all ``O``.

    >>> union(["B-Model", "O", "O"], ["B-Dataset", "B-Method_ML", "O"])
    ['B-Model', 'B-Method_ML', 'O']
    """
    from ..bio import tags_spans, to_iob2

    model_tags = to_iob2(model_tags)
    spans = tags_spans(model_tags)
    for start, end, label in tags_spans(lexicon_tags):
        if all(t == "O" for t in model_tags[start:end]):
            spans.append((start, end, label))
    return spans_tags(len(model_tags), sorted(spans))
