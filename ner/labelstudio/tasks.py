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
from ..records import Document, Sentence, Span, token_span
from ..text import sentences as razdel_sentences, tokenize
from .config import ConfigNames
from .layout import Layout, chunks, detokenize
from .offsets import Resolver, snap, to_label_studio


def content_hash(words, sizes) -> str:
    """The key of a task's content: its words and sentence sizes (not its tags)."""
    h = hashlib.sha1()
    h.update(" ".join(map(str, sizes)).encode())
    words = list(words)
    if words:  # a separator before each word
        h.update(("\x1f" + "\x1f".join(words)).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:20]


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
    results = spans_to_results(text, spans, names.from_name, names.to_name,
                               None if tags_as == "annotations" else [1.0] * len(spans))
    if tags_as == "annotations":
        task["annotations"] = [{"result": results, "ground_truth": False}]
    else:
        task["predictions"] = [{"model_version": model_version or "imported", "result": results, "score": 1.0}]
    return task


def document_tasks(doc: Document, *, layout: Layout = Layout(), tags_as: str | None = "annotations",
                   model_version: str = "", names: ConfigNames = ConfigNames()) -> list[dict]:
    """Tasks for one document, cut by ``layout``."""
    return [tagged_task(info, laid, tags_as=tags_as, model_version=model_version, names=names)
            for info, laid in document_parts(doc, layout)]


_LEGACY = {"doc": "ner_doc", "part": "ner_part", "hash": "ner_hash", "sentences": "ner_sentences",
           "tokens": "ner_tokens", "docstart": "ner_docstart", "batch": "ner_batch"}


def task_info(task: dict) -> dict | None:
    """Our bookkeeping of a task (``meta["ner"]``, or the ``ner_*`` data fields of older pushes); None
    for a task made elsewhere."""
    meta = task.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("ner"), dict):
        return meta["ner"]
    data = task.get("data", task)
    if isinstance(data, dict) and "ner_doc" in data:
        return {key: data[old] for key, old in _LEGACY.items() if old in data}
    return None


def task_tokens(info: dict | None, text: str, where: str, report: Report):
    """``(starts, ends, sizes)`` of the task's tokens: stored ones when they fit, else razdel's."""
    info = info or {}
    stored, sizes = info.get("tokens"), info.get("sentences")
    if stored is not None:
        try:
            starts = [int(s) for s, _ in stored]
            ends = [int(e) for _, e in stored]
            ok = (sum(sizes) == len(stored) and all(0 <= s < e <= len(text) for s, e in zip(starts, ends))
                  and all(a <= b for a, b in zip(ends, starts[1:])))
            stored_words = [text[s:e] for s, e in zip(starts, ends)]
            if ok and info.get("hash") not in (None, content_hash(stored_words, sizes)):
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
    starts, ends, sizes = task_tokens(task_info(task), text, where, report)
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
