"""The critic: rank annotated spans and sentences by how likely they are wrong.

``load_items(paths, labels, map)`` reads corpora (any registered format) into
``Item`` records that keep each sentence's file and first line.
``critique(items, labels, config, work)`` computes out-of-fold marginals
(``folds``, cached in ``work`` by a hash of the corpus), trains the critic on
synthetic corruptions of the corpus (``model``) or uses a given one, and
returns every candidate with its probability of being an error, best first, as
``Suspect`` records; ``quality`` turns them into estimates per file, label and
annotator. Rendering lives in ``report``, Label Studio in ``review``.

Line numbers: a CoNLL sentence's word ``i`` stood on line ``sentence.line + i``
(the reader's own numbering, the one ``ner validate`` prints); a JSONL sentence
has one line, so a suspect there starts and ends on it.

Left out: the transformer backbone for the folds (navec only: the loop must run on a CPU).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ...bio import tags_spans
from ...errors import UserError
from ...records import Sentence
from .folds import FoldConfig, corpus_key, out_of_fold, split_keys

TOKEN_SCORES = {"look-alike letters": 0.9, "control character or odd space": 0.6}


@dataclass(frozen=True, slots=True)
class Item:
    path: str
    sentence: Sentence
    document: str
    annotator: str = ""
    task: int | None = None   # Label Studio task id, for sentences pulled from a project
    per_line: bool = True     # CoNLL: one word per line; JSONL: the whole sentence on one line
    accepted: str = ""        # the model whose pre-annotation was submitted unchanged (a project's sentence)

    def line_of(self, token: int) -> int:
        return self.sentence.line + token if self.per_line else self.sentence.line


@dataclass(frozen=True, slots=True)
class Suspect:
    item: int
    start: int
    end: int
    kind: str
    label: str
    suggested: str      # a label, "O" (delete the span) or a corrected word
    fix: tuple | None   # (start, end, label) of the suggested span, None: no span there
    score: float
    features: tuple = ()

    def reach(self) -> tuple[int, int]:
        """The tokens the suspect touches: its span and its suggested span."""
        return (min(self.start, self.fix[0]), max(self.end, self.fix[1])) if self.fix else (self.start, self.end)

    def record(self, items: Sequence[Item]) -> dict:
        it = items[self.item]
        s = it.sentence
        out = {"file": it.path, "first_line": it.line_of(self.start), "last_line": it.line_of(self.end - 1),
               "kind": self.kind, "label": self.label, "suggested": self.suggested, "score": round(self.score, 4),
               "span": s.written(self.start, self.end), "sentence": s.written(0, len(s)),
               "start": self.start, "end": self.end}
        if self.fix:
            out["suggested_span"] = s.written(self.fix[0], self.fix[1])
            out["suggested_start"], out["suggested_end"] = self.fix[0], self.fix[1]
        if it.annotator:
            out["annotator"] = it.annotator
        if it.task is not None:
            out["task"] = it.task
        return out


@dataclass
class CriticConfig:
    folds: FoldConfig = field(default_factory=FoldConfig)
    rounds: int = 3          # corrupted copies the critic learns from
    rate: float = 0.08       # share of entities changed per copy
    seed: int = 13


def map_tags(tags, mapping: dict) -> list[str]:
    """Tags with labels renamed by ``mapping``; entities of labels it does not name become O."""
    from ...bio import spans_tags

    return spans_tags(len(tags), [(i, j, mapping[lab]) for i, j, lab in tags_spans(tags) if lab in mapping])


def load_items(paths, labels: str = "auto", mapping: dict | None = None, fmt: str | None = None):
    """(items, label names) of the corpora; the first read error, or a label outside ``labels``, is a UserError."""
    from ...check import Report
    from ...formats.registry import guess_format, load
    from ...schema import load_schema

    items: list[Item] = []
    for path in paths:
        report = Report()
        name = guess_format(path, fmt)
        docs = list(load(path, name, report=report))
        if report.errors:
            first = report.errors[0]
            raise UserError(f"{first} (see 'ner validate {path}'; 'ner validate --fix' repairs what it can)")
        for doc in docs:
            for s in doc.sentences:
                if not len(s):
                    continue
                if mapping:
                    s = s.with_tags(map_tags(s.tags, mapping))
                items.append(Item(str(path), s, f"{path}#{doc.id}", doc.meta.get("annotator", ""),
                                  per_line=name == "conll"))
    found = sorted({lab for it in items for _, _, lab in tags_spans(it.sentence.tags)})
    if labels and labels != "auto":
        schema = load_schema(labels)
        for it in items:
            for i, _, lab in tags_spans(it.sentence.tags):
                if lab not in schema:
                    raise UserError(f"{it.path}:{it.line_of(i)}: label {lab!r} is not in {labels} "
                                    f"({', '.join(schema.names)}); pass --map or --labels auto")
        found = list(schema.names)
    if not items:
        raise UserError(f"{', '.join(map(str, paths))}: no sentences to criticise")
    if not found:
        raise UserError(f"{', '.join(map(str, paths))}: no entities at all; nothing to criticise")
    return items, found


def project_items(client, title: str, labels: str = "auto", mapping: dict | None = None):
    """(items, label names) of a Label Studio project's submitted annotations, one item per annotator's
    sentence; ``file`` is ``project:TITLE/DOCUMENT`` and the line is the sentence's number in it. The annotators'
    versions of a document are one document to the folds: no fold model reads a sentence it is scored on."""
    from ...labelstudio.sync import pull
    from ...schema import load_schema

    result = pull(client, title, all_annotators=True)
    items = []
    for who, docs in result.documents.items():
        for doc in docs:
            for n, s in enumerate(doc.sentences, 1):
                if len(s):
                    s = s.with_tags(map_tags(s.tags, mapping)) if mapping else s
                    items.append(Item(f"project:{title}/{doc.id}", Sentence(s.words, s.tags, n, s.id, s.source_text,
                                                                           s.offsets),
                                      doc.id, who, result.accepted.tasks.get((who, doc.id, n - 1)),
                                      per_line=False, accepted=result.accepted.places.get((who, doc.id, n - 1), "")))
    if not items:
        raise UserError(f"project {title!r} has no submitted annotations to criticise")
    found = list(load_schema(labels).names) if labels and labels != "auto" else \
        sorted({lab for it in items for _, _, lab in tags_spans(it.sentence.tags)})
    return items, found


def probabilities(items: Sequence[Item], labels, config: FoldConfig, work: str | Path,
                  progress: Callable[[str], None] = lambda line: None) -> list[np.ndarray]:
    """Out-of-fold marginals, computed once per corpus and settings (``work/oof-KEY.npz``)."""
    work = Path(work)
    cache = work / f"oof-{corpus_key(items, labels, config)}.npz"
    if cache.exists():
        data = np.load(cache)
        progress(f"out-of-fold probabilities from {cache}")
        return [data[f"p{i}"] for i in range(len(items))]
    keys = split_keys([it.document for it in items], [it.sentence.line for it in items], config.folds)
    progress(f"training {config.folds} navec models, split by {'document' if keys[0] == items[0].document else 'sentence'}"
             f", {config.workers} at a time")
    probs = out_of_fold([it.sentence for it in items], keys, labels, config, work / "folds", progress)
    work.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, **{f"p{i}": p for i, p in enumerate(probs)})
    return probs


def fitted_critic(items: Sequence[Item], labels, probs, config: CriticConfig, work: str | Path, weight: float,
                  progress: Callable[[str], None] = lambda line: None, learning: str | Sequence[str] | None = None):
    """The critic of ``work/critic`` when it was fitted on this corpus with these settings (its verdicts at
    ``weight``), else one trained on the corpus with its verdicts replayed (of other signals: its places only);
    ``learning``: the projects the run learns next (what an upgrade left to learn is not asked of it)."""
    from .model import held, train_critic
    from .upgrade import carried, code_key, owed_line, saved, source_of

    work, key = Path(work), corpus_key(items, labels, config.folds)
    files = source_of(it.path for it in items)
    old, stale = saved(work / "critic")
    same = {"corpus": key, "rounds": config.rounds, "rate": config.rate, "seed": config.seed, "code": code_key()}
    if old is not None and all(old.info.get(k) == v for k, v in same.items()) and (not len(old.verdict_y) or (
            old.info.get("verdict_weight"), old.info.get("verdict_seed")) == (weight, config.seed)):
        progress(f"critic from {work / 'critic'}: fitted on this corpus with these settings"
                 + (f", holding {held(old, weight)}" if len(old.verdict_y) else ""))
        if line := owed_line(old, files, learning):
            progress(line)
        return old
    critic = train_critic([it.sentence.words for it in items], [it.sentence.tags for it in items], probs, labels,
                          rounds=config.rounds, rate=config.rate, seed=config.seed,
                          info={"folds": config.folds.__dict__, "fold_models": str(work / "folds"), "corpus": key,
                                "code": same["code"]}, fit=old is None or not len(old.verdict_y))   # else by the replay
    if old is not None and len(old.verdict_y):
        critic = critic.replayed(old, weight, config.seed)
        progress(f"critic refitted with the verdicts learned before ({work / 'critic'}): {held(old, weight)}")
    line = carried(critic, old, stale, work / "critic", files, learning)   # places checked, verdicts not carried
    if line:
        progress(line)
    return critic


def score_items(items: Sequence[Item], labels, probs, critic) -> list[Suspect]:
    """``scored``, of overlapping suspects the best (``ner critic`` leaves out the places reviewers checked first:
    ``listing``)."""
    return suppress_overlaps(scored(items, labels, probs, critic))


def scored(items: Sequence[Item], labels, probs, critic) -> list[Suspect]:
    """Every candidate with the critic's probability that it is an error, plus flagged tokens, best first."""
    from .signals import candidates, token_suspects

    words = [it.sentence.words for it in items]
    tags = [it.sentence.tags for it in items]
    cands = candidates(words, tags, probs, labels)
    scores = critic.score([c.features for c in cands])
    out = [Suspect(c.item, c.start, c.end, c.kind, c.label,
                   "O" if c.fix is None else (c.fix[2] if c.kind != "boundary" else
                                              f"{c.fix[2]} " + " ".join(words[c.item][c.fix[0]:c.fix[1]])),
                   c.fix, float(s), tuple(c.features)) for c, s in zip(cands, scores)]
    for item, t, problem, fixed in token_suspects(words):
        label = next((lab for i, j, lab in tags_spans(tags[item]) if i <= t < j), "")
        out.append(Suspect(item, t, t + 1, "token", label, fixed, None, TOKEN_SCORES[problem]))
    out.sort(key=lambda s: (-s.score, s.item, s.start))
    return out


def listing(items, suspects, places, top: int, threshold: float, applying: bool = False,
            numbered: bool = True) -> tuple[list, str]:
    """``(suspects, note)``: those in no checked place (``set_aside``), then the best of overlapping ones (in this
    order: a set-aside suspect would hide one nobody has seen); the note says how many of the suspects a run
    without the places would list (the first ``top``, or all over ``threshold``) were left out, and how many of
    those listed sit where a reviewer's correction is not in the corpus yet (unless the run is ``applying`` them;
    by row when the run prints them, ``numbered``)."""
    from .reviewed import set_aside, unwritten

    left, _ = set_aside(items, suspects, places)
    every, kept, shown = suppress_overlaps(suspects), {id(s) for s in left}, suppress_overlaps(left)
    def listed(ranked):   # what a run lists: the first ``top``, or all over ``threshold``
        return ranked[: max(top, sum(s.score >= threshold for s in ranked))]
    out = sum(id(s) not in kept for s in listed(every))
    waiting = unwritten(items, listed(shown), places)
    rows = f" ({', '.join(f'#{n + 1}' for n in waiting[:10])}{' ...' * (len(waiting) > 10)})"
    which = f"{len(waiting)} of the suspects listed{rows}" if numbered else f"{len(waiting)} suspect(s)"
    return shown, "\n".join(([f"{out} suspect(s) left out: reviewers checked them, and their places are as the "
                              "reviewers left them (--recheck lists them)"] if out else []) +
                            ([f"{which} sit where reviewers corrected the annotation and the corpus does not hold "
                              "the correction yet: --learn P --apply FILE writes it"] if waiting and not applying
                             else []))


def suppress_overlaps(suspects: Sequence[Suspect]) -> list[Suspect]:
    """Keep, of suspects whose tokens (span and suggested span) overlap in one sentence, the best one:
    one error (a span one token short) often shows twice (the span, and its lost token as missing)."""
    kept, taken = [], {}
    for s in suspects:
        lo, hi = s.reach()
        spans = taken.setdefault((s.item, s.kind == "token"), [])
        if any(a < hi and lo < b for a, b in spans):
            continue
        spans.append((lo, hi))
        kept.append(s)
    return kept


def clean_chances(n_items: int, suspects) -> list[float]:
    """Per sentence, the critic's probability that it holds no error: the product of 1 - score over its suspects."""
    keep = [1.0] * n_items
    for s in suspects:
        keep[s.item] *= 1 - s.score
    return keep


def quality(items: Sequence[Item], suspects: Sequence[Suspect], threshold: float = 0.5) -> dict:
    """Per file, label and annotator: sentences, sentences with a suspect over ``threshold``, expected errors.

    ``clean`` is the share of sentences without a suspected error; ``expected_clean`` the
    share the critic's probabilities expect (the product of 1 - p over a sentence's candidates).
    """
    keep = clean_chances(len(items), suspects)
    flagged = {s.item for s in suspects if s.score >= threshold}
    groups: dict[str, dict] = {}

    def add(group: str, item: int) -> None:
        g = groups.setdefault(group, {"sentences": 0, "flagged": 0, "expected_clean": 0.0})
        g["sentences"] += 1
        g["flagged"] += item in flagged
        g["expected_clean"] += keep[item]

    labels_of = [{lab for _, _, lab in tags_spans(it.sentence.tags)} for it in items]
    for n, it in enumerate(items):
        add("all", n)
        add(f"file {it.path}", n)
        if it.annotator:
            add(f"annotator {it.annotator}", n)
        if it.accepted:
            add(f"submitted as {it.accepted!r} pre-annotated it", n)
    for n, labs in enumerate(labels_of):
        for lab in labs:
            g = groups.setdefault(f"label {lab}", {"sentences": 0, "flagged": 0, "expected_clean": 0.0})
            g["sentences"] += 1
    label_flag: dict[str, set] = {}
    label_keep: dict[tuple, float] = {}
    for s in suspects:
        for lab in {s.label, s.fix[2] if s.fix else ""} - {""}:
            if lab in labels_of[s.item]:
                label_keep[(lab, s.item)] = label_keep.get((lab, s.item), 1.0) * (1 - s.score)
                if s.score >= threshold:
                    label_flag.setdefault(lab, set()).add(s.item)
    for n, labs in enumerate(labels_of):
        for lab in labs:
            g = groups[f"label {lab}"]
            g["expected_clean"] += label_keep.get((lab, n), 1.0)
    for lab, its in label_flag.items():
        groups[f"label {lab}"]["flagged"] = len(its)
    for g in groups.values():
        g["threshold"] = threshold
        g["clean"] = 1 - g["flagged"] / g["sentences"] if g["sentences"] else 1.0
        g["expected_clean"] = g["expected_clean"] / g["sentences"] if g["sentences"] else 1.0
    return groups
