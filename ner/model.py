"""The interface between trained models and everything that uses them.

A model directory holds ``ner_model.json`` (``{"backbone": "navec" | "transformer", ...}``)
beside its weights. ``load_model`` reads it and returns a ``TokenModel``: it
tags lists of words (razdel tokens) and gives each word the probability of the
tag it chose (a CRF marginal or a softmax). Long inputs are handled inside the
model (windows with stride), never truncated.

Left out: tokenization and offsets (``tagger.py`` maps words back to the text).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

from .errors import UserError

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

    def predict(self, batch: Sequence[Sequence[str]]) -> list[Prediction]: ...


def read_model_info(path: str | Path) -> dict:
    path = Path(path)
    info_file = path / MODEL_FILE
    if not info_file.exists():
        raise UserError(f"{path}: not a model directory (no {MODEL_FILE}); "
                        f"train one with 'ner train' or pass the right --model")
    try:
        return json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UserError(f"{info_file}: unreadable ({e}); the model directory is damaged, retrain it") from None


def load_model(path: str | Path, device: str | None = None) -> TokenModel:
    """Load the model in ``path`` with the backbone its ``ner_model.json`` names."""
    info = read_model_info(path)
    backbone = info.get("backbone")
    if backbone == "navec":
        from .train.navec import NavecModel

        return NavecModel.load(path, device=device)
    if backbone == "transformer":
        from .train.transformer import TransformerModel

        return TransformerModel.load(path, device=device)
    raise UserError(f"{path}/{MODEL_FILE}: unknown backbone {backbone!r} (expected navec or transformer)")
