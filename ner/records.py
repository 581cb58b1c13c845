"""The records everything else passes around: Token, Span, Sentence, Document.

Offsets are Python slice offsets (``start``, ``end``, end exclusive) into the text
of the record that owns them: a sentence's tokens and spans index ``sentence.text``,
a document's index ``document.text``. ``text[start:end] == span.text`` always holds
and is checked when a record is built from offsets (``Span.at``).

A Sentence read from CoNLL holds only words and tags (cheap to build while
streaming); its text, tokens and spans are derived on demand. Sentences built
from raw text (razdel) or from Label Studio carry their own text and offsets.

Left out: nested or overlapping spans (BIO cannot hold them; see ``bio.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    label: str
    text: str

    @staticmethod
    def at(text: str, start: int, end: int, label: str) -> "Span":
        """The span of ``text[start:end]``; raises ValueError on an empty or out-of-range slice."""
        if not 0 <= start < end <= len(text):
            raise ValueError(f"span {start}:{end} ({label}) is outside a text of {len(text)} characters")
        return Span(start, end, label, text[start:end])


def token_span(text: str, offsets, i: int, j: int, label: str) -> Span:
    """The span of tokens ``i`` to ``j - 1`` (as ``bio.tags_spans`` gives them), with ``offsets`` into ``text``.

    >>> token_span("Модель BERT base", ((0, 6), (7, 11), (12, 16)), 1, 3, "Model")
    Span(start=7, end=16, label='Model', text='BERT base')
    """
    start, end = offsets[i][0], offsets[j - 1][1]
    return Span(start, end, label, text[start:end])


def join_words(words) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Rebuild a text from words as a person writes it (``detok.detokenize``); return it with each
    word's (start, end). The offsets, not a re-tokenization, are the truth.

    >>> join_words(["Модель", "BERT", "(", "2018", ")", "."])
    ('Модель BERT (2018).', ((0, 6), (7, 11), (12, 13), (13, 17), (17, 18), (18, 19)))
    """
    from .detok import detokenize

    return detokenize(words)


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: words with their IOB2 tags.

    ``line`` is the 1-based source line of the first word (0 when not from a file);
    word ``i`` stood on line ``line + i``. ``offsets`` is given when the sentence
    comes from a text with its own spacing (razdel, Label Studio); otherwise the
    text is rebuilt with ``join_words``.
    """

    words: tuple[str, ...]
    tags: tuple[str, ...]
    line: int = 0
    id: str = ""
    source_text: str | None = None
    offsets: tuple[tuple[int, int], ...] | None = None
    # one probability per span (``spans`` order) when the source gave them (``ner tag``, ``ner consensus``)
    scores: tuple[float, ...] = field(default=(), compare=False)

    def __post_init__(self):
        if len(self.words) != len(self.tags):
            raise ValueError(f"sentence {self.id!r}: {len(self.words)} words but {len(self.tags)} tags")
        if (self.offsets is None) != (self.source_text is None):
            raise ValueError(f"sentence {self.id!r}: source_text and offsets come together")
        if self.offsets is not None:
            if len(self.offsets) != len(self.words):
                raise ValueError(f"sentence {self.id!r}: offsets need one pair per word")
            for word, (start, end) in zip(self.words, self.offsets):
                if self.source_text[start:end] != word:
                    raise ValueError(
                        f"sentence {self.id!r}: word {word!r} is not at {start}:{end} of its text"
                    )
        if self.scores:
            from .bio import tags_spans

            if len(self.scores) != len(tags_spans(self.tags)):
                raise ValueError(f"sentence {self.id!r}: {len(self.scores)} span scores for "
                                 f"{len(tags_spans(self.tags))} spans")

    def __len__(self) -> int:
        return len(self.words)

    @property
    def layout(self) -> tuple[str, tuple[tuple[int, int], ...]]:
        """The text and each word's (start, end) in it, from one join when the text is rebuilt."""
        if self.offsets is not None:
            return self.source_text, self.offsets
        return join_words(self.words)

    @property
    def text(self) -> str:
        return self.source_text if self.source_text is not None else join_words(self.words)[0]

    @property
    def token_offsets(self) -> tuple[tuple[int, int], ...]:
        return self.layout[1]

    @property
    def tokens(self) -> tuple[Token, ...]:
        return tuple(Token(w, s, e) for w, (s, e) in zip(self.words, self.token_offsets))

    @property
    def spans(self) -> tuple[Span, ...]:
        from .bio import tags_spans

        text, offsets = self.layout
        return tuple(token_span(text, offsets, i, j, label) for i, j, label in tags_spans(self.tags))

    def spaced(self, k: int) -> bool:
        """Whether the text has a blank between words ``k`` and ``k + 1`` (words without a text of their own: yes)."""
        return self.offsets is None or self.offsets[k][1] < self.offsets[k + 1][0]

    def written(self, i: int, j: int) -> str:
        """Words ``i:j`` as the text they came from has them ('A100', '5\u202f000'), each run of blanks between two
        words one space; words without a text of their own (CoNLL) joined by spaces ('A 100')."""
        return "".join(self.words[k] + (" " if k + 1 < j and self.spaced(k) else "") for k in range(i, j))

    def with_tags(self, tags) -> "Sentence":
        """The same words with ``tags``; the span scores go along only when the tags are the same."""
        tags = tuple(tags)
        return Sentence(self.words, tags, self.line, self.id, self.source_text, self.offsets,
                        self.scores if tags == self.tags else ())


@dataclass(frozen=True, slots=True)
class Document:
    """Sentences of one document; its text is the sentence texts joined by newlines."""

    id: str
    sentences: tuple[Sentence, ...]
    path: str = ""
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def sentence_starts(self) -> tuple[int, ...]:
        starts = []
        pos = 0
        for sentence in self.sentences:
            starts.append(pos)
            pos += len(sentence.text) + 1
        return tuple(starts)

    @property
    def text(self) -> str:
        return "\n".join(s.text for s in self.sentences)

    @property
    def tokens(self) -> tuple[Token, ...]:
        return tuple(
            Token(t.text, t.start + base, t.end + base)
            for sentence, base in zip(self.sentences, self.sentence_starts)
            for t in sentence.tokens
        )

    @property
    def spans(self) -> tuple[Span, ...]:
        return tuple(
            Span(s.start + base, s.end + base, s.label, s.text)
            for sentence, base in zip(self.sentences, self.sentence_starts)
            for s in sentence.spans
        )

    @property
    def n_tokens(self) -> int:
        return sum(len(s) for s in self.sentences)


def group_documents(entries, path: str = ""):
    """Documents from ``(doc_id, docstart, sentence)`` in file order: a new one where the id changes.

    Formats that store one record per sentence (JSONL, CSV, HF datasets) keep the
    document id on each record; this puts the documents back together, streaming.
    """
    current, docstart, sentences = None, False, []
    for doc_id, opens, sentence in entries:
        if doc_id != current and sentences:
            yield Document(current, tuple(sentences), path, {"docstart": docstart})
            sentences = []
        if not sentences:
            current, docstart = doc_id, opens
        sentences.append(sentence)
    if sentences:
        yield Document(current, tuple(sentences), path, {"docstart": docstart})
