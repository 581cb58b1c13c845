"""The pools ``ner select`` chooses from, and how the choice reaches annotators.

Pools: a text file (one text per line, split into sentences and words by razdel as
``ner tag`` does), a corpus (every sentence a candidate, its tags ignored), or the
tasks of a Label Studio project that nobody has submitted an annotation for (words:
the task's stored tokens, else razdel).

Label Studio's free edition has no active-learning queue, but its Data Manager sorts by
any data field. ``mark_project`` writes the rank of each chosen task into its data
(``ner_select``: "00001", "00002"..., zero-padded so text and number order agree), clears
the field on tasks an earlier run marked and this one did not choose, and keeps a Data
Manager tab "ner select" ordered by that field, moved first; tasks without the field sort
after the chosen ones. "Label All Tasks" from that tab follows its order. The priority goes
beside the rank (``ner_select_score``); the tab shows the text, the rank and the score and
hides Label Studio's internals (``labelstudio/views.py``).

Left out: pools in other formats of Label Studio (images, audio); assigning tasks to people.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UserError
from ..formats.texts import looks_like_conll
from .select import Candidate

FIELD = "ner_select"
SCORE_FIELD = "ner_select_score"
VIEW_TITLE = "ner select"


def pool_from_text(path: str | Path) -> list[Candidate]:
    from ..text import segment, text_lines

    out = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            lines = text_lines(f.read())  # line feeds only, as Label Studio and the other text readers cut
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read the pool ({e}); give a UTF-8 text file, one text per line") from None
    for n, line in enumerate(lines, 1):
        if any(ch.isalnum() for ch in line):  # blank lines and markup alone (a table's |---|) hold nothing to label
            words = tuple(tuple(w for _, _, w in sentence) for sentence in segment(line))
            out.append(Candidate(f"{path}:{n}", line, words))
    return out


def pool_from_corpus(path: str | Path, fmt: str | None = None) -> list[Candidate]:
    from ..check import Report
    from ..formats.registry import load

    report = Report()
    docs = list(load(path, fmt, report=report))
    fatal = [i for i in report.errors if i.code in ("E100", "E101", "E102", "E103", "E110")]
    if fatal:
        raise UserError(f"{fatal[0]} ({len(fatal)} error(s) in the pool)")
    return [Candidate(f"{path}:{s.line}" if s.line else f"{path}: sentence {k}", s.text, (s.words,), source=s)
            for k, s in enumerate((s for d in docs for s in d.sentences if len(s)), 1)]


def pool_from_path(path: str | Path, fmt: str | None = None) -> list[Candidate]:
    """Text file or corpus: ``fmt`` 'text' or a corpus format, else guessed (a .txt is sniffed)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if fmt == "text" or (fmt is None and path.suffix.lower() in (".txt", "") and not looks_like_conll(path)):
        return pool_from_text(path)
    return pool_from_corpus(path, fmt)


def pool_from_tasks(tasks, names, report, submitted: bool = False) -> list[Candidate]:
    """Candidates of the tasks nobody submitted an annotation for (``submitted``: of the annotated ones,
    the texts already labelled, which ``select(labelled=...)`` keeps the batch away from)."""
    from ..labelstudio import annotations as policy
    from ..labelstudio.tasks import task_sentences

    out = []
    for task in tasks:
        if bool(policy.submitted(task)) != submitted:
            continue
        where = f"task {task.get('id')}"
        sentences = task_sentences(task, [], names=names, where=where, report=report)
        text = (task.get("data") or {}).get(names.text_key) or " ".join(s.text for s in sentences)
        out.append(Candidate(where, text, tuple(s.words for s in sentences), task=task.get("id")))
    return out


def project_pool(client, title: str, report) -> tuple[int, list[dict], list[Candidate], list[Candidate]]:
    """(project id, all its tasks, candidates of the unannotated ones, the annotated ones' texts)."""
    from ..labelstudio.config import config_names

    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    tasks = client.all_tasks(project["id"])
    return (project["id"], tasks, pool_from_tasks(tasks, names, report),
            pool_from_tasks(tasks, names, report, submitted=True))


def mark_project(client, project_id: int, tasks, choices, text_key: str = "text") -> dict:
    """Put the chosen tasks first (see the module docstring); returns what was done."""
    from ..labelstudio.views import readable_tab

    def score(c) -> float | None:
        return None if c.priority is None else round(float(c.priority), 3)

    rank = {c.candidate.task: {FIELD: f"{c.rank:05d}", SCORE_FIELD: score(c)} for c in choices}
    updated = cleared = 0
    for task in tasks:
        data = task.get("data") or {}
        want = rank.get(task.get("id"))
        if want is None and FIELD not in data and SCORE_FIELD not in data:
            continue
        if want is not None and all(data.get(k) == v for k, v in want.items()):
            continue
        new = {k: v for k, v in data.items() if k not in (FIELD, SCORE_FIELD)} | (want or {})
        client.update_task_data(task["id"], new)
        updated += want is not None
        cleared += want is None
    if updated:
        client.refresh_columns(project_id)  # else the new fields get no column (and no sort button text)
    view_id = readable_tab(client, project_id, VIEW_TITLE, [f"tasks:data.{FIELD}"], [text_key, FIELD, SCORE_FIELD],
                           first=True)
    return {"view": view_id, "ranked": len(rank), "marked": updated, "cleared": cleared}
