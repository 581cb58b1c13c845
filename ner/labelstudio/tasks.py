"""Label Studio task JSON <-> records, with no network: the two directions of the round trip.

Out: ``document_parts`` cuts each document into tasks of one sitting (``layout.Layout``:
at most N sentences / M characters) and ``tagged_task`` builds each task: its text
rebuilt from the tokens as a person writes it (``layout.detokenize``), and its
bookkeeping out of the annotator's sight in the task's ``meta["ner"]``: every token's
code-point range, the sentence sizes, the document id, its content hash and the part,
the layout, the part's content hash, the batch digest. One short data field (``ner``:
``|batch:D|slot:S|``) is what the server can filter on: a re-push counts tasks by batch
digest, and lists only the tasks of a batch's slot (the same documents in the same
layout) to find which document changed. Existing tags go along as an annotation or as
a prediction (``spans_to_results``, offsets in code points as Label Studio stores and
draws them, text alongside). Tasks pushed before (bookkeeping in ``ner_*`` data fields)
are still read.

Back: ``regions.py`` (``task_sentences``, re-exported here). Both read the bookkeeping through
``meta.py`` (``task_info``, ``content_hash``).

Left out: files and HTTP.
"""

from __future__ import annotations

import hashlib

from ..bio import tags_spans
from ..records import Document, Sentence, Span, token_span  # noqa: F401  (Span: the doctest's)
from .config import ConfigNames
from .layout import Layout, chunks, detokenize
from .meta import content_hash, task_info
from .offsets import to_label_studio
from .regions import regions, task_sentences, task_tokens  # noqa: F401  (the way back, re-exported)

KEY_FIELD = "ner"  # the one bookkeeping field in task data: what the server filters on


def key_value(batch: str, slot: str) -> str:
    """The ``ner`` data field; filters match its ``|name:value|`` parts with 'contains'."""
    return f"|batch:{batch}|slot:{slot}|"


def stamp_batch(batch: list[dict]) -> str:
    """Store the batch's digest (its tasks' keys, layouts and content hashes, and its size) and its slot
    (the keys and layouts only: the same documents in the same layout) in each task's info.

    >>> batch = [{"doc": "d", "part": 0, "layout": "10s1500c", "hash": "abc"}]
    >>> digest = stamp_batch(batch)
    >>> digest == batch[0]["batch"] and digest.endswith("-1") and len(batch[0]["slot"]) == 20
    True
    """
    digest, slot = hashlib.sha1(), hashlib.sha1()
    for info in batch:
        key = f"{info['doc']}\x1f{info['part']}\x1f{info['layout']}\x1f".encode("utf-8", "surrogatepass")
        slot.update(key + b"\x1e")
        digest.update(key + f"{info['hash']}\x1e".encode())
    value = f"{digest.hexdigest()[:20]}-{len(batch)}"
    for info in batch:
        info["batch"], info["slot"] = value, slot.hexdigest()[:20]
    return value


def spans_to_results(text: str, spans, from_name: str, to_name: str, scores=None) -> list[dict]:
    """Label Studio ``labels`` results for code-point ``spans`` of ``text``.

    Offsets are code points (``offsets.to_label_studio``: what Label Studio stores
    and draws), with the span's text alongside so they are checked on the way back.

    >>> spans_to_results("😀 BERT", [Span(2, 6, "Model", "BERT")], "label", "text", [0.9])[0]["value"]
    {'start': 2, 'end': 6, 'text': 'BERT', 'labels': ['Model']}
    """
    results = []
    for k, span in enumerate(spans):
        if text[span.start:span.end] != span.text:
            raise ValueError(f"span {span.text!r} is not at {span.start}:{span.end} of the text")
        start, end = to_label_studio(text, span.start, span.end)
        result = {"id": f"n{k}", "from_name": from_name, "to_name": to_name, "type": "labels",
                  "origin": "manual" if scores is None else "prediction",
                  "value": {"start": start, "end": end, "text": span.text, "labels": [span.label]}}
        if scores is not None:
            result["score"] = float(scores[k])
        results.append(result)
    return results


def sentence_layout(sentence: Sentence) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A sentence's text and token ranges: its own when it has them, else rebuilt as a person writes."""
    if sentence.offsets is not None:
        return sentence.source_text, sentence.offsets
    return detokenize(sentence.words)


def document_parts(doc: Document, layout: Layout = Layout()) -> list[tuple[dict, list]]:
    """``(info, laid-out sentences)`` of each task of one document, cut by ``layout``.

    ``info`` holds what a re-push compares (the document id and content hash, the part and
    the layout, the part's content hash) and the sentence sizes; each laid-out sentence is
    ``(sentence, text, token ranges)``, what ``tagged_task`` builds the task from."""
    laid = [(s, *sentence_layout(s)) for s in doc.sentences]
    sizes = [len(s) for s in doc.sentences]
    doc_hash = content_hash((w for s in doc.sentences for w in s.words), sizes)
    ranges = chunks([len(text) for _, text, _ in laid], layout)
    parts = []
    for part, (first, end) in enumerate(ranges):
        info = {"doc": doc.id, "doc_hash": doc_hash, "part": part, "parts": len(ranges), "layout": str(layout),
                "sentences": sizes[first:end], "docstart": bool(doc.meta.get("docstart")),
                "hash": content_hash((w for s in doc.sentences[first:end] for w in s.words), sizes[first:end])}
        parts.append((info, laid[first:end]))
    return parts


def laid_scores(laid, count: int) -> list[float]:
    """The span scores of laid-out sentences in order (1.0 where a sentence has none), or ``count``
    times 1.0 when they do not add up to the ``count`` spans of the task."""
    scores = [p for sentence, _, _ in laid
              for p in (sentence.scores or [1.0] * len(tags_spans(sentence.tags)))]
    return scores if len(scores) == count else [1.0] * count


def prediction_score(scores) -> float:
    """A prediction's (and so its task's) score: its least sure span; 1.0 without spans."""
    return round(float(min(scores, default=1.0)), 4)


def tagged_task(info: dict, laid, *, tags_as: str | None = "annotations", model_version: str = "",
                names: ConfigNames = ConfigNames()) -> dict:
    """The task of ``document_parts``'s ``(info, laid)``: the text, the bookkeeping in ``meta``, and the
    tags as an annotation, a prediction (``tags_as="predictions"``) or neither (None)."""
    offsets, tags, texts, pos = [], [], [], 0
    for k, (sentence, text, sent_offsets) in enumerate(laid):
        pos += 1 if k else 0  # the newline between sentences
        offsets += [(s + pos, e + pos) for s, e in sent_offsets]
        tags += sentence.tags
        texts.append(text)
        pos += len(text)
    text = "\n".join(texts)
    task = {"data": {names.text_key: text, KEY_FIELD: key_value(info.get("batch", ""), info.get("slot", ""))},
            "meta": {"ner": {**info, "tokens": offsets}}}
    if not tags_as:
        return task
    spans = [token_span(text, offsets, i, j, label) for i, j, label in tags_spans(tags)]
    scores = laid_scores(laid, len(spans))
    results = spans_to_results(text, spans, names.from_name, names.to_name,
                               None if tags_as == "annotations" else scores)
    if tags_as == "annotations":
        task["annotations"] = [{"result": results, "ground_truth": False}]
    else:
        task["predictions"] = [{"model_version": model_version or "imported", "result": results,
                                "score": prediction_score(scores)}]
    return task


def document_tasks(doc: Document, *, layout: Layout = Layout(), tags_as: str | None = "annotations",
                   model_version: str = "", names: ConfigNames = ConfigNames()) -> list[dict]:
    """Tasks for one document, cut by ``layout``."""
    return [tagged_task(info, laid, tags_as=tags_as, model_version=model_version, names=names)
            for info, laid in document_parts(doc, layout)]


def task_key(task: dict) -> tuple[str, int]:
    """``(document id, part)`` of a task pushed by us, or ``('task-ID', 0)`` for any other task."""
    info = task_info(task) if "meta" in task or "data" in task else task
    if info and "doc" in info:
        return str(info["doc"]), int(info.get("part", 0))
    return f"task-{task.get('id', '?')}", 0


def assemble(parts) -> list[Document]:
    """Documents from ``(task, sentences)`` pairs, parts of one document joined in part order."""
    docs: dict[str, list] = {}
    meta: dict[str, dict] = {}
    for task, sentences in parts:
        doc_id, part = task_key(task)
        docs.setdefault(doc_id, []).append((part, sentences))
        info = task_info(task) or {}
        meta.setdefault(doc_id, {"docstart": bool(info.get("docstart"))})
    return [Document(doc_id, tuple(s for _, ss in sorted(chunks, key=lambda c: c[0]) for s in ss),
                     meta=meta[doc_id]) for doc_id, chunks in docs.items()]

