"""Label Studio regions -> tagged sentences: the way back of ``tasks.py``, with no network.

``task_sentences`` maps a chosen annotation's regions onto the stored
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
E206  error    task with no text in its data (not read)
W208  warning  region over a sentence break (one span per sentence, each opened with B-)
====  =======  ==========================================================

Left out: choosing among several annotations (``annotations.py``), files and HTTP.
"""

from __future__ import annotations

from itertools import accumulate

from ..bio import spans_tags
from ..check import Issue, Report
from ..records import Sentence
from ..text import sentences as razdel_sentences, tokenize
from .config import ConfigNames
from .offsets import Resolver, snap
from .meta import content_hash, task_info


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
    """The label regions of an annotation or prediction result list: every ``labels`` result and every
    value with ``labels``, broken ones too (no offsets, no labels), so that they are reported, not
    dropped; per-region choices or text areas are not regions."""
    return [r for r in results or () if isinstance(r, dict) and isinstance(r.get("value"), dict)
            and (r.get("type") == "labels" or "labels" in r["value"])]


def task_sentences(task: dict, results, *, names: ConfigNames, where: str, report: Report,
                   schema=None) -> list[Sentence]:
    """The task's sentences with IOB2 tags from ``results``; every lossy case goes to ``report``."""
    data = task.get("data", task)
    text = data.get(names.text_key)
    issue = report.issues.append
    if not isinstance(text, str):
        strings = [v for v in data.values() if isinstance(v, str)] if isinstance(data, dict) else []
        if len(strings) != 1:
            fields = ", ".join(sorted(map(str, data))) if isinstance(data, dict) else type(data).__name__
            issue(Issue(where, 0, "E206", f"no text in data.{names.text_key} (data fields: {fields or 'none'}); "
                                          f"the task and its {len(regions(results))} region(s) not read"))
            return []
        text = strings[0]
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
        if note:   # a token grown to is the span as placed: not named twice
            placed_as = repr(text[starts[i]:ends[j - 1]])
            same = note == f"grown to the whole token {placed_as}"
            issue(Issue(where, 0, "W201", f"{head}: not on token boundaries: {note}"
                                          + ("" if same else f" -> {placed_as}")))
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
    for i, j, label, head in sorted(kept):
        # A region over a line break of the task: each sentence keeps its part, opened with B-X (a sentence
        # never starts with I-X), and the sentence count stays that of the task (annotators stay aligned).
        crossed = [b for b in bounds if i < b < j]
        if crossed:
            last = crossed[0] - 1  # the token before the first break
            issue(Issue(where, 0, "W208", f"{head}: runs over the sentence break after "
                                          f"{text[starts[last]:ends[last]]!r}; split into one span per sentence "
                                          f"(if it is one entity, the corpus splits that sentence wrongly)"))
            for b in crossed:
                tags[b] = "B-" + label
    for n, (a, b) in enumerate(zip(bounds, bounds[1:])):
        if a == b:
            continue
        base = starts[a]
        out.append(Sentence(tuple(text[s:e] for s, e in zip(starts[a:b], ends[a:b])), tuple(tags[a:b]),
                            id=f"{where}:{n + 1}", source_text=text[base:ends[b - 1]],
                            offsets=tuple((s - base, e - base) for s, e in zip(starts[a:b], ends[a:b]))))
    return out
