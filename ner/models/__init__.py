"""The loadable models: what ``tag()``, the tagger, the backend and Label Studio run.

``load_model(DIR)`` reads ``DIR/ner_model.json`` and returns a ``TokenModel`` of the
backbone it names (``navec.py``: navec + BiLSTM + CRF and ``cnn.py``: navec + CNN + CRF, both
``tagnet.TagNet(words, encoder, head)`` built from parts; ``transformer.py``: a Hugging
Face encoder; ``ensemble.py``). Saving and loading live in ``base.py``. Every loaded model has:

- ``predict(batch) -> list[Prediction]``: for each list of words (razdel tokens),
  valid IOB2 tags and each chosen tag's probability;
- ``probabilities(batch) -> list[numpy.ndarray]``: for each list of T words, a
  float T x K array, row i the distribution of word i over the K tags
  ``model.tags`` (CRF marginals for navec, softmax for the transformer); rows
  sum to 1;
- ``tags`` (the K IOB2 tags, column order), ``labels`` (entity labels), ``name``,
  ``version`` (name plus a hash of the weights).

Inputs longer than the model's window are cut into overlapping windows whose scores
are merged per word before one decoding over the whole sentence (``windows.py``),
never truncated. Importing this package loads nothing heavy.

Left out: training (``ner.train`` imports this package, never the other way round);
tokenization and offsets (``tagger/core.py``).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .base import MODEL_FILE, Prediction, TokenModel, read_model_info, weights_hash

__all__ = ["MODEL_FILE", "Prediction", "TokenModel", "load_model", "read_model_info", "weights_hash"]


def load_model(path: str | Path, device: str | None = None) -> TokenModel:
    """Load the model in ``path`` with the backbone its ``ner_model.json`` names."""
    info = read_model_info(path)
    backbone = info.get("backbone")
    if backbone == "navec":
        from .navec import NavecModel

        return NavecModel.load(path, device=device)
    if backbone == "transformer":
        from .transformer import TransformerModel

        return TransformerModel.load(path, device=device)
    if backbone == "navec-cnn":
        from .cnn import CNNModel

        return CNNModel.load(path, device=device)
    if backbone == "ensemble":
        from .ensemble import EnsembleModel

        return EnsembleModel.load(path, device=device)
    raise UserError(f"{path}/{MODEL_FILE}: unknown backbone {backbone!r} "
                    f"(expected navec, navec-cnn, transformer or ensemble)")
