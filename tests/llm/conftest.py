"""The local OpenAI-compatible server the LLM tests talk to (``fake_llm.py``, a real process over HTTP).

``fake_llm`` (session) starts it and stops it; ``llm_server`` (per test) resets its script and log
and gives ``url`` (the base URL the client takes), ``script(texts, default=..., reject_response_format=...)``
and ``log()``. ``run_ner(*args)`` runs the CLI in this process and returns (exit code, stdout, stderr).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@dataclass
class FakeLLM:
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _call(self, path: str, body=None):
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def script(self, texts=None, default=None, reject_response_format=False):
        body = {"texts": texts or {}, "reject_response_format": reject_response_format}
        if default is not None:
            body["default"] = default
        self._call("/_script", body)

    def log(self) -> list[dict]:
        return self._call("/_log")

    def reset(self):
        self._call("/_reset", {})


def start_fake(*args) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, str(HERE / "fake_llm.py"), *args], stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


@pytest.fixture(scope="session")
def fake_llm():
    proc, port = start_fake()
    yield FakeLLM(port)
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def llm_server(fake_llm):
    fake_llm.reset()
    return fake_llm


@pytest.fixture
def run_ner(capsys):
    from ner.cli import main

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def answer(*entities) -> str:
    """The JSON answer naming ``(text, label)`` pairs."""
    return json.dumps({"entities": [{"text": t, "label": lab} for t, lab in entities]}, ensure_ascii=False)


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
