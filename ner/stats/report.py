"""The dataset report as data: counts, label and length distributions, and the signs of trouble.

``corpus_stats(paths)`` reads files of any format (``formats/registry.py``)
and returns a ``Stats`` record: documents, sentences and tokens; entities per
label and per file; span lengths in tokens; the most frequent surface forms
per label; surface forms tagged with more than one label, and forms annotated in some
sentences and left unannotated in others (inconsistent annotation: entities left out were
21 of the 24 wrong sentences readers found in a sample of the team's corpus, and a model
trained on the corpus learns such gaps); sentences that occur more than once (and whether their copies
disagree on tags); sentences shared between files (leakage between splits);
and the share of sentences that reading found no issue in. ``Stats.to_dict``
gives the JSON form. Formatting as a table lives in ``commands/stats.py``,
charts in ``stats/plots.py``.

An issue belongs to the sentence whose lines hold it; file-level issues
(encoding, scheme) are counted by code but taint no sentence.

Left out: near-duplicates (only identical token sequences count) and
agreement between annotators.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..bio import tags_spans
from ..check import Report
from ..records import token_span
from ..schema import Schema


@dataclass
class FileStats:
    path: str
    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    entities: Counter = field(default_factory=Counter)
    errors: int = 0
    warnings: int = 0
    clean_sentences: int = 0


@dataclass(frozen=True, slots=True)
class Duplicate:
    text: str
    count: int
    places: tuple[str, ...]   # "path:line" of each occurrence (path alone where lines are unknown)
    conflicting: bool         # the copies carry different tags


@dataclass(frozen=True, slots=True)
class Overlap:
    """Sentences found in both files: leakage when the files are splits of one corpus."""

    first: str
    second: str
    shared: int               # distinct sentences in both
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Partial:
    """A form annotated in some sentences and left unannotated in others (case folded)."""

    text: str                 # as first annotated
    labels: Counter           # label -> annotated occurrences
    unannotated: int
    places: tuple[str, ...]   # "path:line" of each sentence that leaves it unannotated ("path id" without lines)


@dataclass
class Stats:
    files: list[FileStats]
    entities: Counter                   # label -> entities
    lengths: dict[str, Counter]         # label -> span length in tokens -> entities
    forms: dict[str, Counter]           # label -> surface form -> entities
    ambiguous: list[tuple[str, Counter]]  # surface form, its labels, most frequent first
    duplicates: list[Duplicate]
    leakage: list[Overlap]
    issues: Counter                     # code -> count
    top: int = 10
    file_issues: list = field(default_factory=list)  # issues about whole files (unreadable, encoding, scheme)
    partial: list[Partial] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def clean_share(self) -> float:
        sentences = self.total("sentences")
        return self.total("clean_sentences") / sentences if sentences else 1.0

    @property
    def span_lengths(self) -> Counter:
        return sum(self.lengths.values(), Counter())

    def to_dict(self) -> dict:
        names = ("documents", "sentences", "tokens", "errors", "warnings", "clean_sentences")
        return {
            "totals": {"files": len(self.files), **{n: self.total(n) for n in names},
                       "entities": sum(self.entities.values()), "clean_share": round(self.clean_share, 4)},
            "files": [{"path": f.path, **{n: getattr(f, n) for n in names},
                       "entities": dict(sorted(f.entities.items()))} for f in self.files],
            "labels": {label: {"entities": n,
                               "span_lengths": {str(k): v for k, v in sorted(self.lengths[label].items())},
                               "top_forms": self.forms[label].most_common(self.top)}
                       for label, n in sorted(self.entities.items())},
            "span_lengths": {str(k): v for k, v in sorted(self.span_lengths.items())},
            "ambiguous_forms": [{"text": text, "labels": dict(labels.most_common())}
                                for text, labels in self.ambiguous],
            "partly_annotated_forms": [{"text": x.text, "labels": dict(x.labels.most_common()),
                                        "unannotated": x.unannotated, "places": list(x.places)}
                                       for x in self.partial],
            "duplicate_sentences": [{"text": d.text, "count": d.count, "places": list(d.places),
                                     "conflicting_tags": d.conflicting} for d in self.duplicates],
            "leakage": [{"files": [o.first, o.second], "shared": o.shared, "examples": list(o.examples)}
                        for o in self.leakage],
            "issues": dict(sorted(self.issues.items())),
        }


def _tainted_lines(report: Report, path: str) -> list[int]:
    return sorted({i.line for i in report.issues if i.path == path and i.line})


def corpus_stats(paths, *, schema: Schema | None = None, fmt: str | None = None, top: int = 10) -> Stats:
    """The report on the corpus made of ``paths`` (files of one format, guessed when ``fmt`` is None)."""
    from ..formats.registry import load

    entities: Counter = Counter()
    lengths: dict[str, Counter] = defaultdict(Counter)
    forms: dict[str, Counter] = defaultdict(Counter)
    seen: dict[tuple[str, ...], list] = {}  # words -> [text, [places], {tags}, {file index}]
    read: list[tuple[str, object]] = []     # (path, sentence), for the partly annotated forms
    files = []
    issues: Counter = Counter()
    file_issues = []
    for index, path in enumerate(map(str, paths)):
        report = Report()
        info = FileStats(path)
        starts: list[int] = []
        for doc in load(path, fmt, schema=schema, report=report):
            info.documents += 1
            for sentence in doc.sentences:
                info.sentences += 1
                info.tokens += len(sentence)
                starts.append(sentence.line)
                ranges = tags_spans(sentence.tags)
                if ranges:
                    text, offsets = sentence.text, sentence.token_offsets
                for i, j, label in ranges:
                    info.entities[label] += 1
                    lengths[label][j - i] += 1
                    forms[label][token_span(text, offsets, i, j, label).text] += 1
                entry = seen.get(sentence.words)
                if entry is None:
                    entry = seen[sentence.words] = [sentence.text, [], set(), set()]
                entry[1].append(f"{path}:{sentence.line}" if sentence.line else path)
                entry[2].add(sentence.tags)
                entry[3].add(index)
                read.append((path, sentence))
        tainted = {bisect.bisect_right(starts, line) - 1 for line in _tainted_lines(report, path)}
        tainted.discard(-1)
        info.clean_sentences = info.sentences - len(tainted)
        info.errors, info.warnings = len(report.errors), len(report.warnings)
        issues.update(i.code for i in report.issues)
        file_issues += [i for i in report.issues if not i.line]
        entities.update(info.entities)
        files.append(info)
    return Stats(files, entities, dict(lengths), dict(forms), _ambiguous(forms),
                 _duplicates(seen), _leakage(seen, [f.path for f in files], top), issues, top, file_issues,
                 _partial(read))


MAX_FORM = 5   # the longest annotated form looked for unannotated elsewhere, in words


def unannotated_occurrences(sentences) -> tuple[dict, list]:
    """``(labels, occurrences)``: the labels of each annotated form (case folded word tuple, up to ``MAX_FORM``
    words) and, as ``(form, sentence index, start, end)``, its places where every word is outside any entity,
    the longest form first where two overlap."""
    labels: dict[tuple, Counter] = defaultdict(Counter)
    for sentence in sentences:
        for i, j, label in tags_spans(sentence.tags):
            if j - i <= MAX_FORM:
                labels[tuple(w.casefold() for w in sentence.words[i:j])][label] += 1
    longest = max(map(len, labels), default=0)
    found = []
    for k, sentence in enumerate(sentences):
        words, i = [w.casefold() for w in sentence.words], 0
        while i < len(words):
            n = next((n for n in range(min(longest, len(words) - i), 0, -1)
                      if all(t == "O" for t in sentence.tags[i : i + n]) and tuple(words[i : i + n]) in labels), 0)
            if n:
                found.append((tuple(words[i : i + n]), k, i, i + n))
            i += max(n, 1)
    return dict(labels), found


def _partial(read) -> list[Partial]:
    """The annotated forms other sentences leave unannotated (``unannotated_occurrences``), the forms both sides
    hold most of first. A model trained on the corpus learns such gaps (the critic ranks few of them), so they
    are listed where one decision about a form reaches all its places."""
    sentences = [sentence for _, sentence in read]
    labels, found = unannotated_occurrences(sentences)
    text: dict[tuple, str] = {}
    for sentence in sentences:
        for i, j, label in tags_spans(sentence.tags):
            key = tuple(w.casefold() for w in sentence.words[i:j])
            if key in labels and key not in text:
                text[key] = token_span(sentence.text, sentence.token_offsets, i, j, label).text
    left: dict[tuple, list] = defaultdict(list)
    for key, k, _, _ in found:
        path, sentence = read[k]
        left[key].append(f"{path}:{sentence.line}" if sentence.line else f"{path} {sentence.id}".strip())
    partial = [Partial(text[k], Counter(labels[k]), len(places), tuple(dict.fromkeys(places)))
               for k, places in left.items()]
    return sorted(partial, key=lambda x: (-min(sum(x.labels.values()), x.unannotated), -x.unannotated, x.text))


def _ambiguous(forms: dict[str, Counter]) -> list[tuple[str, Counter]]:
    labels_of: dict[str, Counter] = defaultdict(Counter)
    for label, counter in forms.items():
        for text, n in counter.items():
            labels_of[text][label] += n
    found = [(text, labels) for text, labels in labels_of.items() if len(labels) > 1]
    return sorted(found, key=lambda item: (-sum(item[1].values()), item[0]))


def _duplicates(seen: dict) -> list[Duplicate]:
    found = [Duplicate(text, len(places), tuple(places), len(tags) > 1)
             for text, places, tags, _ in seen.values() if len(places) > 1]
    return sorted(found, key=lambda d: (not d.conflicting, -d.count, d.text))


def _leakage(seen: dict, paths: list[str], top: int) -> list[Overlap]:
    shared: dict[tuple[int, int], list[str]] = defaultdict(list)
    for text, _, _, where in seen.values():
        ordered = sorted(where)
        for a in range(len(ordered)):
            for b in range(a + 1, len(ordered)):
                shared[ordered[a], ordered[b]].append(text)
    return [Overlap(paths[a], paths[b], len(texts), tuple(sorted(texts)[:top]))
            for (a, b), texts in sorted(shared.items())]


__all__ = ["Duplicate", "FileStats", "Overlap", "Partial", "Stats", "corpus_stats", "unannotated_occurrences"]
