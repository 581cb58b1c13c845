"""Answers kept on disk, keyed by endpoint, model and request: a re-run sends nothing.

One small JSON file per answer under ``DIR/ab/abcdef....json`` (written to a temporary file
and renamed, so an interrupted run leaves whole entries and resumes where it stopped). The
key is the SHA-256 of the base URL, the model and the request (messages, response format,
sampling settings); entries hold the answer's text, token counts and finish reason, never
the API key or the request headers.

Left out: expiry and size limits (delete the directory to start over).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path


def cache_key(base_url: str, model: str, request: dict) -> str:
    data = json.dumps({"base_url": base_url.rstrip("/"), "model": model, "request": request},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class AnswerCache:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent, or cut by a crash before the rename (cannot happen) or by hand

    def put(self, key: str, entry: dict) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(entry, f, ensure_ascii=False)
        os.replace(tmp, path)


class NoCache:
    """``--no-cache``: nothing is read; answers are still written, so the next run can use them."""

    def __init__(self, inner: AnswerCache):
        self.inner = inner

    def get(self, key: str) -> None:
        return None

    def put(self, key: str, entry: dict) -> None:
        self.inner.put(key, entry)
