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
after the chosen ones. "Label All Tasks" from that tab follows its order.

Left out: pools in other formats of Label Studio (images, audio); assigning tasks to people.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UserError
from ..formats.texts import looks_like_conll
from .select import Candidate

FIELD = "ner_select"
VIEW_TITLE = "ner select"


def pool_from_text(path: str | Path) -> list[Candidate]:
    from ..text import segment

    out = []
    try:
        with open(path, encoding="utf-8-sig") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read the pool ({e}); give a UTF-8 text file, one text per line") from None
    for n, line in enumerate(lines, 1):
        if line.strip():
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


def pool_from_tasks(tasks, names, report) -> list[Candidate]:
    """Candidates of the tasks nobody submitted an annotation for."""
    from ..labelstudio import annotations as policy
    from ..labelstudio.tasks import task_sentences

    out = []
    for task in tasks:
        if policy.submitted(task):
            continue
        where = f"task {task.get('id')}"
        sentences = task_sentences(task, [], names=names, where=where, report=report)
        text = (task.get("data") or {}).get(names.text_key) or " ".join(s.text for s in sentences)
        out.append(Candidate(where, text, tuple(s.words for s in sentences), task=task.get("id")))
    return out


def project_pool(client, title: str, report) -> tuple[int, list[dict], list[Candidate]]:
    """(project id, all its tasks, candidates of the unannotated ones)."""
    from ..labelstudio.config import config_names

    project = client.project(title)
    names = config_names(project["label_config"], f"project {title!r}")
    tasks = client.all_tasks(project["id"])
    return project["id"], tasks, pool_from_tasks(tasks, names, report)


def mark_project(client, project_id: int, tasks, choices) -> dict:
    """Put the chosen tasks first (see the module docstring); returns what was done."""
    rank = {c.candidate.task: f"{c.rank:05d}" for c in choices}
    updated = cleared = 0
    for task in tasks:
        data = task.get("data") or {}
        want = rank.get(task.get("id"))
        if data.get(FIELD) == want:
            continue
        if want is None and FIELD not in data:
            continue
        new = {k: v for k, v in data.items() if k != FIELD}
        if want is not None:
            new[FIELD] = want
        client.update_task_data(task["id"], new)
        updated += want is not None
        cleared += want is None
    views = client.list_views(project_id)
    data = {"title": VIEW_TITLE, "ordering": [f"tasks:data.{FIELD}"]}
    mine = next(((i, d) for i, d in views if d.get("title") == VIEW_TITLE), None)
    if mine is None:
        view_id = client.save_view_returning(project_id, data)
    else:
        view_id = mine[0]
        if mine[1].get("ordering") != data["ordering"]:
            client.save_view(project_id, {**mine[1], **data}, view_id)
    order = [view_id] + [i for i, _ in views if i != view_id]
    if len(order) > 1:
        client.order_views(project_id, order)
    return {"view": view_id, "marked": updated, "cleared": cleared}
