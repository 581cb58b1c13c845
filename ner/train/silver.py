"""The silver corpus: unlabelled texts labelled by a teacher, with its per-word probabilities.

``load_teacher("a,b")`` loads one model directory, or several averaged as an ensemble
(``ner.models.ensemble``); a transformer teacher on a GPU runs in bfloat16.
``read_texts(path)`` gives the non-blank lines of a UTF-8 text file (one text each).
``label_texts(teacher, texts)`` splits each text into razdel sentences and words
(``ner.text.segment``, as ``tag()`` does), sends the sentences to the teacher in
batches (the teacher cuts long sentences into its own windows and merges them) and
returns one ``SilverSentence`` per sentence: words, the teacher's tags (valid IOB2),
its probabilities ``[words, teacher tags]`` and where the words lie in the text.

``dump_silver(silver, path)`` writes JSONL records that ``ner.formats.jsonl`` reads
back (``text``, ``tokens``, ``tags``, ``spans``), with the teacher's scores beside
them: ``scores`` per word (the chosen tag's probability), ``score`` per span (its
lowest word score) and per sentence (its lowest), and ``line`` (the text's line).

``load_scored(path)`` reads such a file back as silver sentences, or any JSONL whose spans
carry a ``score`` (``ner consensus``'s merge): a word inside a span of score ``s`` gets ``s`` on
its tag and ``1 - s`` on ``O``; a word outside every span is ``O`` for sure.

Left out: deduplication of the texts; filtering silver sentences by score (the
student's loss weighs them by the teacher's probabilities instead).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..errors import UserError


@dataclass(frozen=True)
class SilverSentence:
    words: tuple[str, ...]
    tags: tuple[str, ...]          # the teacher's decoding, valid IOB2
    scores: tuple[float, ...]      # each chosen tag's probability
    probs: object                  # numpy [words, len(teacher tags)], rows sum to 1
    line: int                      # the text's line in the texts file
    text: str                      # the sentence's text
    offsets: tuple[tuple[int, int], ...]  # each word's (start, end) in ``text``

    def __len__(self) -> int:
        return len(self.words)


def teacher_dirs(dirs: str | Sequence[str]) -> list[str]:
    """The teacher's directories: a comma-separated string or a list, blanks dropped."""
    return [d.strip() for d in (dirs.split(",") if isinstance(dirs, str) else dirs) if d.strip()]


def load_teacher(dirs: str | Sequence[str], device: str | None = None):
    """The teacher model: one directory, or several (a comma-separated string or a list) averaged."""
    from ..models import load_model
    from ..models.ensemble import EnsembleModel

    names = teacher_dirs(dirs)
    if not names:
        raise UserError("--teacher: give a model directory (or several, comma-separated)")
    members = [load_model(name, device=device) for name in names]
    for member in members:
        _bf16(member)
    if len(members) == 1:
        return members[0]
    return EnsembleModel(members, "teacher")


def _bf16(model) -> None:
    """On a GPU, a transformer (or an ensemble's transformers) predicts in bfloat16."""
    for member in getattr(model, "members", [model]):
        if getattr(member, "members", None):
            _bf16(member)
            continue
        net = getattr(member, "net", None)
        if getattr(net, "backbone", "") == "transformer" and str(net.device).startswith("cuda"):
            import torch

            if torch.cuda.is_bf16_supported():
                net.module.to(torch.bfloat16)


def read_texts(path: str | Path) -> list[tuple[int, str]]:
    """``(line number, text)`` of each non-blank line of a UTF-8 file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UserError(f"{path}: cannot read the texts ({e.strerror}); check --texts") from None
    out = []
    for number, line in enumerate(raw.split(b"\n"), 1):
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8").removesuffix("\r")
        except UnicodeDecodeError as e:
            raise UserError(f"{path}:{number}: not UTF-8 text ({e.reason} at byte {e.start}); "
                            f"convert the file to UTF-8") from None
        if text.strip():
            out.append((number, text))
    if not out:
        raise UserError(f"{path}: no text (every line is blank); give the unlabelled texts one per line")
    return out


def label_texts(teacher, texts: Iterable[tuple[int, str]], batch_size: int = 256,
                progress: Callable[[str], None] = lambda line: None) -> list[SilverSentence]:
    """Every razdel sentence of ``texts`` with the teacher's tags and probabilities."""
    from ..text import segment

    pending: list[tuple[int, str, list]] = []
    out: list[SilverSentence] = []

    def flush():
        batch = [[w for _, _, w in words] for _, _, words in pending]
        for (line, text, words), (prediction, probs) in zip(pending, teacher.predict_with_probabilities(batch),
                                                            strict=True):
            start, end = words[0][0], words[-1][1]
            out.append(SilverSentence(tuple(w for _, _, w in words), tuple(prediction.tags),
                                      tuple(prediction.scores), probs, line, text[start:end],
                                      tuple((a - start, b - start) for a, b, _ in words)))
        pending.clear()

    for line, text in texts:
        for words in segment(text):
            if words:
                pending.append((line, text, words))
        if len(pending) >= batch_size:
            flush()
            progress(f"teacher: {len(out)} sentences labelled")
    if pending:
        flush()
    return out


def silver_record(s: SilverSentence, index: int, source: str = "texts") -> dict:
    from ..bio import tags_spans

    spans = []
    for i, j, label in tags_spans(s.tags):
        start, end = s.offsets[i][0], s.offsets[j - 1][1]
        spans.append({"start": start, "end": end, "label": label, "text": s.text[start:end],
                      "score": round(min(s.scores[i:j]), 4)})
    return {"id": f"{source}:{index}", "document": f"{source}-{s.line}", "line": s.line, "text": s.text,
            "tokens": list(s.words), "tags": list(s.tags), "spans": spans,
            "scores": [round(x, 4) for x in s.scores], "score": round(min(s.scores), 4)}


def dump_silver(silver: Sequence[SilverSentence], path: str | Path, source: str = "texts") -> int:
    """Write the silver sentences as JSONL records with scores; returns the number written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for index, s in enumerate(silver, 1):
            f.write(json.dumps(silver_record(s, index, source), ensure_ascii=False) + "\n")
    return len(silver)


def load_scored(path: str | Path) -> tuple[list[SilverSentence], tuple[str, ...]]:
    """``(silver sentences, their tag columns)`` of a JSONL corpus whose spans carry a ``score`` (0 to 1)."""
    import numpy as np

    from ..bio import tags_spans
    from ..formats.jsonl import parse_record
    from ..formats.registry import require

    require(path)
    sentences, records = [], []
    with open(path, encoding="utf-8-sig") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as e:
                raise UserError(f"{path}:{number}: not valid JSON ({e.msg}); each line must hold one object") from None
            sentence = parse_record(record, f"{path}:{number}", number)
            if len(sentence):
                sentences.append(sentence)
                records.append(record)
    labels = sorted({label for s in sentences for _, _, label in tags_spans(s.tags)})
    tags = ("O",) + tuple(f"{p}-{label}" for label in labels for p in "BI")
    column = {t: k for k, t in enumerate(tags)}
    out = []
    for number, (s, record) in enumerate(zip(sentences, records), 1):
        spans = tags_spans(s.tags)
        given = sorted((sp for sp in record.get("spans") or () if isinstance(sp, dict)), key=lambda sp: sp["start"])
        scores = [sp.get("score", 1.0) for sp in given] if "spans" in record else [1.0] * len(spans)
        if len(scores) != len(spans) or not all(isinstance(x, (int, float)) and 0 <= x <= 1 for x in scores):
            raise UserError(f"{path}:{s.line or number}: each span needs a score between 0 and 1 (the output of "
                            f"'ner consensus' or 'ner distill --silver' has them)")
        probs = np.zeros((len(s), len(tags)))
        probs[:, 0] = 1.0
        word_scores = [1.0] * len(s)
        for (i, j, label), score in zip(spans, scores):
            for k in range(i, j):
                probs[k, 0] = 1.0 - score
                probs[k, column[("B-" if k == i else "I-") + label]] = score
                word_scores[k] = float(score)
        text, offsets = s.layout
        out.append(SilverSentence(s.words, s.tags, tuple(word_scores), probs, s.line or number, text, offsets))
    return out, tags
