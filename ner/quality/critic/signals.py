"""What makes a span suspect: signals from out-of-fold marginals and from the corpus itself.

``candidates(words, tags, probs, labels)`` lists, for every sentence, each annotated
span and each place the annotation may have missed an entity (a span the model
prefers, a run of tokens the model gives entity mass, an unannotated occurrence
of a surface form annotated elsewhere), with one feature vector (``FEATURES``)
and the fix the signals point to. Token-level signals the validator also raises
(Latin/Cyrillic look-alikes, control characters, odd spaces) are ``token_suspects``.

Spans are token ranges ``(start, end)`` (end exclusive) into a sentence; a
candidate's ``label`` is the annotated label, or the proposed one when nothing
is annotated there. Left out: nested entities; learning anything (``model``).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ...bio import tags_spans, to_iob2
from ...text import lookalike_letters
from . import cues

FEATURES = ("annotated", "length", "p_own", "p_tags", "p_o", "p_other", "p_earlier", "p_later", "p_split",
            "p_edge_o", "model_exact", "model_other_label", "model_other_extent", "n_elsewhere",
            "agree_elsewhere", "n_unannotated", "unannotated_share", "flagged", "junk", "capital", "label_share",
            "log_span_prob", "own_share") + cues.FEATURES
MAX_NGRAM = 5       # longest surface form looked up elsewhere in the corpus
SOFT_MASS = 0.15    # entity mass that makes an unannotated token worth a look
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\x85\u200b\u2028\u2029\ufeff\ufffd]|\\s")


@dataclass(slots=True)
class Candidate:
    item: int                       # sentence index
    start: int
    end: int
    label: str                      # annotated label; "" for a place with no annotation
    kind: str                       # spurious | missing | type | boundary
    fix: tuple[int, int, str] | None  # the suggested span, None = delete the annotated one
    features: list[float]

    @property
    def proposed(self) -> str:
        return self.fix[2] if self.fix else ""


def tag_columns(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Column indexes of B-X and I-X for each label, in the layout of ``folds.tag_names``."""
    b = np.array([1 + 2 * i for i in range(len(labels))])
    return b, b + 1


def model_spans(p: np.ndarray, names: Sequence[str], words: Sequence[str] = ()) -> list[tuple[int, int, str]]:
    """Entities of the per-token most probable tags (I- without its B- opens an entity); with ``words``,
    punctuation and markup (a dash, a cell's pipe, ``**``) are cut off their edges, as the tagger does
    (``markup.clean_tags``): no suggestion begins or ends on a dash."""
    spans = tags_spans(to_iob2([names[k] for k in p.argmax(1)])) if len(p) else []
    return [s for s in (trim_edges(words, i, j, label) for i, j, label in spans) if s] if len(words) else spans


def trim_edges(words, i: int, j: int, label: str):
    """The span with punctuation and markup cut off its edges, as the tagger cuts them (None: nothing else)."""
    from ...markup import _is_junk

    while i < j and _is_junk(words[i]):
        i += 1
    while j > i and _is_junk(words[j - 1]):
        j -= 1
    return (i, j, label) if i < j else None


def surface(words, start: int, end: int) -> tuple[str, ...]:
    return tuple(w.lower() for w in words[start:end])


class Consistency:
    """How often each surface form is annotated, with which label, and left unannotated.

    Unannotated occurrences are counted for every form looked up, annotated elsewhere or not: a form the corpus
    leaves unannotated a hundred times and never annotates is no missing entity, and read as "no
    occurrence at all" it looked like a unique name (the corrupted copies the critic learns from annotate
    common words now and then, so there such places never had the count 0)."""

    def __init__(self, words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], also=None):
        """``also``: the other surface forms that will be looked up (the missing-entity proposals); only they
        and the annotated forms are counted, not every n-gram of the corpus (``None``: every n-gram)."""
        self.annotated: dict[tuple, Counter] = defaultdict(Counter)
        self.unannotated: Counter = Counter()
        self.places: dict[tuple, list] = defaultdict(list)   # unannotated occurrences of annotated forms
        for ws, ts in zip(words, tags):
            for i, j, label in tags_spans(ts):
                if j - i <= MAX_NGRAM:
                    self.annotated[surface(ws, i, j)][label] += 1
        self.labels = Counter()
        for counts in self.annotated.values():
            self.labels.update(counts)
        wanted = None if also is None else set(also)
        for item, (ws, ts) in enumerate(zip(words, tags)):
            lowered = [w.lower() for w in ws]
            for i in range(len(ws)):
                for n in range(1, MAX_NGRAM + 1):
                    if i + n > len(ws) or ts[i + n - 1] != "O":
                        break
                    key = tuple(lowered[i : i + n])
                    if key in self.annotated:
                        self.unannotated[key] += 1
                        self.places[key].append((item, i, i + n))
                    elif wanted is None or key in wanted:
                        self.unannotated[key] += 1

    def features(self, key: tuple, label: str, annotated: bool) -> list[float]:
        counts = self.annotated.get(key, Counter())
        others = max(0, sum(counts.values()) - (1 if annotated else 0))
        same = max(0, counts[label] - (1 if annotated else 0))
        unann = max(0, self.unannotated[key] - (0 if annotated else 1))
        total = others + unann
        return [math.log1p(others), same / others if others else 0.5, math.log1p(unann),
                unann / total if total else 0.0]

    def majority(self, key: tuple, labels) -> str | None:
        """The label of ``labels`` the corpus gives this form most often (None: only other labels)."""
        return next((label for label, _ in self.annotated[key].most_common() if label in labels), None)


def flagged_word(word: str) -> bool:
    return bool(lookalike_letters(word)) or bool(_CONTROL.search(word))


def _span_features(p, mass, b_col, i_col, label_index, start, end, label, annotated, model, words, cons,
                   label_share, item, label_cues) -> list[float]:
    x = label_index[label]
    n = len(p)
    own = mass[start:end, x]
    exact = np.concatenate([[p[start, b_col[x]]], p[start + 1 : end, i_col[x]]])
    others = np.delete(mass[start:end], x, axis=1)
    p_other = float(others.mean(0).max()) if others.shape[1] else 0.0
    later = float(p[end, i_col[x]]) if end < n else 0.0
    span_prob = float(np.log(np.clip(exact, 1e-9, 1)).sum() + math.log(max(1e-9, 1 - later)))
    same = [(i, j) for i, j, lab in model if lab == label]
    m_exact = float((start, end) in same)
    m_label = float(any(i == start and j == end and lab != label for i, j, lab in model))
    m_extent = float(any(i < end and start < j and (i, j) != (start, end) for i, j, _ in model))
    ws = words[start:end]
    return [float(annotated), float(end - start), float(own.mean()), float(exact.min()),
            float(p[start:end, 0].mean()), p_other, float(p[start, i_col[x]]), later,
            float(p[start + 1 : end, b_col[x]].max()) if end - start > 1 else 0.0,
            float(max(p[start, 0], p[end - 1, 0])), m_exact, m_label, m_extent,
            *cons.features(surface(words, start, end), label, annotated),
            float(any(flagged_word(w) for w in ws)), sum(not any(c.isalnum() for c in w) for w in ws) / len(ws),
            float(ws[0][:1].isupper()), label_share.get(label, 0.0), span_prob,
            float(own.mean() / max(1e-9, mass[start:end].sum(1).mean())),
            *label_cues.features(item, words, start, end, label, annotated)]


def _annotated_fix(start, end, label, f, model, cons_key, cons, stems=None, known=()) -> tuple[str, tuple | None]:
    """The kind of error the signals point to for an annotated span, and the fix."""
    overlapping = [(i, j, lab) for i, j, lab in model if i < end and start < j and (i, j) != (start, end)]
    same = [m for m in overlapping if m[2] == label]
    if same:
        return "boundary", max(same, key=lambda m: min(m[1], end) - max(m[0], start))
    retyped = [lab for i, j, lab in model if (i, j) == (start, end) and lab != label]
    p_own, p_o, p_other, best_other = f[2], f[4], f[5], f[-1]
    if retyped:
        return "type", (start, end, retyped[0])
    # a model span of another label and another extent is no boundary suggestion (it named 'обучение'
    # alone a Task inside 'RLHF — обучение с подкреплением'): the type signals below decide
    if p_o >= max(p_own, p_other):
        return "spurious", None
    if p_other > p_own:
        return "type", (start, end, best_other)
    for counts in (cons.annotated.get(cons_key), stems):  # the form's labels elsewhere, then its stems'
        top = next(((lab, n) for lab, n in counts.most_common() if lab in known), None) if counts else None
        if top and top[0] != label and top[1] > counts[label]:   # only a label this run checks is suggested
            return "type", (start, end, top[0])
    return "spurious", None


def candidates(words: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], probs: Sequence[np.ndarray],
               labels: Sequence[str]) -> list[Candidate]:
    """Every annotated span and every suspected missing span of the corpus, with features and fixes."""
    from .folds import tag_names

    names = tag_names(labels)
    b_col, i_col = tag_columns(labels)
    label_index = {label: k for k, label in enumerate(labels)}
    missing: dict[tuple, str] = {}
    models: dict[int, list] = {}   # each sentence's model spans, read once
    for item, (ws, ts, p) in enumerate(zip(words, tags, probs)):  # the places the model proposes
        if not len(ws):
            continue
        mass = p[:, b_col] + p[:, i_col]
        covered = np.zeros(len(ws), dtype=bool)
        for i, j, label in tags_spans(ts):
            if label in label_index:
                covered[i:j] = True
        proposals = {}
        models[item] = model_spans(p, names, ws)
        for i, j, label in models[item]:
            if not covered[i:j].any():
                proposals[(i, j)] = label
        t = 0
        entity = 1 - p[:, 0]
        while t < len(ws):  # runs of unannotated tokens the model gives some entity mass
            if covered[t] or entity[t] < SOFT_MASS:
                t += 1
                continue
            u = t
            while u < len(ws) and not covered[u] and entity[u] >= SOFT_MASS:
                u += 1
            run = trim_edges(ws, t, u, labels[int(mass[t:u].mean(0).argmax())])
            if run:
                proposals.setdefault(run[:2], run[2])
            t = u
        for (i, j), label in proposals.items():
            missing[(item, i, j)] = label
    cons = Consistency(words, tags, also={surface(words[item], i, j) for item, i, j in missing})
    label_cues = cues.LabelCues(words, tags, labels)
    total = sum(cons.labels.values()) or 1
    label_share = {label: cons.labels[label] / total for label in labels}
    out: list[Candidate] = []
    for item, (ws, ts, p) in enumerate(zip(words, tags, probs)):
        if not len(ws):
            continue
        mass = p[:, b_col] + p[:, i_col]
        model = models[item]
        for i, j, label in (s for s in tags_spans(ts) if s[2] in label_index):
            f = _span_features(p, mass, b_col, i_col, label_index, i, j, label, True, model, ws, cons, label_share,
                               item, label_cues)
            others = [lab for lab in labels if lab != label]
            best_other = others[int(np.argmax([mass[i:j, label_index[o]].mean() for o in others]))] if others else label
            stems = label_cues.by_stem.get(label_cues.stem_key(ws, i, j))
            kind, fix = _annotated_fix(i, j, label, f + [best_other], model, surface(ws, i, j), cons, stems,
                                       label_index)
            out.append(Candidate(item, i, j, label, kind, fix, f))
    for key, places in cons.places.items():
        for item, i, j in places:
            label = cons.majority(key, label_index)
            if label is not None:  # a form annotated only with a label outside this run's (a --map leaves some)
                missing.setdefault((item, i, j), label)
    for (item, i, j), label in missing.items():
        p = probs[item]
        mass = p[:, b_col] + p[:, i_col]
        f = _span_features(p, mass, b_col, i_col, label_index, i, j, label, False, models[item], words[item], cons,
                           label_share, item, label_cues)
        out.append(Candidate(item, i, j, "", "missing", (i, j, label), f))
    return out


_TO_CYRILLIC = str.maketrans("aceopxyABCEHKMOPTX", "асеорхуАВСЕНКМОРТХ")
_TO_LATIN = str.maketrans("асеорхуАВСЕНКМОРТХ", "aceopxyABCEHKMOPTX")


def token_suspects(words: Sequence[Sequence[str]]) -> list[tuple[int, int, str, str]]:
    """``(item, token, problem, fixed word)`` for look-alike letters and control characters or odd spaces."""
    out = []
    for item, ws in enumerate(words):
        for t, w in enumerate(ws):
            odd = lookalike_letters(w)
            if odd:
                table = _TO_CYRILLIC if odd[0].isascii() else _TO_LATIN
                out.append((item, t, "look-alike letters", "".join(c.translate(table) if c in odd else c for c in w)))
            elif _CONTROL.search(w):
                out.append((item, t, "control character or odd space", _CONTROL.sub("", w)))
    return out
