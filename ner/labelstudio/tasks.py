"""Label Studio task JSON <-> records, with no network: the two directions of the round trip.

Out: ``document_tasks`` makes one task per document (or per N sentences) whose
text is rebuilt from the tokens; the task data keeps every token's code-point
range (``ner_tokens``), the sentence sizes (``ner_sentences``), the document id
and part, and a content hash (``ner_hash``) that makes re-pushing idempotent;
``stamp_batch`` adds the digest of the batch the task is sent in (``ner_batch``),
so a re-push can ask the server whether a batch is complete without listing its
tasks. ``document_parts`` (the keys and hashes) and ``tagged_task`` (text, token
ranges, results) are its two halves, so a push builds only the tasks it sends.
Existing tags go along as an annotation or as a prediction (``spans_to_results``,
offsets in code points as Label Studio stores and draws them, text alongside).

Back: ``task_sentences`` maps a chosen annotation's regions onto the stored
tokens (or onto razdel tokens when the task came from elsewhere) through
``offsets.py``, and reports every region it snapped, could not resolve, or could
not place because it overlaps another (the longer one is kept). Report codes:

====  =======  ==========================================================
W201  warning  region snapped to token boundaries (what was done)
W202  warning  region with a label outside the schema (kept)
W203  warning  stored tokens do not fit the task text; razdel used instead
W206  warning  region offsets read as UTF-16 or CRLF-as-one (an old export; placed)
E201  error    region offsets fit its text in no reading (not placed)
E205  error    code points and another reading fit at different places (not placed)
E202  error    region cannot be snapped unambiguously (not placed)
E203  error    region overlaps another one (not placed; the other is kept)
E204  error    region with several labels (the first is kept)
====  =======  ==========================================================

Left out: choosing among several annotations (``annotations.py``), files and HTTP.
"""

from __future__ import annotations

import hashlib
from itertools import accumulate

from ..bio import spans_tags, tags_spans
from ..check import Issue, Report
from ..records import Document, Sentence, Span
from ..text import sentences as razdel_sentences, tokenize
from .config import ConfigNames
from .offsets import Resolver, snap, to_label_studio


def content_hash(words, sizes) -> str:
    """The key of a task's content: its words and sentence sizes (not its tags)."""
    h = hashlib.sha1()
    h.update(" ".join(map(str, sizes)).encode())
    words = list(words)
    if words:  # a separator before each word
        h.update(("\x1f" + "\x1f".join(words)).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:20]


def stamp_batch(batch: list[dict]) -> str:
    """Store the batch's digest (its tasks' keys and content hashes, and its size) in each task data.

    >>> batch = [{"ner_doc": "d", "ner_part": 0, "ner_hash": "abc"}]
    >>> stamp_batch(batch) == batch[0]["ner_batch"] == "badfe3e838c463f08319-1"
    True
    """
    h = hashlib.sha1()
    for data in batch:
        doc, part = task_key(data)
        h.update(f"{doc}\x1f{part}\x1f{data['ner_hash']}\x1e".encode("utf-8", "surrogatepass"))
    digest = f"{h.hexdigest()[:20]}-{len(batch)}"
    for data in batch:
        data["ner_batch"] = digest
    return digest


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


def document_parts(doc: Document, *, sentences_per_task: int = 0) -> list[tuple[dict, tuple[Sentence, ...]]]:
    """``(key data, sentences)`` of each task of one document (one, or one per ``sentences_per_task``
    sentences): the key data holds the document id, the part, the docstart flag and the content hash,
    all that a re-push needs to compare; ``tagged_task`` builds the rest."""
    step = sentences_per_task or len(doc.sentences) or 1
    parts = []
    for part, first in enumerate(range(0, max(len(doc.sentences), 1), step)):
        chunk = doc.sentences[first:first + step]
        sizes = [len(s) for s in chunk]
        key = {"ner_doc": doc.id, "ner_part": part, "ner_sentences": sizes,
               "ner_hash": content_hash([w for s in chunk for w in s.words], sizes),
               "ner_docstart": bool(doc.meta.get("docstart"))}
        parts.append((key, chunk))
    return parts


def tagged_task(key: dict, sentences, *, tags_as: str | None = "annotations", model_version: str = "",
                names: ConfigNames = ConfigNames()) -> dict:
    """The task of ``document_parts``'s ``(key, sentences)``: text rebuilt from the tokens, every token's
    range, and the tags as an annotation, a prediction (``tags_as="predictions"``) or neither (None)."""
    offsets, tags, texts, pos = [], [], [], 0
    for k, sentence in enumerate(sentences):
        pos += 1 if k else 0  # the newline between sentences
        text, sent_offsets = sentence.layout
        offsets += [(s + pos, e + pos) for s, e in sent_offsets]
        tags += sentence.tags
        texts.append(text)
        pos += len(text)
    text = "\n".join(texts)
    task = {"data": {names.text_key: text, **key, "ner_tokens": offsets}}
    if not tags_as:
        return task
    spans = [Span(offsets[i][0], offsets[j - 1][1], label, text[offsets[i][0]:offsets[j - 1][1]])
             for i, j, label in tags_spans(tags)]
    if tags_as == "annotations":
        task["annotations"] = [{"result": spans_to_results(text, spans, names.from_name, names.to_name),
                                "ground_truth": False}]
    else:
        task["predictions"] = [{"model_version": model_version or "imported",
                                "result": spans_to_results(text, spans, names.from_name, names.to_name,
                                                           [1.0] * len(spans)),
                                "score": 1.0}]
    return task


def document_tasks(doc: Document, *, sentences_per_task: int = 0, tags_as: str | None = "annotations",
                   model_version: str = "", names: ConfigNames = ConfigNames()) -> list[dict]:
    """Tasks for one document: one, or one per ``sentences_per_task`` sentences."""
    return [tagged_task(key, chunk, tags_as=tags_as, model_version=model_version, names=names)
            for key, chunk in document_parts(doc, sentences_per_task=sentences_per_task)]


def task_tokens(data: dict, text: str, where: str, report: Report):
    """``(starts, ends, sizes)`` of the task's tokens: stored ones when they fit, else razdel's."""
    stored, sizes = data.get("ner_tokens"), data.get("ner_sentences")
    if stored is not None:
        try:
            starts = [int(s) for s, _ in stored]
            ends = [int(e) for _, e in stored]
            ok = (sum(sizes) == len(stored) and all(0 <= s < e <= len(text) for s, e in zip(starts, ends))
                  and all(a <= b for a, b in zip(ends, starts[1:])))
            stored_words = [text[s:e] for s, e in zip(starts, ends)]
            if ok and data.get("ner_hash") not in (None, content_hash(stored_words, sizes)):
                ok = False
            # Words outside the stored tokens would be lost: the gaps must be whitespace.
            gaps = zip([0, *ends], [*starts, len(text)])
            if ok and any(a < b and not text[a:b].isspace() for a, b in gaps):
                ok = False
        except (TypeError, ValueError):
            ok = False
        if ok:
            return starts, ends, list(sizes)
        report.issues.append(Issue(where, 0, "W203", "the stored tokens do not fit the task text (was the text "
                                                     "edited in Label Studio?); tokenized again with razdel"))
    tokens = tokenize(text)
    starts = [t[0] for t in tokens]
    ends = [t[1] for t in tokens]
    sizes = []
    for s, e in razdel_sentences(text):
        n = sum(1 for t in starts if s <= t < e)
        if n:
            sizes.append(n)
    return starts, ends, sizes


def regions(results) -> list[dict]:
    """The text-span regions of an annotation or prediction result list."""
    return [r for r in results or () if isinstance(r, dict) and isinstance(r.get("value"), dict)
            and r["value"].get("labels") is not None and "start" in r["value"]]


def task_sentences(task: dict, results, *, names: ConfigNames, where: str, report: Report,
                   schema=None) -> list[Sentence]:
    """The task's sentences with IOB2 tags from ``results``; every lossy case goes to ``report``."""
    data = task.get("data", task)
    text = data.get(names.text_key)
    if not isinstance(text, str):
        strings = [v for v in data.values() if isinstance(v, str)]
        text = strings[0] if len(strings) == 1 else ""
    issue = report.issues.append
    starts, ends, sizes = task_tokens(data, text, where, report)
    resolver = Resolver(text)
    placed = []
    for region in regions(results):
        value = region["value"]
        labels = value.get("labels") or []
        shown = value.get("text")
        head = f"{labels[0] if labels else '?'} {shown!r} at {value.get('start')}:{value.get('end')}"
        if not labels:
            issue(Issue(where, 0, "E204", f"{head}: the region has no label; not placed"))
            continue
        if len(labels) > 1:
            issue(Issue(where, 0, "E204", f"{head}: the region has {len(labels)} labels {labels}; "
                                          f"{labels[0]!r} is kept"))
        label = labels[0]
        if schema is not None and label not in schema:
            issue(Issue(where, 0, "W202", f"{head}: label {label!r} is not in the schema; kept"))
        resolved = resolver.resolve(value.get("start"), value.get("end"), shown)
        if isinstance(resolved, str):
            code = "E205" if resolved.startswith("ambiguous") else "E201"
            issue(Issue(where, 0, code, f"{head}: {resolved}; not placed"))
            continue
        s, e, reading = resolved
        if reading != "code points":
            issue(Issue(where, 0, "W206", f"{head}: offsets read as {reading} (an export of an older "
                                          f"Label Studio?) -> {text[s:e]!r} at {s}:{e}"))
        snapped = snap(starts, ends, text, s, e)
        if isinstance(snapped, str):
            issue(Issue(where, 0, "E202", f"{head}: {snapped}; not placed"))
            continue
        i, j, note = snapped
        if note:
            issue(Issue(where, 0, "W201", f"{head}: not on token boundaries: {note} -> "
                                          f"{text[starts[i]:ends[j - 1]]!r}"))
        placed.append((i, j, label, head))
    kept: list[tuple[int, int, str, str]] = []
    taken = [None] * len(starts)
    for i, j, label, head in sorted(placed, key=lambda p: (p[0] - p[1], p[0])):
        clash = next((taken[k] for k in range(i, j) if taken[k] is not None), None)
        if clash is None:
            kept.append((i, j, label, head))
            for k in range(i, j):
                taken[k] = (i, j, label, head)
        elif clash[:3] == (i, j, label):
            issue(Issue(where, 0, "W201", f"{head}: the same region twice; merged"))
        else:
            issue(Issue(where, 0, "E203", f"{head}: overlaps {clash[3]}, which is kept; not placed"))
    tags = spans_tags(len(starts), [(i, j, label) for i, j, label, _ in kept])
    out = []
    bounds = [0, *accumulate(sizes)]
    for n, (a, b) in enumerate(zip(bounds, bounds[1:])):
        if a == b:
            continue
        base = starts[a]
        out.append(Sentence(tuple(text[s:e] for s, e in zip(starts[a:b], ends[a:b])), tuple(tags[a:b]),
                            id=f"{where}:{n + 1}", source_text=text[base:ends[b - 1]],
                            offsets=tuple((s - base, e - base) for s, e in zip(starts[a:b], ends[a:b]))))
    return out


def task_key(task: dict) -> tuple[str, int]:
    """``(document id, part)`` of a task pushed by us, or ``('task-ID', 0)`` for any other task."""
    data = task.get("data", task)
    if "ner_doc" in data:
        return str(data["ner_doc"]), int(data.get("ner_part", 0))
    return f"task-{task.get('id', '?')}", 0


def assemble(parts) -> list[Document]:
    """Documents from ``(task, sentences)`` pairs, parts of one document joined in part order."""
    docs: dict[str, list] = {}
    meta: dict[str, dict] = {}
    for task, sentences in parts:
        doc_id, part = task_key(task)
        docs.setdefault(doc_id, []).append((part, sentences))
        meta.setdefault(doc_id, {"docstart": bool(task.get("data", task).get("ner_docstart"))})
    return [Document(doc_id, tuple(s for _, ss in sorted(chunks, key=lambda c: c[0]) for s in ss),
                     meta=meta[doc_id]) for doc_id, chunks in docs.items()]
