"""Label Studio server fixtures: the real local server, started by scripts/labelstudio.sh when needed.

``labelstudio`` (session) yields ``LabelStudioServer(url, api_key)``: it uses the
server already answering at the script's URL, or starts one (about 30-60 s)
and stops it when the session ends. ``ls_client`` is a connected
``ner.labelstudio.client.Client``; ``ls_project(schema)`` makes a fresh project
and deletes it afterwards. Tests that use them are marked ``labelstudio``.
"""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "labelstudio.sh"


@dataclass(frozen=True)
class LabelStudioServer:
    url: str
    api_key: str


def _script(*args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def labelstudio():
    env = dict(line.removeprefix("export ").split("=", 1) for line in _script("env").stdout.split("\n") if line)
    started = False
    if _script("status", timeout=30).returncode != 0:
        run = _script("start")
        if run.returncode != 0:
            pytest.fail(f"could not start Label Studio with {SCRIPT}: {run.stderr.strip()[-800:]}", pytrace=False)
        started = True
    yield LabelStudioServer(env["LABEL_STUDIO_URL"], env["LABEL_STUDIO_API_KEY"])
    if started:
        _script("stop", timeout=60)


@pytest.fixture(scope="session")
def ls_client(labelstudio):
    from ner.labelstudio.client import Client, Connection

    return Client(Connection(labelstudio.url, labelstudio.api_key))


@pytest.fixture
def ls_project(ls_client):
    """``make(schema) -> title``: a new project with the schema's config, deleted after the test."""
    from ner.labelstudio.sync import init_project

    made = []

    def make(schema, prefix="test"):
        title = f"{prefix}-{uuid.uuid4().hex[:8]}"
        project, _ = init_project(ls_client, title, schema)
        made.append(project["id"])
        return title

    yield make
    for project_id in made:
        ls_client.delete_project(project_id)
