"""What the corpus says about a span's label apart from the model: for the critic's retype signals.

``LabelCues(words, tags, labels)`` counts, over the annotated spans of the corpus, the labels
of each **stem key** (the span's words by the lexicon's crude stem, so "России" and "Россия" are
one form) and of each **cue** (what a dictionary says about the span: the bundled lexicon's
label where it lists the span, the pymorphy3 grammemes of its words: first name, surname,
place, organisation; and the shape of its first word). ``features(words, start, end, label,
annotated)`` reads them for one span, leaving the span's own annotation out:

- ``stem_n``: log(1 + other annotated spans with the same stems);
- ``stem_agree``: the share of them with this label (0.5 when there are none);
- ``cue_agree``: the smoothed share of spans with the same cue that carry this label;
- ``cue_other``: the largest such share of any other label;
- ``first_in``, ``last_in``: how often the span's first and last words are inside an entity
  elsewhere in the corpus ("и", "по" hardly ever are: a span that ends on one ran too far);
- ``prev_in``, ``next_in``: the same for the words just before and after it (a span followed by a
  word that is mostly inside entities stopped too early).

The cue counts are learned from the corpus itself, so they hold for any label set (a lexicon
label or a grammeme means what the corpus's annotators made of it). Left out: the context of
the span (the out-of-fold model reads it).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Sequence

from ...bio import tags_spans

FEATURES = ("stem_n", "stem_agree", "cue_agree", "cue_other", "first_in", "last_in", "prev_in", "next_in")
SMOOTH = 2.0   # pseudo-counts of the corpus's label shares added to each cue's counts


def shape(word: str) -> str:
    if not word[:1].isalpha():
        return "digit" if word[:1].isdigit() else "punct"
    latin = word[:1].isascii()
    return ("latin-" if latin else "") + ("upper" if word.isupper() and len(word) > 1 else
                                          "cap" if word[:1].isupper() else "lower")


def _masks(words: Sequence[Sequence[str]]) -> dict[str, int]:
    from ...models import morph

    if not morph.available():
        return {}
    vocab = sorted({w for ws in words for w in ws})
    return dict(zip(vocab, morph.vocab_table(vocab).tolist()))   # cached on disk per vocabulary


def _lexicon_spans(words: Sequence[Sequence[str]]) -> list[dict]:
    """Per sentence, ``{(start, end): lexicon label}`` of the bundled lexicon's matches."""
    from ...errors import UserError
    from ...models.lexicon import load_lexicon

    try:
        lexicon = load_lexicon()
    except UserError:  # a missing or broken bundled lexicon only costs this cue
        return [{} for _ in words]
    return [{(i, j): lab for i, j, lab in lexicon.spans(ws)} for ws in words]


class LabelCues:
    def __init__(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], labels: Sequence[str]):
        from ...models.lexicon import stem

        self.stem = stem
        self.masks = _masks(words)
        self.lexicon = _lexicon_spans(words)
        self.by_stem: dict[tuple, Counter] = defaultdict(Counter)
        self.by_cue: dict[tuple, Counter] = defaultdict(Counter)
        shares = Counter()
        self.inside: Counter = Counter()   # lower-cased word -> occurrences inside an entity
        self.seen: Counter = Counter()     # lower-cased word -> occurrences
        for ws, ts in zip(words, tags):
            for w, t in zip(ws, ts):
                self.seen[w.lower()] += 1
                self.inside[w.lower()] += t != "O"
        for item, (ws, ts) in enumerate(zip(words, tags)):
            for i, j, label in tags_spans(ts):
                self.by_stem[self.stem_key(ws, i, j)][label] += 1
                self.by_cue[self.cue(item, ws, i, j)][label] += 1
                shares[label] += 1
        total = sum(shares.values()) or 1
        self.prior = {label: shares[label] / total for label in labels}

    def stem_key(self, words, start: int, end: int) -> tuple:
        return tuple(self.stem(w) for w in words[start:end])

    def cue(self, item: int, words, start: int, end: int) -> tuple:
        mask = 0
        for w in words[start:end]:
            mask |= self.masks.get(w, 0)
        listed = self.lexicon[item].get((start, end)) if item < len(self.lexicon) else None
        return listed or "", mask, shape(words[start]), min(end - start, 3)

    def features(self, item: int, words, start: int, end: int, label: str, annotated: bool) -> list[float]:
        own = 1 if annotated else 0
        counts = self.by_stem.get(self.stem_key(words, start, end), Counter())
        others = sum(counts.values()) - own
        same = counts[label] - own
        cue = self.by_cue.get(self.cue(item, words, start, end), Counter())
        n = sum(cue.values()) - own

        def share(lab: str) -> float:
            return (cue[lab] - (own if lab == label else 0) + SMOOTH * self.prior.get(lab, 0.0)) / (n + SMOOTH)

        other = max((share(lab) for lab in self.prior if lab != label), default=0.0)
        return [math.log1p(max(0, others)), same / others if others > 0 else 0.5, share(label), other,
                self.inside_rate(words, start, own), self.inside_rate(words, end - 1, own),
                self.inside_rate(words, start - 1, 0), self.inside_rate(words, end, 0)]

    def inside_rate(self, words, t: int, own: int) -> float:
        """Smoothed share of the corpus's occurrences of word ``t`` that lie inside an entity (``own``: leave
        this one out); 0 outside the sentence."""
        if not 0 <= t < len(words):
            return 0.0
        w = words[t].lower()
        return (self.inside[w] - own + 0.5) / (self.seen[w] - own + 1)
