"""A spaCy pipeline component that sets ``doc.ents`` from our model.

>>> import spacy, ner.tagger.spacy_component                       # doctest: +SKIP
>>> nlp = spacy.blank("ru")                                  # doctest: +SKIP
>>> nlp.add_pipe("ner_tagger", config={"model": "models/default"})  # doctest: +SKIP

Importing this module registers the factory ``ner_tagger``. The entities are the
ones ``Tagger.tag(doc.text)`` finds, at the same character offsets. Where an entity
boundary falls inside one of spaCy's tokens (spaCy keeps '2023г' whole, razdel does
not), that token is split at the boundary, so no entity is dropped or widened.

Left out: training through spaCy (use ``ner train``); overlapping entities.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from .core import Tagger


class NerTaggerComponent:
    def __init__(self, tagger: Tagger, batch_size: int = 64):
        self.tagger = tagger
        self.batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        return self._set(doc, self.tagger.tag(doc.text))

    def pipe(self, docs, batch_size: int | None = None):
        batch = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= (batch_size or self.batch_size):
                yield from self._set_many(batch)
                batch = []
        if batch:
            yield from self._set_many(batch)

    def _set_many(self, docs):
        found = self.tagger.tag_many([d.text for d in docs], batch_size=self.batch_size)
        for doc, entities in zip(docs, found):
            yield self._set(doc, entities)

    def _set(self, doc: Doc, entities) -> Doc:
        _split_at(doc, {e.start for e in entities} | {e.end for e in entities})
        spans = []
        for e in entities:
            span = doc.char_span(e.start, e.end, label=e.label, alignment_mode="strict")
            if span is None:  # whitespace at a boundary only; razdel never puts it inside a word
                raise ValueError(f"entity {e.start}:{e.end} {e.text!r} cannot be aligned to spaCy tokens")
            spans.append(span)
        doc.ents = spans
        return doc


def _split_at(doc: Doc, offsets: set[int]) -> None:
    """Split the tokens of ``doc`` that have one of ``offsets`` strictly inside them."""
    cuts = {}
    for token in doc:
        inside = sorted(o - token.idx for o in offsets if token.idx < o < token.idx + len(token.text))
        if inside:
            cuts[token.i] = inside
    if not cuts:
        return
    with doc.retokenize() as retokenizer:
        for i, points in cuts.items():
            token = doc[i]
            bounds = [0, *points, len(token.text)]
            orths = [token.text[a:b] for a, b in zip(bounds, bounds[1:])]
            # Each piece hangs on the first one; there is no parser to disagree.
            heads = [(token, 0)] * len(orths)
            retokenizer.split(token, orths, heads=heads)


@Language.factory("ner_tagger", default_config={"model": "models/default", "batch_size": 64})
def make_ner_tagger(nlp: Language, name: str, model: str, batch_size: int) -> NerTaggerComponent:
    return NerTaggerComponent(Tagger.load(model), batch_size=batch_size)
