"""Evaluation: seqeval in strict IOB2 mode, a token confusion matrix, and a list of every error.

Both tag sequences are first read into IOB2 by ``bio.to_iob2`` (an ``I-X`` that
opens an entity is ``B-X``), the same reading ``tag()`` and the error file use,
so a score, an error list and the tagger's entities never disagree about what
an entity is. ``score(gold, pred)`` then calls seqeval (``mode="strict", scheme=IOB2``: an
entity counts only with the right type and the exact boundaries) and returns per-label precision, recall, F1 and
support, with micro and macro averages. ``span_errors`` classifies every
mismatch of one sentence: a false positive (a predicted entity overlapping no
gold one), a false negative (a gold entity no prediction overlaps), a boundary
error (same type, overlapping, other bounds), a type error (same bounds, other
type) and a boundary+type error. ``plot_confusion`` draws the token-level
confusion matrix as a PNG (matplotlib, imported only there).

Left out: lenient (partial-match) scores of evaluation campaigns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .bio import spans_tags, tags_spans, to_iob2
from .errors import UserError


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    labels: dict[str, Scores]
    micro: Scores
    macro: Scores
    n_sentences: int
    n_tokens: int

    def as_dict(self) -> dict:
        def d(s: Scores) -> dict:
            return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support}

        return {"labels": {k: d(v) for k, v in self.labels.items()}, "micro": d(self.micro),
                "macro": d(self.macro), "sentences": self.n_sentences, "tokens": self.n_tokens}


def score(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> Evaluation:
    """Strict IOB2 entity scores of predicted tag sequences against gold ones.

    >>> score([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]]).micro.f1
    1.0
    """
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    gold = [to_iob2(t) for t in gold]
    pred = [to_iob2(t) for t in pred]
    if len(gold) != len(pred):
        raise UserError(f"{len(gold)} gold sentences but {len(pred)} predicted")
    for i, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise UserError(f"sentence {i + 1}: {len(g)} gold tags but {len(p)} predicted")
    n_tokens = sum(len(g) for g in gold)
    if not any(t != "O" for g in gold for t in g) and not any(t != "O" for p in pred for t in p):
        zero = Scores(0.0, 0.0, 0.0, 0)
        return Evaluation({}, zero, zero, len(gold), n_tokens)
    report = classification_report(gold, pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)

    def s(row: dict) -> Scores:
        return Scores(float(row["precision"]), float(row["recall"]), float(row["f1-score"]), int(row["support"]))

    labels = {k: s(v) for k, v in sorted(report.items()) if not k.endswith(" avg")}
    return Evaluation(labels, s(report["micro avg"]), s(report["macro avg"]), len(gold), n_tokens)


def format_evaluation(ev: Evaluation, title: str = "") -> str:
    """A plain-text table: one row per label, then micro and macro averages."""
    rows = [(name, sc) for name, sc in ev.labels.items()] + [("micro avg", ev.micro), ("macro avg", ev.macro)]
    width = max([len(r[0]) for r in rows] + [9])
    lines = [title] if title else []
    lines.append(f"{'':<{width}}  precision  recall     f1  support")
    for i, (name, sc) in enumerate(rows):
        if i == len(ev.labels):
            lines.append("")
        lines.append(f"{name:<{width}}  {sc.precision:9.3f}  {sc.recall:6.3f}  {sc.f1:5.3f}  {sc.support:7d}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class SpanError:
    kind: str  # false_positive, false_negative, boundary, type, boundary+type
    gold: tuple[int, int, str] | None
    pred: tuple[int, int, str] | None


def span_errors(gold_tags: Sequence[str], pred_tags: Sequence[str]) -> list[SpanError]:
    """Every mismatch between gold and predicted entities of one sentence.

    >>> [e.kind for e in span_errors(["B-A", "I-A", "O", "B-B"], ["B-A", "O", "O", "B-C"])]
    ['boundary', 'type']
    """
    gold = tags_spans(to_iob2(gold_tags))
    pred = tags_spans(to_iob2(pred_tags))
    exact = set(gold) & set(pred)
    out = []
    matched_gold = set()
    for p in pred:
        if p in exact:
            continue
        overlapping = [g for g in gold if g not in exact and g[0] < p[1] and p[0] < g[1]]
        if not overlapping:
            out.append(SpanError("false_positive", None, p))
            continue
        for g in overlapping:
            matched_gold.add(g)
            same_bounds = (g[0], g[1]) == (p[0], p[1])
            kind = "type" if same_bounds else "boundary" if g[2] == p[2] else "boundary+type"
            out.append(SpanError(kind, g, p))
    for g in gold:
        if g not in exact and g not in matched_gold:
            out.append(SpanError("false_negative", g, None))
    return sorted(out, key=lambda e: (e.gold or e.pred)[0])


def format_errors(sentences, pred_tags) -> tuple[str, Counter]:
    """The error file's text (one block per error, with its sentence) and the counts by kind."""
    lines = []
    counts: Counter = Counter()
    for sentence, tags in zip(sentences, pred_tags):
        for err in span_errors(sentence.tags, tags):
            counts[err.kind] += 1
            words = sentence.words

            def show(span):
                if span is None:
                    return "-"
                return f"[{' '.join(words[span[0]:span[1]])}]/{span[2]}"

            where = f"{sentence.id or '?'}"
            marked = list(words)
            first = err.gold or err.pred
            last = err.pred or err.gold
            a = min(first[0], last[0])
            b = max(first[1], last[1])
            marked[a] = "[[" + marked[a]
            marked[b - 1] = marked[b - 1] + "]]"
            lines.append(f"{where}\t{err.kind}\tgold={show(err.gold)}\tpred={show(err.pred)}\t{' '.join(marked)}")
    header = "# " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) if counts else "# no errors"
    return "\n".join([header, *lines]) + "\n", counts


def confusion(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> tuple[list[str], list[list[int]]]:
    """Token-level confusion counts over IOB2 tags: (tags, matrix[gold][pred])."""
    pairs = Counter((g, p) for gs, ps in zip(gold, pred) for g, p in zip(gs, ps))
    tags = sorted({t for pair in pairs for t in pair}, key=lambda t: (t != "O", t[2:], t[:1]))
    return tags, [[pairs.get((g, p), 0) for p in tags] for g in tags]


def plot_confusion(gold, pred, path) -> None:
    """Write the token-level confusion matrix (row-normalised colours, counts printed) to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tags, matrix = confusion(gold, pred)
    n = len(tags)
    fig, ax = plt.subplots(figsize=(1 + 0.6 * n, 1 + 0.6 * n))
    norm = [[v / max(1, sum(row)) for v in row] for row in matrix]
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), tags, rotation=90)
    ax.set_yticks(range(n), tags)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i in range(n):
        for j in range(n):
            if matrix[i][j]:
                ax.text(j, i, str(matrix[i][j]), ha="center", va="center", fontsize=7,
                        color="white" if norm[i][j] > 0.5 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


@dataclass(frozen=True, slots=True)
class ModelEvaluation:
    version: str
    evaluation: Evaluation
    notes: tuple[str, ...]
    excluded: tuple[str, ...] = ()  # model labels the gold data cannot have: not scored


def training_settings(model_dir) -> dict:
    """The model's ``train_config.toml`` (its ``map``, ``keep``, ``labels``...); empty when it has none."""
    import tomllib
    from pathlib import Path

    path = Path(model_dir) / "train_config.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise UserError(f"{path}: unreadable ({e}); the model directory is damaged, retrain it") from None


def only_labels(tags, labels) -> list[str]:
    """IOB2 tags with entities of labels outside ``labels`` turned into O.

    >>> only_labels(["B-A", "I-A", "B-B"], {"B"})
    ['O', 'O', 'B-B']
    """
    return spans_tags(len(tags), [s for s in tags_spans(tags) if s[2] in labels])


def score_labels(gold_tags, pred_tags, possible):
    """``score`` over the labels the gold data can have (``possible``): predicted entities of other
    labels are left out, since they would sink micro and macro averages with no gold to match.
    Returns (evaluation, the predicted tags scored, the labels left out, how many entities).

    >>> ev, _, excluded, n = score_labels([["B-A", "O"]], [["B-A", "B-B"]], {"A"})
    >>> ev.micro.f1, excluded, n
    (1.0, ('B',), 1)
    """
    pred_tags = [to_iob2(tags) for tags in pred_tags]
    predicted = Counter(label for tags in pred_tags for _, _, label in tags_spans(tags))
    excluded = tuple(sorted(set(predicted) - set(possible)))
    if excluded:
        pred_tags = [only_labels(tags, possible) for tags in pred_tags]
    return score(gold_tags, pred_tags), pred_tags, excluded, sum(predicted[label] for label in excluded)


def evaluate_model(model_dir, corpus, *, mapping: str | None = None, keep: str | None = None,
                   labels: str | None = None, errors=None, confusion_png=None, device=None) -> ModelEvaluation:
    """Load a model, tag a gold corpus (any format) with it, score it; optionally write the error file and PNG.

    ``mapping``/``keep`` (``--map``/``--keep``) default to the ones the model was trained
    with; ``labels`` is the gold data's label set (a schema file or ``auto``; default: the
    labels found in it, those the model lacks counting as missed, and named in a note; a corpus that
    shares no label with the model is refused). Only labels the gold data can have are scored; the others are named in
    ``excluded`` and in a note.
    """
    from pathlib import Path

    from .corpus import check_map, label_mapping, read_split
    from .formats.registry import require
    from .models import load_model
    from .schema import load_schema

    require(corpus)
    notes = []
    trained = training_settings(model_dir)
    given = mapping is not None or keep is not None
    if not given and (trained.get("map") or trained.get("keep")):
        notes.append(f"{corpus}: labels renamed as the model was trained (map {trained.get('map', '')!r}, "
                     f"keep {trained.get('keep', '')!r}); pass --map/--keep to change")
    renaming = label_mapping(mapping if given else trained.get("map", ""),
                             (keep or "") if given else trained.get("keep", ""))
    model = load_model(model_dir, device=device)
    schema = load_schema(labels) if labels and labels != "auto" else None
    split = read_split(str(corpus), schema, renaming)
    if not labels:  # the default: the model's labels, and gold labels it lacks count as missed
        found = {label for s in split.sentences for _, _, label in tags_spans(s.tags)}  # after --map/--keep
        unknown = sorted(found - set(model.labels))
        if unknown and len(unknown) == len(found):
            raise UserError(f"{corpus}: none of its labels ({', '.join(unknown)}) is a label of model {model.name} "
                            f"({', '.join(model.labels)}); rename them with --map SOURCE=TARGET")
        if unknown:
            notes.append(f"{corpus}: gold label(s) {', '.join(unknown)} are not labels of model {model.name}: "
                         f"their entities count as missed (--map renames, --keep chooses labels)")
    if given:
        check_map(renaming, split.found, str(corpus))
    sentences = split.sentences
    gold_tags = [list(s.tags) for s in sentences]
    possible = set(schema.names) if labels and schema is not None else \
        {label for tags in gold_tags for _, _, label in tags_spans(tags)}
    preds = model.predict([s.words for s in sentences])
    pred_tags = [to_iob2(p.tags) for p in preds]  # once: scores, error file and matrix read the same tags
    ev, pred_tags, excluded, dropped = score_labels(gold_tags, pred_tags, possible)
    if excluded:
        notes.append(f"not scored: model label(s) {', '.join(excluded)}, which the gold data of {corpus} "
                     f"does not have ({dropped} predicted entities left out); --labels FILE names the gold labels")
    if split.unmapped:
        notes.append(f"{corpus}: {split.unmapped} entities with labels --map/--keep do not name became O")
    if errors:
        text, counts = format_errors(sentences, pred_tags)
        Path(errors).write_text(text, encoding="utf-8")
        notes.append(f"wrote {errors} ({sum(counts.values())} errors)")
    if confusion_png:
        plot_confusion(gold_tags, pred_tags, confusion_png)
        notes.append(f"wrote {confusion_png}")
    return ModelEvaluation(model.version, ev, tuple(notes), excluded)
