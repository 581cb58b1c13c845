"""Shared test set-up: paths, the ../shared corpora (skipped with a reason where absent),
and the plugins that start real services (Label Studio) and build tiny models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# the grammeme table navec training builds (ner/models/morph.py) goes to the repository's test cache, not the user's
os.environ.setdefault("NER_CACHE_DIR", str(ROOT / ".pytest_cache" / "ner"))
SHARED = ROOT.parent / "shared" / "corpora"
FACTRUEVAL = SHARED / "factrueval2016"
SEED = ROOT / "corpora" / "ml_ru_seed.conll"

pytest_plugins = ["tests.plugins.labelstudio", "tests.plugins.models"]


def build_corpus_script():
    """``scripts/build_corpus.py`` as a module (the written corpus's build: ``SOURCES``, ``sentence_texts``, ``main``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "scripts" / "build_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: ../shared corpora come with CI, not with a user's clone")
    return path


@pytest.fixture
def factrueval_dev() -> Path:
    return need_shared(FACTRUEVAL / "devset.conll")


@pytest.fixture
def factrueval_test() -> Path:
    return need_shared(FACTRUEVAL / "testset.conll")
