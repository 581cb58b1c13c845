"""Tag raw text with a trained model: ``tag(text)``, ``Tagger.load(path).tag_many(texts)``.

Text is split into sentences (razdel ``sentenize``) and words (razdel ``tokenize``,
with emoji split off the letters they touch); the words go to the model
(``ner.models.TokenModel``), whose IOB2 tags become entities with character offsets
into the caller's own string, whatever it holds (emoji, ``\\r\\n``, NBSP, ё/й).
``text[e.start:e.end] == e.text`` is checked for every entity. Texts longer than
the model's window are tagged whole: the model slides its window with a stride.

Scores: an entity's score is the lowest probability the model gave to the tags of
its words; a text's score (``TaggedText.score``) is the lowest tag probability of
any of its words, so sorting by it ascending puts the most uncertain texts first.

Left out: nested entities (the models tag IOB2), tokenization by the model's own
sub-word tokenizer (the model maps words to sub-words and back itself).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..bio import tags_spans, to_iob2
from ..errors import UserError
from ..markup import model_inputs, model_outputs
from ..records import Token
from ..text import segment

DEFAULT_MODEL = "models/default"
DEFAULT_BATCH_SIZE = 128  # sentences per model call


@dataclass(frozen=True, slots=True)
class Entity:
    """A predicted entity: ``text[start:end]`` of the tagged string, its label and probability."""

    start: int
    end: int
    label: str
    text: str
    score: float

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label, "text": self.text,
                "score": round(self.score, 4)}


@dataclass(frozen=True, slots=True)
class TaggedText:
    """Everything ``Tagger.analyze`` learns about one text.

    ``tokens``/``tags``/``scores`` are per word; ``sentences`` holds ``(first, end)``
    word-index ranges. ``score`` is the lowest word probability (1.0 for a text without words).
    """

    text: str
    entities: tuple[Entity, ...]
    score: float
    tokens: tuple[Token, ...] = ()
    tags: tuple[str, ...] = ()
    scores: tuple[float, ...] = ()
    sentences: tuple[tuple[int, int], ...] = ()


def entities_of(text: str, words, tags, scores) -> tuple[Entity, ...]:
    """Entities of one sentence from its ``(start, end, word)`` list, IOB2 tags and tag probabilities.

    >>> words = [(0, 4, "GPT2"), (5, 9, "GPT3")]
    >>> [(e.text, e.label) for e in entities_of("GPT2 GPT3", words, ["B-Model", "B-Model"], [0.9, 0.8])]
    [('GPT2', 'Model'), ('GPT3', 'Model')]
    """
    entities = []
    for i, j, label in tags_spans(tags):
        start, end = words[i][0], words[j - 1][1]
        entity = Entity(start, end, label, text[start:end], min(scores[i:j]))
        if not (entity.text.startswith(words[i][2]) and entity.text.endswith(words[j - 1][2])):
            raise AssertionError(f"entity {start}:{end} ({label}) is not at its words {words[i][2]!r}..")
        entities.append(entity)
    return tuple(entities)


class Tagger:
    """A loaded model plus the text handling around it. Thread-safe for prediction."""

    cache_size = 4  # models kept loaded by ``load`` (least recently used goes first); set to change
    _cache: "OrderedDict[tuple[str, str], tuple[tuple, Tagger]]" = OrderedDict()
    _cache_lock = threading.Lock()

    def __init__(self, model, path: str | Path | None = None):
        self.model = model
        self.path = Path(path) if path is not None else None

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.model.labels)

    @classmethod
    def load(cls, path: str | Path, device: str | None = None) -> "Tagger":
        """The tagger of the model in ``path``; loaded once per process and cached.

        The cache holds ``Tagger.cache_size`` models (4), one per directory and device: a
        directory whose files changed (retrained in place) is loaded again and replaces its
        old entry; past the limit the least recently used model is dropped.
        """
        from ..models import load_model

        key = (str(Path(path).resolve()), device or "")
        stamp = _stamp(Path(path))  # a model retrained into the same directory is a new model
        with cls._cache_lock:
            cached = cls._cache.get(key)
            if cached is not None and cached[0] == stamp:
                cls._cache.move_to_end(key)
                return cached[1]
            tagger = cls(load_model(path, device=device), path)
            cls._cache[key] = (stamp, tagger)  # replaces the older model of this directory
            cls._cache.move_to_end(key)
            while len(cls._cache) > max(0, cls.cache_size):
                cls._cache.popitem(last=False)
            return tagger

    @classmethod
    def cached(cls) -> list["Tagger"]:
        """The taggers ``load`` keeps, least recently used first."""
        with cls._cache_lock:
            return [tagger for _, tagger in cls._cache.values()]

    def analyze_many(self, texts: Iterable[str], batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[TaggedText]:
        """``TaggedText`` of each text, in order; sentences of several texts share model calls.

        Lazy: texts are consumed as batches fill up, so an endless stream works in constant memory.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        pending: list[tuple[str, list]] = []  # texts whose sentences are queued
        queued = 0
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"tag() takes strings, not {type(text).__name__}")
            sentences = segment(text)
            pending.append((text, sentences))
            queued += len(sentences)
            if queued >= batch_size:
                yield from self._run(pending, batch_size)
                pending, queued = [], 0
        if pending:
            yield from self._run(pending, batch_size)

    def _run(self, pending, batch_size: int) -> Iterator[TaggedText]:
        batch, plan = model_inputs(pending)  # each line with its markup blanked (ner/markup.py)
        # One call for a batch that overfilled a little (no small leftover calls); chunks for one huge text.
        step = len(batch) if len(batch) < 2 * batch_size else batch_size
        predictions = []
        for i in range(0, len(batch), max(step, 1)):
            predictions.extend(self.model.predict(batch[i:i + step]))
        if len(predictions) != len(batch):
            raise RuntimeError(f"model {self.name} returned {len(predictions)} predictions for {len(batch)} sentences")
        predictions = model_outputs(plan, predictions)  # back onto the sentences' own words, markup off the edges
        k = 0
        for text, sentences in pending:
            words, tags, scores, bounds = [], [], [], []
            for sentence in sentences:
                prediction = predictions[k]
                k += 1
                if len(prediction.tags) != len(sentence) or len(prediction.scores) != len(sentence):
                    raise RuntimeError(f"model {self.name} tagged {len(prediction.tags)} of {len(sentence)} words")
                bounds.append((len(words), len(words) + len(sentence)))
                words.extend(sentence)
                tags.extend(to_iob2(prediction.tags))  # the reading evaluate.score uses
                scores.extend(prediction.scores)
            entities = []
            for first, end in bounds:  # entities never cross a sentence boundary
                entities.extend(entities_of(text, words[first:end], tags[first:end], scores[first:end]))
            yield TaggedText(
                text=text,
                entities=tuple(entities),
                score=min(scores) if scores else 1.0,
                tokens=tuple(Token(w, s, e) for s, e, w in words),
                tags=tuple(tags),
                scores=tuple(scores),
                sentences=tuple(bounds),
            )

    def analyze(self, text: str) -> TaggedText:
        """Entities of ``text`` with the text's uncertainty score (lowest word probability)."""
        return next(self.analyze_many([text]))

    def tag_many(self, texts: Iterable[str], batch_size: int = DEFAULT_BATCH_SIZE) -> list[list[Entity]]:
        """Entities of each text, in order; batched across texts."""
        return [list(t.entities) for t in self.analyze_many(texts, batch_size=batch_size)]

    def tag(self, text: str) -> list[Entity]:
        """Entities of ``text``, with offsets into it."""
        return list(self.analyze(text).entities)


def _stamp(directory: Path) -> tuple:
    """Names, sizes and modification times of a model directory's files: any retraining changes it."""
    try:
        return tuple(sorted((p.name, st.st_size, st.st_mtime_ns) for p in directory.iterdir()
                            if p.is_file() and (st := p.stat())))
    except OSError:
        return ()


def default_model_path() -> Path:
    """``$NER_MODEL``, else ``models/default``; UserError when it is not a model directory."""
    from ..models import MODEL_FILE

    from ..settings import default_model

    path, value = default_model()
    if not (path / MODEL_FILE).exists():
        source = "NER_MODEL" if value else f"the default {DEFAULT_MODEL}"
        raise UserError(f"no model at {path} ({source}); train one with 'ner train' into {DEFAULT_MODEL} "
                        f"or set NER_MODEL to a model directory")
    return path


def tag(text: str) -> list[Entity]:
    """Entities of ``text`` from the default model (``$NER_MODEL`` or ``models/default``), loaded once."""
    return Tagger.load(default_model_path()).tag(text)
