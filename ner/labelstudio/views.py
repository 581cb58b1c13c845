"""Data Manager tabs: what an annotator sees when the project opens, for every tab the toolkit makes.

Label Studio draws its own columns first (ID, Completed, counts, Annotated by, Inner ID,
results, model versions...) and the task's data after them, so by default the text sits
off-screen. ``readable_tab`` makes (or brings up to date) a tab that shows only the ID, the
annotation count, the columns the caller names (a score, and the data fields: the text,
a rank...) and hides every other column, the bookkeeping field ``data.ner`` included; the
text is then the first wide column, the rank and score beside it. ``first`` puts the tab
first, the one the project opens on. Every tab goes through it: "Default" after a push
(``hide_bookkeeping``), "Uncertain first" after ``ner ls predict`` (``uncertain_first``),
"ner select" and the review queue.

Left out: per-user tabs, column widths (Label Studio has no column order setting).
"""

from __future__ import annotations

BOOKKEEPING = "tasks:data.ner"
UNCERTAIN = "Uncertain first"
# Label Studio 1.23's own columns (data_manager.functions.get_all_columns), in the order it draws them.
BUILTIN = ("id", "inner_id", "completed_at", "total_annotations", "cancelled_annotations", "total_predictions",
           "annotators", "annotations_results", "annotations_ids", "predictions_score", "predictions_model_versions",
           "predictions_results", "file_upload", "storage_filename", "created_at", "updated_at", "updated_by",
           "avg_lead_time", "draft_exists")
SHOWN = ("id", "total_annotations")


def hidden_columns(show, data_fields=()) -> dict:
    """The ``hiddenColumns`` of a tab that shows ``SHOWN``, the built-in columns in ``show`` and the data
    fields in ``show``; every other built-in column and data field (``data.ner`` always) is hidden. The
    labeling side list (beside the editor) keeps only the shown data and score, not even the ID.

    >>> hidden_columns(["text"], ["text", "ner"])["explore"][-2:]
    ['tasks:draft_exists', 'tasks:data.ner']
    """
    show = set(show)
    data = [f"tasks:data.{k}" for k in dict.fromkeys([*data_fields, "ner"]) if k not in show]
    explore = [f"tasks:{c}" for c in BUILTIN if c not in show and c not in SHOWN] + data
    labeling = [f"tasks:{c}" for c in BUILTIN if c not in show] + data
    return {"explore": explore, "labeling": labeling}


def readable_tab(client, project_id: int, title: str, ordering, show, data_fields=(), *,
                 first: bool = False, filters=()) -> int:
    """Make or update the tab ``title``: ``ordering`` (e.g. ``["-tasks:data.suspicion"]``), the columns
    ``show`` (built-in ids or data fields), the other ``data_fields`` hidden, the tasks that pass all ``filters``
    (``(column, operator, type, value)``, e.g. ``("total_annotations", "equal", "Number", 0)``); returns its id."""
    data = {"title": title, "type": "list", "target": "tasks", "ordering": list(ordering),
            "hiddenColumns": hidden_columns(show, data_fields)}
    if filters:
        data["filters"] = {"conjunction": "and", "items": [
            {"filter": f"filter:tasks:{column}", "operator": op, "type": kind, "value": value}
            for column, op, kind, value in filters]}
    views = client.list_views(project_id)
    mine = next(((i, d) for i, d in views if d.get("title") == title), None)
    if mine is None:
        view_id = client.save_view_returning(project_id, data)
    else:
        view_id = mine[0]
        if any(mine[1].get(k) != v for k, v in data.items()):
            client.save_view(project_id, {**mine[1], **data}, view_id)
    if first and views and views[0][0] != view_id:
        client.order_views(project_id, [view_id] + [i for i, _ in views if i != view_id])
    return view_id


def hide_bookkeeping(client, project_id: int, text_key: str = "text") -> None:
    """A readable "Default" tab when the project has none; in the tabs it has, ``data.ner`` hidden."""
    views = client.list_views(project_id)
    if not views:
        readable_tab(client, project_id, "Default", [], [text_key, "annotators"])
        return
    for view_id, data in views:
        hidden = dict(data.get("hiddenColumns") or {})
        if all(BOOKKEEPING in (hidden.get(mode) or ()) for mode in ("explore", "labeling")):
            continue
        for mode in ("explore", "labeling"):
            hidden[mode] = [*(c for c in hidden.get(mode) or () if c != BOOKKEEPING), BOOKKEEPING]
        client.save_view(project_id, {**data, "hiddenColumns": hidden}, view_id)


def uncertain_first(client, project_id: int, text_key: str = "text") -> None:
    """A tab "Uncertain first": ordered by prediction score, ascending, the score beside the text."""
    hide_bookkeeping(client, project_id, text_key)
    readable_tab(client, project_id, UNCERTAIN, ["tasks:predictions_score"], [text_key, "predictions_score"])
