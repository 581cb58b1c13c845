"""Mention replacement: training sentences whose names are swapped for other names of their label.

A tagger trained on a few thousand sentences learns the names themselves (and the lexicon
feature that lists them) more than the context around them ("модель X", "на датасете X"). Swapping a
mention's words for another name of the same label (Dai & Adel 2020) makes the surface form
unreliable and the context worth learning. ``Augmenter.epoch(k)`` gives the training sentences of
epoch ``k``: each sentence with names is, with probability ``share``, replaced by a copy whose
names (Date aside: dates are patterns) are each swapped for

- another name of the label from the training sentences themselves (half the time), or
- a generated one in a shape names of its label take (``generate_name``): CamelCase, acronym
  with a version, hyphenated, dotted or plain lower case, "X AI"/"X Bench", a Cyrillic spelling
  with the case ending of the word it replaces ("Зорексом" for "Яндексом"); for labels whose
  names are phrases (Method_ML, Task, Activity) only names from the corpus.

The positions of swapped-in words are returned too: the lexicon feature is hidden there
(``NavecNet.lexicon_hidden``), so a name from the lists does not teach the lists again.
Sentences of another type (a distillation's silver sentences) pass through untouched.

Left out: replacing context words, and names that span a sentence boundary.
"""

from __future__ import annotations

import random
from typing import Sequence

from ..bio import spans_tags, tags_spans, to_iob2
from ..records import Sentence

PHRASE_LABELS = {"Method_ML", "Task", "Activity"}
KEEP_LABELS = {"Date"}
_CONSONANTS, _VOWELS = "bdfgklmnprstvz", "aeiou"
_CYRILLIC = dict(zip("bdfgklmnprstvzaeiou", "бдфгклмнпрствзаеиоу")) | {"x": "кс"}


def _syllables(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(n)) + rng.choice(_CONSONANTS + "x")


# the shapes each label's names take (generate_name); the corpus shows them: "Sber AI", "GPT-4o", "SQuAD", "llama.cpp"
SHAPES = {"Model": ("acronym", "versioned", "camel", "cyrillic"),
          "Organization": ("camel", "cyrillic", "suffixed", "word"),
          "Dataset": ("camel", "acronym", "suffixed", "cyrillic"),
          "Application": ("lower", "hyphen", "dotted", "camel", "cyrillic")}
SUFFIXES = {"Organization": [" AI", " Labs", " Research", "Tech"], "Dataset": ["QA", "Bench", "-1M", " Corpus", "-Instruct"]}


def generate_name(label: str, rng: random.Random, like: str = "") -> str:
    """A made-up name in one of the shapes names of ``label`` take (``SHAPES``); ``like`` (the word it
    replaces) lends its Cyrillic case ending to a Cyrillic name.

    >>> generate_name("Model", random.Random(1))
    'STP-2'
    """
    stem = _syllables(rng, rng.randint(1, 2))
    shape = rng.choice(SHAPES.get(label, ("camel", "cyrillic", "word")))
    if shape == "camel":
        return stem.capitalize() + _syllables(rng, 1).capitalize()
    if shape == "acronym":
        acronym = "".join(rng.choice("ABCDEFGHKLMNPRSTVXZ") for _ in range(rng.randint(2, 4)))
        if label == "Dataset":
            return acronym + rng.choice(["", "", "-2", " v2", "++", "-QA"])
        return acronym + rng.choice(["-", " ", ""]) + rng.choice(["2", "3.5", "7B", "v2", "1.1", "XL", "13B"])
    if shape == "versioned":
        return stem.capitalize() + rng.choice([" 2", "-3", "-7B", " 1.5", "-instruct", " Pro"])
    if shape == "hyphen":
        return f"{stem}-{_syllables(rng, 1)}"
    if shape == "dotted":
        return f"{stem}.{rng.choice(['ai', 'js', 'io', 'cpp', 'py'])}"
    if shape == "lower":
        return stem
    if shape == "suffixed":
        return stem.capitalize() + rng.choice(SUFFIXES[label])
    if shape == "cyrillic":  # declined as the word it replaces
        from ..models.lexicon import stem as russian_stem

        ending = like[len(russian_stem(like)):] if like and like.isalpha() and not like.isascii() else ""
        return "".join(_CYRILLIC.get(c, c) for c in stem).capitalize() + ending
    return stem.capitalize()


def name_pool(sentences) -> dict[str, list[tuple[str, ...]]]:
    """The distinct names (word tuples) of each label in ``sentences``, in order of first mention."""
    pool: dict[str, dict] = {}
    for s in sentences:
        for a, b, label in tags_spans(to_iob2(s.tags)):
            pool.setdefault(label, {})[tuple(s.words[a:b])] = None
    return {label: list(names) for label, names in pool.items()}


def replace_names(sentence: Sentence, pool, rng: random.Random) -> tuple[Sentence, frozenset[int]]:
    """A copy of ``sentence`` with each name (Date aside) swapped, and the positions of the new words."""
    from ..text import tokenize

    words, tags, new = [], [], []
    spans = {a: (b, label) for a, b, label in tags_spans(to_iob2(sentence.tags))}
    i = 0
    while i < len(sentence.words):
        if i not in spans or spans[i][1] in KEEP_LABELS:
            words.append(sentence.words[i])
            tags.append(sentence.tags[i] if i not in spans else "B-" + spans[i][1])
            i += 1
            continue
        end, label = spans[i]
        names = [n for n in pool.get(label, ()) if n != tuple(sentence.words[i:end])]
        if names and (label in PHRASE_LABELS or rng.random() < 0.5):
            name = list(rng.choice(names))
        else:
            name = [w for _, _, w in tokenize(generate_name(label, rng, sentence.words[end - 1]))]
        new += range(len(words), len(words) + len(name))
        tags += spans_tags(len(name), [(0, len(name), label)])
        words += name
        i = end
    return Sentence(tuple(words), tuple(tags), sentence.line, sentence.id), frozenset(new)


class Augmenter:
    """Each epoch's training sentences with names swapped in ``share`` of those that have any."""

    def __init__(self, sentences: Sequence, share: float, seed: int = 0):
        self.sentences = list(sentences)
        self.share = share
        self.seed = seed
        self.pool = name_pool(s for s in self.sentences if type(s) is Sentence)

    def epoch(self, k: int) -> tuple[list, dict[tuple[str, ...], frozenset[int]]]:
        """``(sentences, hidden)``: ``hidden`` maps a swapped sentence's words to its new positions."""
        rng = random.Random(self.seed * 7919 + k)
        out, hidden = [], {}
        for s in self.sentences:
            if type(s) is Sentence and any(t != "O" for t in s.tags) and rng.random() < self.share:
                s, new = replace_names(s, self.pool, rng)
                hidden[s.words] = new
            out.append(s)
        return out, hidden
