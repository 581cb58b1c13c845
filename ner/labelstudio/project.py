"""A project's labeling config: create the project, or bring its config up to date without orphaning work.

``init_project`` creates the project from the schema, or updates the config of the one
with that title. A config that drops labels the project's annotations use is refused,
naming them: Label Studio's own check before a config change counts only regions made in
its editor, not annotations imported with tasks (what ``ner ls push`` sends).

Left out: tasks (``sync.py``), the config XML itself (``config.py``).
"""

from __future__ import annotations

from ..errors import UserError
from .config import config_names, format_labeling_config
from .regions import regions


def init_project(client, title: str, schema) -> tuple[dict, bool]:
    """``(project, created)``: a new project, or the existing one with its config brought up to date."""
    if len(title.strip()) < 3:
        raise UserError(f"project title {title!r} is too short; Label Studio needs 3 characters or more")
    config = format_labeling_config(schema)
    project = client.find_project(title)
    if project is None:
        return client.create_project(title, config, f"NER labels: {', '.join(schema.names)}"), True
    if project["label_config"] != config:
        dropped = set(config_names(project["label_config"], f"project {title!r}").labels) - set(schema.names)
        used = labels_in_use(client, project["id"], dropped) if dropped else {}
        if used:
            raise UserError(f"project {title!r}: its annotations use label(s) "
                            f"{', '.join(f'{k} ({v})' for k, v in sorted(used.items()))} that the new labeling "
                            f"config lacks; keep them in the schema, or delete those regions first")
        client.update_config(project["id"], config)
        project["label_config"] = config
    return project, False


def labels_in_use(client, project_id: int, labels) -> dict[str, int]:
    """How many regions of the project's annotations carry each of ``labels``."""
    used: dict[str, int] = {}
    for task in client.iter_tasks(project_id):
        for annotation in task.get("annotations") or ():
            for region in regions(annotation.get("result")):
                for label in region["value"].get("labels") or ():
                    if label in labels:
                        used[label] = used.get(label, 0) + 1
    return used
