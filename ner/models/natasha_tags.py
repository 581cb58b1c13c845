"""natasha's news NER as a word feature of the navec backbones.

natasha's wheel carries slovnet's news NER model (PER, LOC, ORG, trained on news, offline). Each
word of a sentence gets the id of the tag that model gives it: 0 padding, 1 ``O``, then ``B-PER``,
``I-PER``, ``B-LOC``, ``I-LOC``, ``B-ORG``, ``I-ORG``. The network embeds the id beside the word's
vector (``words.WordFeatures``), so a person's name or a company the lists do not hold reads as one
from the words around it, which natasha's model learned on far more text than a team's corpus.

The tags depend on the whole sentence, so they are computed per sentence (words in, the tokens as
given: no re-tokenising) and kept in a bounded cache. Nothing is saved in a model directory: the
wheel is the model, and ``ner_model.json``'s ``natasha_dim`` says the feature is on.

Left out: the syntax and morphology models of the same wheel.
"""

from __future__ import annotations

from typing import Sequence

TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")
IDS = {tag: i + 1 for i, tag in enumerate(TAGS)}
SIZE = len(TAGS) + 1  # rows of the embedding, padding included
CACHE = 200_000  # sentences kept before the cache starts over

_infer = None


def _tagger():
    """slovnet's NER inference object from natasha's bundled files (loaded once per process)."""
    global _infer
    if _infer is None:
        from natasha import NewsEmbedding, NewsNERTagger

        _infer = NewsNERTagger(NewsEmbedding()).infer
    return _infer


def natasha_tags(batch: Sequence[Sequence[str]]) -> list[list[str]]:
    """natasha's IOB2 tags (PER/LOC/ORG) for each list of words, the words as given."""
    items = [list(words) for words in batch if len(words)]
    infer = _tagger()
    found = iter(infer.decoder(infer.process(infer.encoder(items)))) if items else iter(())
    return [list(next(found)) if len(words) else [] for words in batch]


class NatashaTags:
    """Per-sentence feature ids (see the module docstring), cached by the sentence's words."""

    def __init__(self):
        self._known: dict[tuple, list[int]] = {}

    def ids(self, batch: Sequence[Sequence[str]]) -> list[list[int]]:
        keys = [tuple(words) for words in batch]
        found = {k: self._known[k] for k in keys if k in self._known}  # kept here: the cache may start over
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            if len(self._known) + len(missing) > CACHE:
                self._known.clear()
            for key, tags in zip(missing, natasha_tags(missing)):
                found[key] = self._known[key] = [IDS.get(t, 1) for t in tags]
        return [found[k] for k in keys]

    def tensor(self, batch: Sequence[Sequence[str]]):
        """[B, L] ids, padded with 0 to the longest list."""
        from .features import padded

        return padded(self.ids(batch))
