"""What the merge writes: the merged corpus with scores, the JSON report, the readable table.

``merged_records`` gives one JSON record per text, the shape ``ner.formats.jsonl`` reads
(``text``, ``tokens``, ``tags``, ``spans``) plus ``score`` on every span (its probability
of being right) and on the record (the whole sentence's), ``annotators`` (who had the
text), ``where`` (the first version's place) and ``anchored`` (gold or reviewed).
``dump_merged`` writes them as JSONL, or any other format by its suffix through
``ner.formats.registry`` (those formats hold no scores: the report says so).
``report_dict``/``format_report`` are the report as JSON and as a table.
"""

from __future__ import annotations

import json
from pathlib import Path

from ...bio import spans_tags
from ...records import Document, Sentence

MERGE, VOTE = "merge", "vote"


def merged_sentence(text, spans) -> Sentence:
    s = text.sentence
    tags = spans_tags(len(s.words), [(i, j, label) for i, j, label, _ in spans])
    return s.with_tags(tags)


def merged_records(texts, result):
    for n, (text, spans, score) in enumerate(zip(texts, result.spans, result.scores), 1):
        sentence = merged_sentence(text, spans)
        body, offsets = sentence.layout
        out_spans = [{"start": offsets[i][0], "end": offsets[j - 1][1], "label": label,
                      "text": body[offsets[i][0]:offsets[j - 1][1]], "score": round(p, 4)}
                     for i, j, label, p in spans]
        yield {"id": f"consensus:{n}", "document": "consensus", "text": body, "tokens": list(sentence.words),
               "tags": list(sentence.tags), "spans": out_spans, "score": round(score, 4),
               "annotators": sorted(text.tags), "where": text.where, "anchored": (n - 1) in result.anchored}


def dump_merged(texts, result, path, fmt: str | None = None) -> int:
    """Write the merged corpus; returns the number of sentences written."""
    from ...formats.registry import dump, guess_format

    path = Path(path)
    if guess_format(path, fmt) == "jsonl":
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for record in merged_records(texts, result):
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return len(texts)
    sentences = tuple(merged_sentence(t, spans) for t, spans in zip(texts, result.spans))
    return dump([Document("consensus", sentences)], path, fmt)


def _figures(counts_by_label: dict, labels) -> dict:
    micro = sum(counts_by_label.values(), type(next(iter(counts_by_label.values())))()) if counts_by_label else None
    out = micro.as_dict() if micro else {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    out["labels"] = {label: counts_by_label[label].as_dict() for label in labels if label in counts_by_label}
    return out


def report_dict(result, files: dict, truth: dict | None = None, notes=(), texts: int = 0, info=()) -> dict:
    """The JSON report: ``annotators`` (file, estimated figures, rank; with gold the true ones beside)."""
    ranked = sorted(result.estimates, key=lambda e: -e.micro.f1)
    rank = {e.who: n for n, e in enumerate(ranked, 1)}
    annotators = []
    for e in result.estimates:
        entry = {"name": e.who, "file": files[e.who], "rank": rank[e.who], **_figures(e.labels, result.labels)}
        if truth is not None:
            entry["true"] = _figures(truth[e.who], result.labels)
        annotators.append(entry)
    report = {"texts": texts, "labels": list(result.labels), "iterations": result.iterations,
              "anchored": len(result.anchored), "annotators": annotators,
              "sentence_scores": {"mean": round(sum(result.scores) / len(result.scores), 4) if result.scores else None,
                                  "below_0.5": sum(1 for s in result.scores if s < 0.5)},
              "vote_differs": sum(1 for m, v in zip(result.spans, result.vote)
                                  if [x[:3] for x in m] != [x[:3] for x in v]),
              "notes": [str(n) for n in notes], "info": list(info)}
    if truth is not None:
        report[MERGE] = _figures(truth[MERGE], result.labels)
        report[VOTE] = _figures(truth[VOTE], result.labels)
    return report


def _row(cells, widths) -> str:
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()


def format_report(report: dict) -> str:
    """The report as a table: one row per annotator, best estimated first; true figures beside with gold."""
    gold = MERGE in report
    header = ["rank", "annotator", "est P", "est R", "est F1"] + (["true P", "true R", "true F1"] if gold else [])
    rows = []
    for a in sorted(report["annotators"], key=lambda a: a["rank"]):
        row = [a["rank"], a["name"], f"{a['precision']:.3f}", f"{a['recall']:.3f}", f"{a['f1']:.3f}"]
        if gold:
            row += [f"{a['true'][k]:.3f}" for k in ("precision", "recall", "f1")]
        rows.append(row)
    if gold:
        for name in (VOTE, MERGE):
            f = report[name]
            rows.append(["", "majority vote" if name == VOTE else "merge (ours)", "", "", "",
                         f"{f['precision']:.3f}", f"{f['recall']:.3f}", f"{f['f1']:.3f}"])
    widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]
    lines = [f"{report['texts']} texts, labels {', '.join(report['labels']) or 'none'}; EM {report['iterations']} "
             f"iterations; {report['anchored']} texts anchored (gold or reviewed)", _row(header, widths)]
    lines += [_row(r, widths) for r in rows]
    s = report["sentence_scores"]
    if s["mean"] is not None:
        lines.append(f"sentence scores: mean {s['mean']:.3f}, {s['below_0.5']} below 0.5; majority vote differs from "
                     f"the merge in {report['vote_differs']} of {report['texts']} texts")
    return "\n".join(lines)
