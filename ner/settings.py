"""The one place environment variables are read.

Every setting the toolkit takes from the environment has a function here; the rest of the
package calls these and never ``os.environ`` directly (``tests/test_layout.py`` checks it).
Each function takes an optional ``environ`` mapping so that tests pass their own.

Left out: flags and config files (``ner/train/config.py``, the commands) always win over these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_MODEL = "models/default"
DEFAULT_LABEL_STUDIO_URL = "http://127.0.0.1:8089"
LLM_API_KEY = "NER_LLM_API_KEY"


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$NER_CACHE_DIR``, else ``$XDG_CACHE_HOME/ner``, else ``~/.cache/ner``: every cache lives under it."""
    env = _env(environ)
    if env.get("NER_CACHE_DIR"):
        return Path(env["NER_CACHE_DIR"])
    return Path(env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "ner"


def default_model(environ: Mapping[str, str] | None = None) -> tuple[Path, bool]:
    """The model ``tag()`` uses and whether it came from ``$NER_MODEL`` (else ``models/default``)."""
    value = _env(environ).get("NER_MODEL")
    return (Path(value), True) if value else (Path(DEFAULT_MODEL), False)


def labelstudio_url(environ: Mapping[str, str] | None = None) -> str:
    return _env(environ).get("LABEL_STUDIO_URL") or DEFAULT_LABEL_STUDIO_URL


def labelstudio_api_key(environ: Mapping[str, str] | None = None) -> str:
    return _env(environ).get("LABEL_STUDIO_API_KEY") or ""


def serve_token(environ: Mapping[str, str] | None = None) -> str | None:
    """``$NER_SERVE_TOKEN``: the bearer token ``ner serve`` asks for when no flag gives one."""
    return _env(environ).get("NER_SERVE_TOKEN") or None


def omp_threads(environ: Mapping[str, str] | None = None) -> str | None:
    """``$OMP_NUM_THREADS`` as set (a user's choice of CPU threads), or None."""
    return _env(environ).get("OMP_NUM_THREADS") or None


def set_single_thread() -> None:
    """One OpenMP thread for this process (worker processes that run beside each other)."""
    os.environ["OMP_NUM_THREADS"] = "1"


def launcher(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """torchrun's / accelerate's ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK`` as set (defaults 1, 0, 0)."""
    env = _env(environ)
    return {key: (env.get(key, default).strip() or default)
            for key, default in (("WORLD_SIZE", "1"), ("RANK", "0"), ("LOCAL_RANK", "0"))}


def llm_api_key(variable: str = LLM_API_KEY, environ: Mapping[str, str] | None = None) -> str | None:
    """The LLM endpoint's key from ``variable`` (``$NER_LLM_API_KEY`` by default), or None."""
    return _env(environ).get(variable) or None
