"""JSON Lines: one record per sentence, streamed both ways.

A record written here::

    {"id": "train:12", "document": "train-1", "docstart": true, "text": "Модель BERT.",
     "tokens": ["Модель", "BERT", "."], "tags": ["O", "B-Model", "O"],
     "spans": [{"start": 7, "end": 11, "label": "Model", "text": "BERT"}]}

``start``/``end`` index the record's ``text``. Consecutive records with the
same ``document`` form one document; ``docstart`` says whether it opened with
``-DOCSTART-`` in CoNLL, so CoNLL -> JSONL -> CoNLL keeps document breaks.

Records from elsewhere may carry less:

- ``text`` and ``spans`` only: the text is tokenized with razdel and every span
  must start and end on token boundaries (a span that does not is an error
  naming the line and the span, never dropped or stretched);
- ``tokens`` and ``tags`` only: the text is rebuilt from the tokens;
- ``text``, ``tokens`` and ``spans``: the tokens are located in the text;
- ``text`` and ``entities`` (``ner tag`` output: ``start``, ``end``, ``label``,
  ``text``, ``score``): read as ``spans`` over razdel's tokens, as the tagger
  tokenized it (span scores are kept by ``ner ls push``, not by the records).

When ``tags`` and ``spans`` are both given they must agree. Tags are checked
like CoNLL tags (schema, IOB1/BIOES repaired to IOB2) with issues on the
record's line.

Left out: nested spans (BIO cannot hold them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from ..bio import spans_tags, tags_spans
from ..check import Report, TagChecker
from ..errors import UserError
from ..records import Document, Sentence, group_documents
from ..schema import Schema
from ..text import tokenize
from .registry import checked_tags


def format_record(sentence: Sentence, document: Document, index: int) -> dict:
    """The JSON record (a dict) of one sentence of ``document``; ``index`` numbers it from 1."""
    text = sentence.text
    spans = [{"start": s.start, "end": s.end, "label": s.label, "text": s.text} for s in sentence.spans]
    return {"id": sentence.id or f"{document.id}:{index}", "document": document.id,
            "docstart": bool(document.meta.get("docstart")), "text": text,
            "tokens": list(sentence.words), "tags": list(sentence.tags), "spans": spans}


def dump_jsonl(documents: Iterable[Document], path: str | Path) -> int:
    """Write one JSON record per sentence (UTF-8, one line each); returns the number written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for doc in documents:
            for index, sentence in enumerate(doc.sentences, 1):
                f.write(json.dumps(format_record(sentence, doc, index), ensure_ascii=False))
                f.write("\n")
                count += 1
    return count


def locate_tokens(text: str, tokens, where: str) -> tuple[tuple[int, int], ...]:
    """Offsets of ``tokens`` found in order in ``text``, only whitespace between them.

    >>> locate_tokens("Модель  BERT.", ["Модель", "BERT", "."], "x")
    ((0, 6), (8, 12), (12, 13))
    """
    offsets = []
    pos = 0
    for i, token in enumerate(tokens):
        while not text.startswith(token, pos) and pos < len(text) and text[pos].isspace():
            pos += 1
        if not token or not text.startswith(token, pos):
            raise UserError(f"{where}: token #{i + 1} {token!r} is not at offset {pos} of the text "
                            f"(found {text[pos:pos + 20]!r}); the tokens must spell out the text in order")
        offsets.append((pos, pos + len(token)))
        pos += len(token)
    return tuple(offsets)


def _span_ranges(spans, text: str, offsets, where: str) -> list[tuple[int, int, str, float | None]]:
    """Token ranges of character spans with their ``score`` (None: not given); a span off token boundaries
    is an error."""
    starts = {s: i for i, (s, _) in enumerate(offsets)}
    ends = {e: i + 1 for i, (_, e) in enumerate(offsets)}
    ranges = []
    for span in spans:
        if not isinstance(span, dict) or not {"start", "end", "label"} <= span.keys():
            raise UserError(f"{where}: span {span!r} needs start, end and label")
        start, end, label = span["start"], span["end"], span["label"]
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise UserError(f"{where}: span {start}:{end} ({label}) is outside the text of {len(text)} characters")
        if "text" in span and span["text"] != text[start:end]:
            raise UserError(f"{where}: span {start}:{end} ({label}) says {span['text']!r} but the text "
                            f"there is {text[start:end]!r}; fix the offsets")
        if start not in starts or end not in ends:
            raise UserError(f"{where}: span {start}:{end} ({label}) {text[start:end]!r} does not start and "
                            f"end on token boundaries (razdel tokens: "
                            f"{[text[s:e] for s, e in offsets if e > start and s < end]}); "
                            f"move its edges to whole tokens")
        score = span.get("score")
        if score is not None and not (isinstance(score, (int, float)) and 0 <= score <= 1):
            raise UserError(f"{where}: span {start}:{end} ({label}) has score {score!r}; a score is a number "
                            f"from 0 to 1 (or leave it out)")
        ranges.append((starts[start], ends[end], label, start, end, score))
    ranges.sort()
    for a, b in zip(ranges, ranges[1:]):
        if b[0] < a[1]:
            raise UserError(f"{where}: span {b[3]}:{b[4]} ({b[2]}) {text[b[3]:b[4]]!r} overlaps span "
                            f"{a[3]}:{a[4]} ({a[2]}) {text[a[3]:a[4]]!r}; BIO cannot hold overlapping "
                            f"spans, keep one")
    return [(*r[:3], r[5]) for r in ranges]


# Where other tools keep a record's annotation (Hugging Face, doccano, spaCy-style JSONL).
_OTHER_ANNOTATIONS = ("ner_tags", "labels", "label", "entities", "ner")


def _tag_entities(entities) -> bool:
    """Whether ``entities`` has ``ner tag``'s shape (a list of objects with start, end and label), not
    another tool's (doccano's ``[start, end, label]`` lists, spaCy's tuples), which stays refused."""
    return isinstance(entities, list) and all(isinstance(e, dict) and {"start", "end", "label"} <= e.keys()
                                              for e in entities)


def parse_record(record, where: str, line: int = 0, default_id: str = "") -> Sentence:
    """The Sentence of one record (see the module docstring for the shapes accepted)."""
    if not isinstance(record, dict):
        raise UserError(f"{where}: a record must be a JSON object, not {type(record).__name__}")
    text, tokens, tags, spans = (record.get(k) for k in ("text", "tokens", "tags", "spans"))
    if text is not None and not isinstance(text, str):
        raise UserError(f"{where}: 'text' must be a string")
    for name, value in (("tokens", tokens), ("tags", tags)):
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise UserError(f"{where}: {name!r} must be a list of strings")
    if spans is not None and not isinstance(spans, list):
        raise UserError(f"{where}: 'spans' must be a list")
    if spans is None and tags is None and text is not None and _tag_entities(record.get("entities")):
        spans = record["entities"]  # ``ner tag`` output: read like spans (off token boundaries: an error)
    if tokens is not None:
        offsets = locate_tokens(text, tokens, where) if text is not None else None
    elif text is not None:
        found = tokenize(text)
        tokens = [w for _, _, w in found]
        offsets = tuple((s, e) for s, e, _ in found)
    else:
        raise UserError(f"{where}: the record has neither 'tokens' nor 'text'")
    if spans is not None and text is None and tags is None:
        raise UserError(f"{where}: spans need the record's 'text' (their offsets index it)")
    scores = ()
    if spans is not None and text is not None:
        scored = _span_ranges(spans, text, offsets, where)
        ranges = [r[:3] for r in scored]
        if any(r[3] is not None for r in scored):   # a span without a score is taken as sure
            scores = tuple(1.0 if r[3] is None else float(r[3]) for r in scored)
        if tags is None:
            tags = spans_tags(len(tokens), ranges)
        elif sorted(ranges) != sorted(tags_spans(tags)):
            raise UserError(f"{where}: 'spans' and 'tags' disagree; drop one of them or make them match")
    if tags is None:
        other = next((key for key in _OTHER_ANNOTATIONS if record.get(key)), None)
        if other is not None:  # read as no annotation, every entity would become O without a word
            raise UserError(f"{where}: {other!r} is not read here; give the annotation as 'tags' (a list of "
                            f"IOB2 strings) or 'spans' (start, end, label into 'text')")
        tags = ["O"] * len(tokens)
    if len(tags) != len(tokens):
        raise UserError(f"{where}: {len(tokens)} tokens but {len(tags)} tags")
    sentence_id = str(record["id"]) if record.get("id") is not None else default_id
    return Sentence(tuple(tokens), tuple(tags), line, sentence_id,
                    text if offsets is not None else None, offsets, scores)


def load_jsonl(path: str | Path, *, schema: Schema | None = None,
               report: Report | None = None) -> Iterator[Document]:
    """Stream the documents of a JSONL file; malformed records raise UserError with path:line."""
    report = report if report is not None else Report()
    path = str(path)
    stem = Path(path).stem
    checker = TagChecker(path, schema, report)
    try:
        f = open(path, encoding="utf-8-sig")
    except OSError as e:
        raise UserError(f"{path}: cannot read the file ({e.strerror}); check the path") from None

    def entries():
        with f:
            try:
                for lineno, raw in enumerate(f, 1):
                    if not raw.strip():
                        continue
                    where = f"{path}:{lineno}"
                    try:
                        record = json.loads(raw.rstrip("\r\n"))
                    except json.JSONDecodeError as e:
                        raise UserError(f"{where}: not valid JSON ({e.msg} at column {e.colno}); "
                                        f"each line must hold one JSON object") from None
                    sentence = parse_record(record, where, lineno, f"{stem}:{lineno}")
                    if not sentence.words:
                        continue  # an empty text holds no tokens and no spans
                    tags = checked_tags(checker, report, sentence.words, sentence.tags, lineno)
                    yield (str(record.get("document", stem)), bool(record.get("docstart", "document" in record)),
                           sentence.with_tags(tags))
            except UnicodeDecodeError as e:
                raise UserError(f"{path}: not UTF-8 text ({e.reason}); re-save it as UTF-8") from None

    yield from group_documents(entries(), path)
    checker.finish()


__all__ = ["dump_jsonl", "load_jsonl", "format_record", "parse_record", "locate_tokens"]
