"""Inter-annotator agreement for spans: pairwise F1, a label confusion, and every disagreement.

The input is a list of ``Unit`` records: one sentence with each annotator's IOB2
tags over the same words (``units_from_documents`` builds them from several
corpus files of the same texts, ``units_from_tasks`` from Label Studio tasks
annotated by several people). ``agreement(units)`` compares every pair of
annotators on the units both annotated:

- strict F1: a span counts when both gave the same label to the same words,
  ``F1 = 2 |A ∩ B| / (|A| + |B|)`` (symmetric: A's precision is B's recall);
- overlap F1: a span of A counts when B has a span of the same label sharing
  a word with it (and the other way round for B), ``F1 = 2PR / (P + R)``;

each micro-averaged over labels and per label, and their mean over pairs, the
measure Hripcsak & Rothschild (2005) recommend when there are no negatives to
count (kappa needs them; see docs/annotating.md). The label confusion pairs
each span of A with B's span at the same words, else with the one that
overlaps it most (one to one), else with nothing (``—``). A disagreement is a
group of overlapping spans (over all annotators of a unit) on which not every
annotator gave the same span: it lists who said what.

Left out: chance-corrected coefficients (kappa, alpha), nested spans.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

from ..bio import tags_spans
from ..errors import UserError

NONE = "—"  # no span at this place


@dataclass(frozen=True, slots=True)
class Unit:
    """One sentence as several annotators tagged it; word ``i`` is at ``path:line + i`` when ``line``
    (CoNLL: a word per line), at ``path:line`` when not ``per_line`` (JSONL: a sentence per line)."""

    where: str
    words: tuple[str, ...]
    tags: dict[str, tuple[str, ...]]
    path: str = ""
    line: int = 0
    per_line: bool = True

    def place(self, word: int) -> str:
        return f"{self.path}:{self.line + word * self.per_line}" if self.line else self.where


@dataclass(frozen=True, slots=True)
class F1:
    """Counts behind one strict and one overlap F1 (None when neither annotator has a span)."""

    n_a: int = 0
    n_b: int = 0
    exact: int = 0
    overlap_a: int = 0  # spans of A that overlap a same-label span of B
    overlap_b: int = 0

    def __add__(self, other: "F1") -> "F1":
        return F1(*(x + y for x, y in zip(self.counts, other.counts)))

    @property
    def counts(self) -> tuple[int, ...]:
        return self.n_a, self.n_b, self.exact, self.overlap_a, self.overlap_b

    @property
    def strict(self) -> float | None:
        return 2 * self.exact / (self.n_a + self.n_b) if self.n_a + self.n_b else None

    @property
    def overlap(self) -> float | None:
        if not self.n_a + self.n_b:
            return None
        p = self.overlap_a / self.n_a if self.n_a else 0.0
        r = self.overlap_b / self.n_b if self.n_b else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    units: int                # units both annotated
    micro: F1
    labels: dict[str, F1]


@dataclass(frozen=True, slots=True)
class Disagreement:
    where: str                # file:line of the first word, or "task 12"
    said: dict[str, tuple[tuple[str, str], ...]]  # annotator -> ((label, text), ...) in the group; () = none


@dataclass
class Agreement:
    annotators: list[str]
    pairs: list[Pair]
    confusion: Counter = field(default_factory=Counter)  # (label of a, label of b) over all pairs, a < b
    disagreements: list[Disagreement] = field(default_factory=list)
    units: int = 0

    def mean(self, kind: str = "strict", label: str | None = None) -> float | None:
        """The mean over pairs of their F1 (``strict`` or ``overlap``), micro or for one label."""
        values = [getattr(p.micro if label is None else p.labels.get(label, F1()), kind) for p in self.pairs]
        values = [v for v in values if v is not None]
        return sum(values) / len(values) if values else None

    @property
    def labels(self) -> list[str]:
        return sorted({label for p in self.pairs for label in p.labels})

    def as_dict(self) -> dict:
        def f1(c: F1) -> dict:
            return {"strict": c.strict, "overlap": c.overlap, "spans_a": c.n_a, "spans_b": c.n_b,
                    "exact": c.exact}

        return {
            "annotators": self.annotators, "units": self.units,
            "mean": {"strict": self.mean("strict"), "overlap": self.mean("overlap"),
                     "labels": {lab: {"strict": self.mean("strict", lab), "overlap": self.mean("overlap", lab)}
                                for lab in self.labels}},
            "pairs": [{"a": p.a, "b": p.b, "units": p.units, "micro": f1(p.micro),
                       "labels": {k: f1(v) for k, v in sorted(p.labels.items())}} for p in self.pairs],
            "confusion": [{"a": a, "b": b, "count": n} for (a, b), n in sorted(self.confusion.items())],
            "disagreements": [{"where": d.where, "said": {k: [list(x) for x in v] for k, v in d.said.items()}}
                              for d in self.disagreements],
        }


def _overlaps(x, y) -> bool:
    return x[0] < y[1] and y[0] < x[1]


def pair_counts(spans_a, spans_b) -> dict[str, F1]:
    """Per-label counts of two annotators' ``(start, end, label)`` spans over the same words."""
    out: dict[str, F1] = {}
    for label in {s[2] for s in spans_a} | {s[2] for s in spans_b}:
        a = [s for s in spans_a if s[2] == label]
        b = [s for s in spans_b if s[2] == label]
        out[label] = F1(len(a), len(b), len(set(a) & set(b)),
                        sum(any(_overlaps(x, y) for y in b) for x in a),
                        sum(any(_overlaps(y, x) for x in a) for y in b))
    return out


def align(spans_a, spans_b) -> list[tuple[tuple | None, tuple | None]]:
    """One-to-one pairs of spans: same words first, then the largest overlap; the rest alone."""
    left, right = list(spans_a), list(spans_b)
    pairs = []
    for x in list(left):
        y = next((y for y in right if y[:2] == x[:2]), None)
        if y is not None:
            pairs.append((x, y))
            left.remove(x)
            right.remove(y)
    candidates = sorted(((min(x[1], y[1]) - max(x[0], y[0]), x, y) for x in left for y in right
                         if _overlaps(x, y)), key=lambda c: (-c[0], c[1], c[2]))
    for _, x, y in candidates:
        if x in left and y in right:
            pairs.append((x, y))
            left.remove(x)
            right.remove(y)
    return pairs + [(x, None) for x in left] + [(None, y) for y in right]


def _groups(spans: list[tuple[str, tuple]]) -> list[list[tuple[str, tuple]]]:
    """Connected groups of overlapping spans (``(annotator, span)``), in text order."""
    groups: list[list] = []
    for who, span in sorted(spans, key=lambda s: (s[1][0], s[1][1])):
        if groups and any(_overlaps(span, other) for _, other in groups[-1]):
            groups[-1].append((who, span))
        else:
            groups.append([(who, span)])
    return groups


def unit_disagreements(unit: Unit, annotators) -> list[Disagreement]:
    spans = [(who, s) for who in annotators for s in tags_spans(unit.tags[who])]
    out = []
    for group in _groups(spans):
        said = {who: tuple(s for w, s in group if w == who) for who in annotators}
        first = next(iter(said.values()))
        if len(first) == 1 and all(v == first for v in said.values()):
            continue
        start = min(s[0] for _, s in group)
        out.append(Disagreement(unit.place(start), {
            who: tuple((s[2], " ".join(unit.words[s[0]:s[1]])) for s in v) for who, v in said.items()}))
    return out


def agreement(units) -> Agreement:
    """Pairwise agreement of every annotator pair on the units both annotated; see the module docstring."""
    units = list(units)
    annotators = sorted({who for u in units for who in u.tags})
    if len(annotators) < 2:
        found = annotators[0] if annotators else "none"
        raise UserError(f"agreement needs two annotators or more; found {len(annotators)} ({found})")
    spans = [{who: tags_spans(tags) for who, tags in u.tags.items()} for u in units]
    pairs = []
    confusion: Counter = Counter()
    for a, b in combinations(annotators, 2):
        labels: dict[str, F1] = {}
        shared = 0
        for unit_spans in spans:
            if a not in unit_spans or b not in unit_spans:
                continue
            shared += 1
            for label, c in pair_counts(unit_spans[a], unit_spans[b]).items():
                labels[label] = labels.get(label, F1()) + c
            for x, y in align(unit_spans[a], unit_spans[b]):
                confusion[x[2] if x else NONE, y[2] if y else NONE] += 1
        micro = sum(labels.values(), F1())
        pairs.append(Pair(a, b, shared, micro, labels))
    disagreements = []
    for u in units:
        if len(u.tags) > 1:
            disagreements += unit_disagreements(u, sorted(u.tags))
    return Agreement(annotators, pairs, confusion, disagreements, len(units))


def units_from_documents(corpora: dict[str, list], per_line: dict[str, bool] | None = None) -> list[Unit]:
    """Units from ``{annotator: documents}`` of the same texts, sentence by sentence in file order.

    The files must hold the same sentences with the same words; the first that differs is a
    ``UserError`` naming both places. ``per_line[who]`` is False for a file with a sentence
    per line (JSONL), where every word of a sentence is at the sentence's line.
    """
    per_line = per_line or {}
    names = list(corpora)
    flat = {who: [s for d in docs for s in d.sentences if len(s)] for who, docs in corpora.items()}
    paths = {who: next((d.path for d in docs if d.path), who) for who, docs in corpora.items()}
    first = names[0]
    for who in names[1:]:
        if len(flat[who]) != len(flat[first]):
            raise UserError(f"{paths[who]} has {len(flat[who])} sentences but {paths[first]} has "
                            f"{len(flat[first])}; agreement needs the same texts, tokenized alike")
        for s, t in zip(flat[first], flat[who]):
            if s.words != t.words:
                k = next((i for i, (x, y) in enumerate(zip(s.words, t.words)) if x != y), min(len(s), len(t)))
                theirs = t.words[k] if k < len(t) else "the sentence end"
                ours = s.words[k] if k < len(s) else "the sentence end"
                step_t, step_s = per_line.get(who, True), per_line.get(first, True)
                raise UserError(f"{paths[who]}:{t.line + k * step_t if t.line else 0}: {theirs!r} where "
                                f"{paths[first]}:{s.line + k * step_s if s.line else 0} has {ours!r}; agreement needs "
                                f"the same texts, tokenized alike")
    return [Unit(f"{paths[first]}:{s.line}" if s.line else f"sentence {i + 1}", s.words,
                 {who: flat[who][i].tags for who in names}, paths[first], s.line, per_line.get(first, True))
            for i, s in enumerate(flat[first])]


def units_from_tasks(tasks, *, names, report, schema=None) -> list[Unit]:
    """Units from Label Studio tasks: each annotator's latest submitted annotation, sentence by sentence.

    Regions are mapped onto the task's stored tokens by ``ner.labelstudio.tasks.task_sentences``;
    what cannot be placed goes to ``report`` (as in ``ner ls pull``).
    """
    from ..labelstudio import annotations as policy
    from ..labelstudio.tasks import task_sentences

    units = []
    for task in tasks:
        where = f"task {task.get('id', '?')}"
        chosen = policy.by_annotator(policy.submitted(task))
        if not chosen:
            continue
        per_who = {who: task_sentences(task, a.get("result"), names=names, where=where, report=report,
                                       schema=schema) for who, a in chosen.items()}
        first = next(iter(per_who.values()))
        for k, sentence in enumerate(first):
            place = where if len(first) == 1 else f"{where} sentence {k + 1}"
            units.append(Unit(place, sentence.words, {who: ss[k].tags for who, ss in per_who.items()}))
    return units


def units_from_files(paths, *, fmt: str | None = None, schema=None, report=None) -> list[Unit]:
    """Units from several corpus files of the same texts, one annotator per file (named by its stem).

    A corpus with errors is a ``UserError``. One JSON file is taken as a Label Studio JSON
    export (tasks with several people's annotations); regions it cannot place go to ``report``.
    """
    from pathlib import Path

    from ..check import Report
    from ..formats.registry import guess_format, load

    if len(paths) == 1 and str(paths[0]).lower().endswith(".json"):
        from ..labelstudio.config import ConfigNames
        from ..labelstudio.exports import load_export_tasks

        _, tasks = load_export_tasks(paths[0])
        return units_from_tasks(tasks, names=ConfigNames(), report=report if report is not None else Report(),
                                schema=schema)
    if len(paths) < 2:
        raise UserError("give two or more files of the same texts (one per annotator), a Label Studio JSON "
                        "export, or --project")
    stems = [Path(p).stem for p in paths]
    names = stems if len(set(stems)) == len(stems) else [str(p) for p in paths]
    if len(set(names)) != len(names):
        raise UserError(f"{paths[names.index(next(n for n in names if names.count(n) > 1))]} is given twice")
    corpora, per_line = {}, {}
    for who, path in zip(names, paths):
        read = Report()
        corpora[who] = list(load(path, fmt, schema=schema, report=read))
        _raise_errors(read)
        per_line[who] = guess_format(path, fmt) == "conll"
    return units_from_documents(corpora, per_line)


def units_from_project(client, title: str, *, schema=None, report) -> list[Unit]:
    """Units of a Label Studio project's tasks (every annotator's latest submitted annotation)."""
    from ..labelstudio.config import config_names

    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    from ..labelstudio.annotations import with_emails

    tasks = with_emails(client.all_tasks(project["id"]), client.user_emails())   # the export names users by id
    return units_from_tasks(tasks, names=names, report=report, schema=schema)


def _raise_errors(report) -> None:
    if report.errors:
        first = report.errors[0]
        raise UserError(f"{first} ({len(report.errors)} error(s); 'ner validate' lists them, "
                        f"'ner validate --fix' repairs what it can)")
