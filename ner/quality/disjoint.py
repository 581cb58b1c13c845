"""Name-disjoint evaluation: how a model does on names it never saw in training.

A random split scores a name finder mostly on names it memorised. Here the distinct names
of a corpus (each mention's words folded by ``name_key``: case, ё/е, a Russian stem, and a
Cyrillic spelling of a Latin name folded to its Latin form, so "Яндекса", "Яндексом" and
"Яндекс" are one name and "Лламы" is "LLaMA") are counted per label, a seeded ``fraction`` of
them is held out, every sentence that mentions a held-out name becomes the test part, and
training keeps the rest (``disjoint_split``). ``without_names`` removes the held-out names from
lexicon files, so neither the lexicon feature nor the lists alone know them.

``seen_unseen`` scores predictions separately on the test part's unseen names (held out) and
seen names (the other mentions of the same sentences): strict span matches, P/R/F1 per label and
micro. A predicted span counts as unseen when it matches or overlaps an unseen gold name or its
own words are a held-out name; the others count as seen.

Left out: nested names, names shared by two labels (each label holds its own names out).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def name_key(words) -> str:
    """The folded form of a name's words: one key for its spellings and case forms.

    >>> name_key(["Яндекса"]) == name_key(["яндексом"]), name_key(["BERT-а"]) == name_key(["BERT"])
    (True, True)
    """
    from ..models.lexicon import stem
    from ..models.translit import latin_key

    return " ".join(latin_key(stem(w.replace("ё", "е").replace("Ё", "Е"))) for w in words)


def sentence_names(sentence) -> list[tuple[int, int, str, str]]:
    """``(start, end, label, key)`` of each entity of a sentence (token offsets)."""
    from ..bio import tags_spans, to_iob2

    return [(a, b, label, name_key(sentence.words[a:b])) for a, b, label in tags_spans(to_iob2(sentence.tags))]


@dataclass(frozen=True, slots=True)
class DisjointSplit:
    train: tuple
    test: tuple
    held_out: frozenset  # (label, key) pairs
    names: int  # distinct (label, key) pairs in the corpus


def disjoint_split(sentences, fraction: float = 0.3, seed: int = 0) -> DisjointSplit:
    """Hold out a seeded ``fraction`` of the distinct names; test: every sentence mentioning one."""
    sentences = list(sentences)
    found = [sentence_names(s) for s in sentences]
    names = sorted({(label, key) for spans in found for _, _, label, key in spans})
    order = list(range(len(names)))
    random.Random(seed).shuffle(order)
    held = frozenset(names[i] for i in order[: round(len(names) * fraction)])
    test, train = [], []
    for s, spans in zip(sentences, found):
        (test if any((label, key) in held for _, _, label, key in spans) else train).append(s)
    return DisjointSplit(tuple(train), tuple(test), held, len(names))


def without_names(files: dict[str, str], held_out) -> tuple[dict[str, str], int]:
    """Lexicon files (name -> text) with every line naming a held-out name (under any label) dropped;
    returns the files and the number of lines dropped."""
    from ..text import tokenize

    keys = {key for _, key in held_out}
    out, dropped = {}, 0
    for file, text in files.items():
        kept = []
        for line in text.splitlines():
            name = "" if line.lstrip().startswith("#") else line.split(" #", 1)[0].strip()
            if name and name_key([w for _, _, w in tokenize(name)]) in keys:
                dropped += 1
                continue
            kept.append(line)
        out[file] = "\n".join(kept) + "\n"
    return out, dropped


def seen_unseen(sentences, predicted, held_out) -> dict[str, dict[str, Counts]]:
    """``{"unseen"|"seen": {label: Counts}}`` (``consensus.merge.Counts``: true positives, predicted and
    gold spans) of predicted tags against the sentences' gold tags."""
    from ..bio import tags_spans, to_iob2
    from .consensus.merge import Counts

    held_keys = {key for _, key in held_out}
    out = {"unseen": {}, "seen": {}}

    def add(kind, label, tp=0, fp=0, fn=0):
        out[kind][label] = out[kind].get(label, Counts()) + Counts(tp, tp + fp, tp + fn)

    for s, tags in zip(sentences, predicted):
        gold = {(a, b, label): (label, key) in held_out for a, b, label, key in sentence_names(s)}
        found = tags_spans(to_iob2(list(tags)))
        for span, unseen in gold.items():
            add("unseen" if unseen else "seen", span[2], **({"tp": 1} if span in found else {"fn": 1}))
        for a, b, label in found:
            if (a, b, label) in gold:
                continue
            unseen = (name_key(s.words[a:b]) in held_keys
                      or any(u and ga < b and a < gb for (ga, gb, _), u in gold.items()))
            add("unseen" if unseen else "seen", label, fp=1)
    return out

