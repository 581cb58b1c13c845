"""The only network code: a Label Studio connection over the official ``label-studio-sdk``.

``Connection`` is the configuration (URL, API key, timeout, retries), read from
flags or ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY`` in one place
(``connection_from``). ``Client`` wraps the SDK's ``LabelStudio``: legacy tokens
and personal access tokens (JWT refresh tokens, exchanged by the SDK) both work.
Every call is retried here, with exponential back-off, on 5xx answers and dropped
connections; the SDK's own retries are switched off, because it would resend an
import the server may already have stored (``import_tasks`` first asks which
tasks arrived, ``create_project`` whether the project exists). Every failure a
user can fix (server down, wrong URL, refused token, missing project) becomes one
``UserError`` line. Task listings are paged (``page_size``) and can be narrowed to
tasks whose data fields equal or contain given values (a Data Manager filter);
``count_tasks`` asks for the total only.

Left out: storage connections, webhooks, ML-backend registration.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from dataclasses import dataclass

from ..errors import UserError

from ..settings import DEFAULT_LABEL_STUDIO_URL as DEFAULT_URL


@dataclass(frozen=True, slots=True)
class Connection:
    url: str = DEFAULT_URL
    api_key: str = ""
    timeout: float = 120.0
    retries: int = 5
    backoff: float = 0.5
    page_size: int = 1000


def local_server_script() -> Path | None:
    """``scripts/labelstudio.sh``, absolute (a hint that works anywhere); None outside the repository."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "labelstudio.sh"
    return script if script.is_file() else None


def connection_from(url: str | None = None, api_key: str | None = None, **kwargs) -> Connection:
    """Flags first, then ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY``; the one place env is read."""
    from ..settings import labelstudio_api_key, labelstudio_url

    url = (url or labelstudio_url()).rstrip("/")
    api_key = api_key or labelstudio_api_key()
    if not api_key:
        script = local_server_script()
        local = f"; for the local server: eval \"$({script} env)\"" if script else ""
        raise UserError(f"no Label Studio API key: set LABEL_STUDIO_API_KEY or pass --api-key (Account & "
                        f"Settings -> Access Token in the UI{local})")
    if not url.startswith(("http://", "https://")):
        raise UserError(f"Label Studio URL {url!r} must start with http:// or https://")
    return Connection(url, api_key, **kwargs)


def _retryable(exc) -> bool:
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    if isinstance(exc, ApiError):
        return exc.status_code is not None and (exc.status_code >= 500 or exc.status_code in (408, 429))
    return isinstance(exc, (httpx.TransportError,)) and not isinstance(exc, httpx.UnsupportedProtocol)


def task_filter(where: dict | None, operator: str = "equal") -> str | None:
    """The ``query`` of a task listing that keeps tasks whose data fields match ``where``'s values
    (``operator``: "equal" or "contains"); a list of values keeps tasks matching any of them (for one
    field only: a filter has one conjunction).

    >>> task_filter({"ner": ["|batch:ab12-5|", "|batch:cd34-5|"]}, "contains")
    '{"filters": {"conjunction": "or", "items": [{"filter": "filter:tasks:data.ner", "operator": "contains", \
"type": "String", "value": "|batch:ab12-5|"}, {"filter": "filter:tasks:data.ner", "operator": "contains", \
"type": "String", "value": "|batch:cd34-5|"}]}}'
    """
    if not where:
        return None
    items, conjunction = [], "and"
    for key, value in where.items():
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if len(values) > 1:
            if len(where) > 1:
                raise ValueError(f"task_filter: several values for {key!r} need the only field in the filter")
            conjunction = "or"
        items += [{"filter": f"filter:tasks:data.{key}", "operator": operator, "type": "String", "value": str(v)}
                  for v in values]
    return json.dumps({"filters": {"conjunction": conjunction, "items": items}}, ensure_ascii=False)


class Client:
    """A connected Label Studio: projects, task import, paged task listing, export."""

    def __init__(self, conn: Connection):
        self.conn = conn
        try:
            from label_studio_sdk import LabelStudio
        except ImportError:
            raise UserError("label-studio-sdk is not installed: pip install 'ner[labelstudio]'") from None
        self._sdk = self.call(lambda: LabelStudio(base_url=conn.url, api_key=conn.api_key, timeout=conn.timeout,
                                                  max_retries=0), "connect")
        self.user = self.call(lambda: self._sdk.users.whoami(), "check the API key")

    def _explain(self, exc, what: str) -> UserError:
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        url = self.conn.url
        if isinstance(exc, ApiError):
            status = exc.status_code
            body = exc.body if isinstance(exc.body, (str, dict)) else ""
            detail = body.get("detail") if isinstance(body, dict) else " ".join(str(body).split())[:200]
            if status in (401, 403):
                return UserError(f"Label Studio at {url} refused the API key ({status}: {detail}); check "
                                 f"LABEL_STUDIO_API_KEY or --api-key (legacy token or personal access token)")
            if status == 404:
                return UserError(f"{what}: {url} answered 404 ({detail}); is this the Label Studio URL?")
            again = f" after {self.conn.retries} retries; run the command again, it resumes" \
                if _retryable(exc) else ""
            return UserError(f"{what}: Label Studio at {url} answered {status}: {detail or body}{again}")
        if isinstance(exc, httpx.ConnectError):
            script = local_server_script()
            start = f"start the local one with {script}, or " if script else ""
            return UserError(f"cannot reach Label Studio at {url} ({exc}); is it running? "
                             f"{start}set LABEL_STUDIO_URL")
        if isinstance(exc, httpx.TransportError):
            return UserError(f"{what}: the connection to {url} failed after {self.conn.retries} retries "
                             f"({type(exc).__name__}: {exc}); run the command again, it resumes")
        if isinstance(exc, json.JSONDecodeError):
            return UserError(f"{what}: {url} did not answer with JSON; is this the Label Studio URL?")
        return UserError(f"{what}: {type(exc).__name__}: {exc}")

    def call(self, fn, what: str, on_retry=None):
        """``fn()`` with retries and back-off; ``on_retry(exc)`` may return a new ``fn`` (e.g. de-duplicated)."""
        for attempt in range(self.conn.retries + 1):
            try:
                return fn()
            except Exception as exc:  # mapped below: SDK, httpx and JSON errors only
                if not _retryable(exc) or attempt == self.conn.retries:
                    if type(exc).__module__.startswith(("label_studio_sdk", "httpx", "json", "pydantic")):
                        raise self._explain(exc, what) from None
                    raise
                time.sleep(self.conn.backoff * 2 ** attempt)
                if on_retry is not None:
                    fn = on_retry(exc) or fn
        raise AssertionError("unreachable")

    def find_project(self, title: str) -> dict | None:
        """The project with exactly this title, or None."""
        def find():
            for p in self._sdk.projects.list(title=title, page_size=100):
                if p.title == title:
                    return {"id": p.id, "title": p.title, "label_config": p.label_config}
            return None
        return self.call(find, f"find project {title!r}")

    def project(self, title: str, made_by: str = "") -> dict:
        """The project titled ``title``; refused when missing, saying what makes it (``made_by``, else ner ls init)."""
        if (found := self.find_project(title)) is None:
            raise UserError(f"no Label Studio project titled {title!r} at {self.conn.url}; "
                            + (made_by or f"create it with: ner ls init --project {title!r}"))
        return found

    def create_project(self, title: str, label_config: str, description: str = "") -> dict:
        """Create the project; before a retry, look for it first: the failed attempt may have created it."""
        def create():
            p = self._sdk.projects.create(title=title, label_config=label_config, description=description)
            return {"id": p.id, "title": p.title, "label_config": label_config}

        def on_retry(_exc):
            found = self.find_project(title)
            if found is not None:
                return lambda: found

        return self.call(create, f"create project {title!r}", on_retry=on_retry)

    def update_config(self, project_id: int, label_config: str) -> None:
        self.call(lambda: self._sdk.projects.update(id=project_id, label_config=label_config),
                  "update the labeling config")

    def set_model_version(self, project_id: int, model_version: str) -> None:
        """Make ``model_version`` the project's: Label Studio aggregates only its predictions' scores
        into the Data Manager's "Prediction score" column (and ordering by it)."""
        self.call(lambda: self._sdk.projects.update(id=project_id, model_version=model_version),
                  "set the project's model version")

    def import_tasks(self, project_id: int, tasks: list[dict], refresh=None) -> int:
        """Create tasks (with their annotations/predictions); returns the number created.

        Before a retry, ``refresh(batch)`` may cut the batch down to the tasks the
        server does not have yet (it may have stored them before the connection
        dropped); the ones it cut were created by the attempt that failed.
        """
        state = {"batch": tasks}

        def send():
            batch = state["batch"]
            if not batch:
                return 0
            r = self._sdk.projects.import_tasks(id=project_id, request=batch, return_task_ids=False)
            count = getattr(r, "task_count", None)
            return len(batch) if count is None else count

        def on_retry(_exc):
            if refresh is not None:
                state["batch"] = refresh(state["batch"])

        sent = self.call(send, "import tasks", on_retry=on_retry)
        return len(tasks) - len(state["batch"]) + sent

    def count_tasks(self, project_id: int, where: dict | None = None, operator: str = "equal") -> int:
        """How many tasks the project has (matching ``where``, see ``task_filter``): one small request."""
        query = task_filter(where, operator)
        pager = self.call(lambda: self._sdk.tasks.list(project=project_id, page=1, page_size=1, fields="task_only",
                                                       include="id", query=query), "count tasks")
        total = getattr(pager.response, "total", None)
        if total is None:
            raise UserError(f"count tasks: {self.conn.url} answered without a task total; "
                            f"is this the Label Studio URL?")
        return total

    def count_unannotated(self, project_id: int) -> int:
        """How many tasks of the project have no annotation (one small request)."""
        query = json.dumps({"filters": {"conjunction": "and", "items": [
            {"filter": "filter:tasks:total_annotations", "operator": "equal", "type": "Number", "value": 0}]}})
        pager = self.call(lambda: self._sdk.tasks.list(project=project_id, page=1, page_size=1, fields="task_only",
                                                       include="id", query=query), "count unannotated tasks")
        return getattr(pager.response, "total", None) or 0

    def iter_tasks(self, project_id: int, *, with_results: bool = True, page_size: int | None = None,
                   where: dict | None = None, operator: str = "equal"):
        """Every task of the project (matching ``where``, see ``task_filter``) as a dict, page by
        page (tens of thousands are fine); without results only ids, data and meta are asked
        for, the cheapest listing the server has."""
        fields = "all" if with_results else "task_only"
        include = None if with_results else "id,data,meta"
        page_size = page_size or self.conn.page_size
        query = task_filter(where, operator)
        from label_studio_sdk.core.api_error import ApiError

        def fetch(page):
            try:
                return list(self._sdk.tasks.list(project=project_id, page=page, page_size=page_size,
                                                 fields=fields, include=include, query=query).items or ())
            except ApiError as e:
                if e.status_code == 404 and page > 1:  # the server's way of saying "no more pages"
                    return []
                raise

        page = 1
        while True:
            items = self.call(lambda: fetch(page), "list tasks")
            for item in items:
                yield item.model_dump(mode="json") if hasattr(item, "model_dump") else dict(item)
            if len(items) < page_size:
                return
            page += 1

    def export(self, project_id: int, export_type: str = "JSON") -> bytes:
        """The project's export file as the UI's Export dialog gives it (JSON, JSON_MIN, CONLL2003...)."""
        return self.call(lambda: b"".join(self._sdk.projects.exports.download_sync(
            project_id, export_type=export_type, download_all_tasks=True)), f"export the project as {export_type}")

    def all_tasks(self, project_id: int) -> list[dict]:
        """Every task with its annotations and predictions in one request (the JSON export):
        much faster than paging through the task list on large projects."""
        return json.loads(self.export(project_id, "JSON"))

    def project_by_id(self, project_id: int):
        """The project record (SDK object) with its labeling config."""
        return self.call(lambda: self._sdk.projects.get(id=project_id), f"read project {project_id}")

    def prediction_versions(self, task_id: int) -> set[str]:
        """The model versions that already have a prediction on the task."""
        return {p.model_version for p in self.call(lambda: self._sdk.predictions.list(task=task_id),
                                                   f"list the predictions of task {task_id}")}

    def import_predictions(self, project_id: int, predictions: list[dict], on_retry=None) -> None:
        """Attach predictions (``{"task": id, "result": [...], "score": ..., "model_version": ...}``).

        ``on_retry`` may trim the list in place (to what the server did not store) before a retry.
        """
        def send():
            if predictions:
                self._sdk.projects.import_predictions(id=project_id, request=predictions)

        self.call(send, "import predictions", on_retry=on_retry)

    def list_views(self, project_id: int) -> list[tuple[int, dict]]:
        """``(id, data)`` of the project's Data Manager tabs."""
        return [(v.id, dict(v.data or {})) for v in self.call(lambda: self._sdk.views.list(project=project_id),
                                                              "list the Data Manager tabs")]

    def save_view(self, project_id: int, data: dict, view_id: int | None = None) -> None:
        """Create a Data Manager tab (``view_id`` None) or replace one's settings."""
        if view_id is None:
            self.call(lambda: self._sdk.views.create(project=project_id, data=data), "create a Data Manager tab")
        else:
            self.call(lambda: self._sdk.views.update(id=str(view_id), project=project_id, data=data),
                      "update a Data Manager tab")

    def save_view_returning(self, project_id: int, data: dict, view_id: int | None = None) -> int:
        """``save_view`` that returns the tab's id (a new tab's id is only known from the answer)."""
        if view_id is None:
            view = self.call(lambda: self._sdk.views.create(project=project_id, data=data), "create a Data Manager tab")
            return view.id
        self.save_view(project_id, data, view_id)
        return view_id

    def order_views(self, project_id: int, ids: list[int]) -> None:
        """Put the project's Data Manager tabs in this order (the first is the one a project opens on)."""
        self.call(lambda: self._sdk.views.update_order(ids=ids, project=project_id), "order the Data Manager tabs")

    def update_task_data(self, task_id: int, data: dict) -> None:
        """Replace a task's ``data`` (annotations and predictions stay)."""
        self.call(lambda: self._sdk.tasks.update(id=task_id, data=data), f"update task {task_id}")

    def refresh_columns(self, project_id: int) -> None:
        """Have the server recount the project's data fields: the Data Manager offers a column only for
        fields it counted, and Label Studio 1.23 does not count fields added by a task update."""
        def reset():
            r = self._sdk._client_wrapper.httpx_client.request(f"api/projects/{project_id}/summary/reset/",
                                                                method="POST", json={})
            r.raise_for_status()
        self.call(reset, "refresh the Data Manager's columns")

    def user_emails(self) -> dict[int, str]:
        """``{user id: e-mail}`` of the server's users (exports name annotators by id)."""
        return {u.id: u.email for u in self.call(lambda: list(self._sdk.users.list()), "list the users")}

    def create_annotation(self, task_id: int, result: list[dict]) -> None:
        """Add an annotation (imported, not ground truth) to a task."""
        self.call(lambda: self._sdk.annotations.create(id=task_id, result=result, ground_truth=False,
                                                       was_cancelled=False), f"annotate task {task_id}")

    def delete_project(self, project_id: int) -> None:
        self.call(lambda: self._sdk.projects.delete(id=project_id), "delete the project")
