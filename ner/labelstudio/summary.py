"""What ``ner ls`` reports: a push's summary lines, the corpus files a pull or a converted export writes.

``push_lines(result, layout, tags_as)`` words a ``PushResult`` (what was created, what
repeated, what changed and was refused) and says whether something needs the user (exit 1);
``dump_pulled(result, out)`` writes a ``PullResult``'s documents (one file, or one per
annotator: ``OUT.<annotator>.EXT``) and returns a line per file written plus the summary.
``schema_for(value, project)`` is the schema of a ``--labels`` value, the project's own
labels when none is given.
``export_note(format)`` says what an export of the UI cannot tell (no link to the predictions).

Left out: the server calls (``sync.py``), printing (``commands/ls.py``).
"""

from __future__ import annotations

from pathlib import Path


def listing(items, most: int = 5) -> str:
    """The first ``most`` items, quoted, and how many more."""
    items = list(items)
    shown = ", ".join(repr(x) if isinstance(x, str) and " = " not in x else str(x) for x in items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def push_lines(result, layout, tags_as: str) -> tuple[list[str], int]:
    """The lines that sum up a push and its exit status (1: documents left unpushed)."""
    lines = [f"{result.documents} document(s) as {result.tasks} task(s), {layout.describe()} "
             f"(--sentences-per-task {layout.sentences} --chars-per-task {layout.chars}); the document ids stay in "
             f"task meta, so pull puts documents back together"]
    if result.same_content:
        lines.append(f"{len(result.same_content)} document(s) repeat the content of another and were pushed once: "
                     + listing(f"{a} = {b}" for a, b in result.same_content))
    status = 0
    if result.changed:
        lines.append(f"changed: {len(result.changed)} document(s) differ from their tasks in the project and were "
                     f"not pushed: {listing(result.changed)}; delete those tasks in Label Studio to push the new "
                     f"versions")
        status = 1
    if result.relaid:
        lines.append(f"layout: {len(result.relaid)} document(s) are in the project cut another way and were not "
                     f"pushed: {listing(result.relaid)}; push with the layout they were pushed with, or delete "
                     f"their tasks")
        status = 1
    kind = "prediction(s)" if tags_as == "predictions" else "annotation(s)"
    attached = f", {result.attached} {kind} attached to tasks already there" if result.attached else ""
    if result.kept_annotated:
        attached += f", {result.kept_annotated} task(s) already annotated by a person left as they are"
    lines.append(f"{result.created} task(s) created, {result.unchanged} already there, {len(result.changed)} "
                 f"document(s) changed{attached} (project id {result.project_id})")
    return lines, status


def dump_pulled(result, out: str) -> list[str]:
    """Write the documents of a pull or a converted export; a line per file written, then the summary."""
    from ..formats.registry import dump

    out_path = Path(out)
    lines = []
    for who, docs in sorted(result.documents.items()):
        target = out_path if not who else out_path.with_name(f"{out_path.stem}.{who}{out_path.suffix or '.conll'}")
        n = dump(docs, target)
        lines.append(f"wrote {target} ({len(docs)} document(s), {n} sentence(s))")
    if not result.documents:
        lines.append("no annotated tasks: nothing written (--unannotated writes them with O tags)")
    lines.append(f"{result.tasks} task(s), {result.annotated} annotated: {result.report.summary()}")
    if result.blank:
        lines.append(f"{result.blank} task(s) nobody annotated written all O (--unannotated): to a training run they "
                     "are sentences without entities")
    return lines


def export_note(fmt: str) -> str:
    """What an export of the UI cannot tell: a JSON-MIN or CONLL2003 file keeps no link to the predictions."""
    return "" if fmt == "JSON" else (" (it does not record the predictions annotations were made from: none is "
                                     "counted as accepted unchanged; a JSON export does)")


def schema_for(value, project=None):
    """The schema of a --labels value: None (auto) for 'auto', the project's config labels when not given."""
    from ..schema import Schema, load_schema

    if value == "auto":
        return None
    if value is None and project is not None:
        from .config import config_names

        labels = config_names(project["label_config"], f"project {project['title']!r}").labels
        return Schema.auto(labels, f"project {project['title']!r}") if labels else None
    return load_schema(value)
