"""Export files from the Label Studio UI (JSON, JSON-MIN, CONLL2003) -> documents, offline.

JSON is a list of tasks exactly as the API returns them, so it goes through the
same path as ``ner ls pull`` (``sync.tasks_documents``). JSON-MIN rows (one per
annotation: the task data flattened, the regions under the ``Labels`` tag's
name, ``annotator``, ``annotation_id``) are turned back into tasks first; they
carry no task meta, so tasks pushed by ``ner ls push`` lose their stored tokens and
document ids there (W207 says so).
CONLL2003 files are read with the CoNLL reader and its checks; Label Studio
builds them by re-tokenizing the text with NLTK and tagging by offsets, so a
W205 says the tokens are not the stored ones and JSON is the lossless choice.

Left out: CSV/TSV exports; exports of other control tags.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..check import Issue, Report
from ..errors import UserError
from .config import ConfigNames

_MIN_META = frozenset({"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time",
                       "agreement", "drafts", "predictions"})


def detect_format(path: Path, head: str) -> str:
    """JSON, JSON-MIN or CONLL2003 from the file's first characters."""
    stripped = head.lstrip("\ufeff \t\r\n")
    if not stripped.startswith(("[", "{")):
        return "CONLL2003"
    return "JSON?"


def _is_region_list(value) -> bool:
    return (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
            and all("labels" in v and "start" in v for v in value))


def min_rows_tasks(rows: list[dict], names: ConfigNames) -> list[dict]:
    """JSON-MIN rows -> tasks with one annotation each (rows of one task id are merged)."""
    tasks: dict = {}
    for n, row in enumerate(rows):
        region_keys = [k for k, v in row.items() if _is_region_list(v)]
        data = {k: v for k, v in row.items() if k not in _MIN_META and k not in region_keys}
        if names.from_name in row and not region_keys and isinstance(row[names.from_name], list):
            data.pop(names.from_name, None)  # an annotation with no regions at all
        result = [{"from_name": key, "to_name": names.to_name, "type": "labels", "value": dict(v)}
                  for key in region_keys for v in row[key]]
        task_id = row.get("id", f"row{n + 1}")
        task = tasks.setdefault(task_id, {"id": task_id, "data": data, "annotations": []})
        if row.get("annotation_id") is not None or result or "annotator" in row:
            task["annotations"].append({"id": row.get("annotation_id"), "result": result,
                                        "completed_by": row.get("annotator"),
                                        "updated_at": row.get("updated_at"),
                                        "created_at": row.get("created_at")})
    return list(tasks.values())


def load_export_tasks(path: str | Path, names: ConfigNames = ConfigNames()) -> tuple[str, list[dict]]:
    """``(format, tasks)`` of a JSON or JSON-MIN export file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as e:
        raise UserError(f"{path}: cannot read the export ({e.strerror}); check the path") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not a JSON export ({e}); export JSON, JSON-MIN or CONLL2003 from "
                        f"Label Studio") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(t, dict) for t in data):
        raise UserError(f"{path}: expected a list of tasks (Label Studio JSON or JSON-MIN export)")
    if all("data" in t or "annotations" in t for t in data):
        return "JSON", data
    if data and not any(names.text_key in row for row in data):
        raise UserError(f"{path}: not a Label Studio export: neither tasks with 'data' (JSON) nor rows with the "
                        f"text field {names.text_key!r} (JSON-MIN); export JSON from Label Studio")
    return "JSON-MIN", min_rows_tasks(data, names)


def read_conll2003(path: str | Path, schema=None, report: Report | None = None):
    """Documents of a CONLL2003 export, read with the CoNLL reader's checks."""
    from ..formats.conll import read_conll

    report = report if report is not None else Report()
    docs = list(read_conll(path, schema=schema, report=report, infer_sentences=False))
    report.issues.append(Issue(str(path), 0, "W205",
                               "a CONLL2003 export is re-tokenized by Label Studio (NLTK), not the pushed "
                               "tokens, and its tags come from offsets the exporter may count differently "
                               "after emoji; export JSON for a lossless round trip"))
    return docs
