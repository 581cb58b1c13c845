"""Data Manager tabs: what an annotator sees when the project opens, set up by push and predict.

``hide_bookkeeping`` keeps the one bookkeeping column (``data.ner``, see ``tasks.py``)
out of every tab; when the project has no tab yet, it makes the "Default" one with
the columns Label Studio's own first tab hides. ``uncertain_first`` makes (or brings
up to date) a tab sorted by prediction score, lowest first, with the score shown:
after ``ner ls predict`` the uncertain tasks are one click away, no sorting by hand.

Left out: filters, per-user tabs, column widths.
"""

from __future__ import annotations

BOOKKEEPING = "tasks:data.ner"
UNCERTAIN = "Uncertain first"
# The columns Label Studio 1.23's frontend hides in the first tab it makes (read from such a tab).
_EXPLORE = ("tasks:inner_id", "tasks:annotations_results", "tasks:annotations_ids", "tasks:predictions_score",
            "tasks:predictions_model_versions", "tasks:predictions_results", "tasks:file_upload",
            "tasks:storage_filename", "tasks:created_at", "tasks:updated_at", "tasks:updated_by",
            "tasks:avg_lead_time", "tasks:draft_exists")
_LABELING = ("tasks:id", "tasks:inner_id", "tasks:completed_at", "tasks:cancelled_annotations",
             "tasks:total_predictions", "tasks:annotators", *_EXPLORE[1:])


def _hidden(explore, labeling) -> dict:
    return {"explore": [*explore, BOOKKEEPING], "labeling": [*labeling, BOOKKEEPING]}


def hide_bookkeeping(client, project_id: int) -> None:
    """``data.ner`` hidden in every tab of the project (a "Default" tab made when there is none)."""
    views = client.list_views(project_id)
    if not views:
        client.save_view(project_id, {"title": "Default", "type": "list", "target": "tasks",
                                      "hiddenColumns": _hidden(_EXPLORE, _LABELING)})
        return
    for view_id, data in views:
        hidden = dict(data.get("hiddenColumns") or {})
        if all(BOOKKEEPING in (hidden.get(mode) or ()) for mode in ("explore", "labeling")):
            continue
        for mode in ("explore", "labeling"):
            hidden[mode] = [*(c for c in hidden.get(mode) or () if c != BOOKKEEPING), BOOKKEEPING]
        client.save_view(project_id, {**data, "hiddenColumns": hidden}, view_id)


def uncertain_first(client, project_id: int) -> None:
    """A tab "Uncertain first": ordered by prediction score, ascending, the score column shown."""
    hide_bookkeeping(client, project_id)
    found = [(view_id, data) for view_id, data in client.list_views(project_id) if data.get("title") == UNCERTAIN]
    explore = [c for c in _EXPLORE if c != "tasks:predictions_score"]
    data = {"title": UNCERTAIN, "type": "list", "target": "tasks", "ordering": ["tasks:predictions_score"],
            "hiddenColumns": _hidden(explore, _LABELING)}
    if found:
        view_id, old = found[0]
        if old.get("ordering") == data["ordering"]:
            return
        data = {**old, "ordering": data["ordering"]}
    client.save_view(project_id, data, found[0][0] if found else None)
