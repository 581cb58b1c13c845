"""What every loadable model shares: the prediction record, the model protocol, the model directory's info file.

A model directory holds ``ner_model.json`` (``{"backbone": "navec" | "transformer", ...}``)
beside its weights; ``read_model_info`` reads it, ``weights_hash`` names the weights' version.

Left out: loading (``ner.models.load_model``), the backbones (``navec.py``, ``transformer.py``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

from ..errors import UserError

MODEL_FILE = "ner_model.json"


@dataclass(frozen=True, slots=True)
class Prediction:
    """Tags for one list of words, with each tag's probability."""

    tags: tuple[str, ...]
    scores: tuple[float, ...]


class TokenModel(Protocol):
    name: str
    version: str          # model name plus a hash of its weights, e.g. "ml-navec@3f9a1c2e"
    labels: tuple[str, ...]  # entity labels, e.g. ("Model", "Dataset", ...)
    tags: tuple[str, ...]    # IOB2 tags, the columns of ``probabilities``: ("O", "B-Model", "I-Model", ...)

    def predict(self, batch: Sequence[Sequence[str]]) -> list[Prediction]: ...

    def probabilities(self, batch: Sequence[Sequence[str]]) -> list: ...  # numpy [words, len(tags)] each


def read_model_info(path: str | Path) -> dict:
    path = Path(path)
    info_file = path / MODEL_FILE
    if not info_file.exists():
        raise UserError(f"{path}: not a model directory (no {MODEL_FILE}); "
                        f"name a directory that 'ner train' wrote (or train one)")
    try:
        return json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UserError(f"{info_file}: unreadable ({e}); the model directory is damaged, retrain it") from None


def weights_hash(path: Path) -> str:
    """A short hash of a weights file: the part of ``model_version`` that changes with every retraining."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:8]
