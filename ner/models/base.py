"""What every model shares: the prediction record, the model protocol, saving and loading a model directory.

A model directory holds ``ner_model.json`` (``{"backbone": "navec" | "navec-cnn" | "transformer" |
"ensemble", "name", "labels", ...}``) beside its weights. ``write_model_info`` is its one writer and
``read_model_info`` its reader; ``weights_hash`` names the weights' version. ``SavedNet`` is the
base of the trainable nets (``save``: the weights, then the info file), ``LoadedModel`` the base of
the models loaded from a directory (``load``: the info file, the weights' presence, the net, the
version). A backbone fills in ``save_weights``/``describe`` and ``weights_file``/``make_net``.

Left out: choosing the backbone from the info file (``ner.models.load_model``).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
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


DECODE_PRIORS = ("o_bias", "lexicon_boost")  # navec hparams that act only when the CRF decodes


@contextmanager
def plain_decoding(net):
    """``net`` without its decode-time priors (``DECODE_PRIORS``) inside the block, as they were after it."""
    hp = getattr(net, "hp", None)
    saved = {k: hp.pop(k) for k in DECODE_PRIORS if hp and k in hp} if hp is not None else {}
    try:
        yield net
    finally:
        if saved:
            hp.update(saved)


@contextmanager
def evaluating(module, dropout: bool = False):
    """Eval mode and no autograd inside the block; the module's own mode back after it.

    ``dropout``: the dropout layers stay on (Monte Carlo dropout draws); the training-time input
    corruptions that read ``module.training`` (word and lexicon dropout) stay off."""
    import torch

    was_training = module.training
    module.eval()
    if dropout:
        for layer in module.modules():
            if isinstance(layer, torch.nn.modules.dropout._DropoutNd):
                layer.train()
    try:
        with torch.inference_mode():
            yield module
    finally:
        module.train(was_training)


def batches_by_length(sizes: Sequence[int], batch_size: int) -> list[list[int]]:
    """Item indexes, shortest first, in batches of ``batch_size``: items of similar lengths pad little together."""
    order = sorted(range(len(sizes)), key=sizes.__getitem__)
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def write_model_info(directory: str | Path, info: dict) -> Path:
    """``directory/ner_model.json`` (the directory exists): the one place the file is written."""
    path = Path(directory) / MODEL_FILE
    path.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def weights_hash(path: Path) -> str:
    """A short hash of a weights file: the part of ``model_version`` that changes with every retraining."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:8]


class SavedNet:
    """Base of the trainable nets: ``save`` writes the backbone's files and ``ner_model.json``."""

    backbone = ""
    tags: tuple[str, ...] = ()

    def save_weights(self, directory: Path) -> dict:
        """Write the weights (and whatever else the backbone needs) into ``directory``; extra info entries back."""
        raise NotImplementedError

    def describe(self) -> dict:
        """The backbone's own entries of ``ner_model.json`` (sizes, window, vocabulary...)."""
        return {}

    def info(self, name: str, labels: Sequence[str]) -> dict:
        return {"backbone": self.backbone, "name": name, "labels": list(labels), "tags": list(self.tags),
                **self.describe()}

    def save(self, directory: str | Path, name: str, labels: Sequence[str]) -> None:
        """The weights and ``ner_model.json`` into ``directory`` (which exists)."""
        directory = Path(directory)
        extra = self.save_weights(directory)
        write_model_info(directory, {**self.info(name, labels), **extra})


class LoadedModel:
    """Base of a trained model loaded from its directory (``TokenModel``): the net and its name, version, labels."""

    def __init__(self, net, name: str, version: str, labels: tuple[str, ...]):
        self.net = net
        self.name = name
        self.version = version
        self.labels = labels
        self.tags = tuple(net.tags)

    @classmethod
    def load(cls, path, device: str | None = None):
        import torch

        path = Path(path)
        info = read_model_info(path)
        weights = cls.weights_file(path, info)
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        net = cls.make_net(path, info, weights, device)
        net.module.eval()
        name = info.get("name") or path.name
        return cls(net, name, f"{name}@{weights_hash(weights)}", tuple(info["labels"]))

    @classmethod
    def weights_file(cls, path: Path, info: dict) -> Path:
        """The weights file (its hash is the version); a ``UserError`` when the directory lacks what loading needs."""
        raise NotImplementedError

    def sampled_probabilities(self, batch: Sequence[Sequence[str]], samples: int, seed: int = 0) -> list[list]:
        """``samples`` draws of ``probabilities(batch)`` with the network's dropout layers on (Monte Carlo
        dropout, Gal & Ghahramani 2016): a list per draw. Only ``nn.Dropout`` layers: a transformer's
        attention-probability dropout and an LSTM's between-layer dropout follow the module's own mode
        and stay off. Seeded; the caller's torch random state (CPU and CUDA) is left as it was.
        A ``ValueError`` for a model whose network has no such draws (the CNN, whose inference path
        skips its dropout; the name lists; an ensemble)."""
        import torch

        if not getattr(self.net, "dropout_draws_work", False):
            raise ValueError(f"{self.name}: a {type(self).__name__} cannot draw with dropout on")
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            self.net.dropout_draws = True
            try:
                return [self.probabilities(batch) for _ in range(samples)]
            finally:
                self.net.dropout_draws = False

    @classmethod
    def make_net(cls, path: Path, info: dict, weights: Path, device: str):
        """The net the directory describes, with its weights loaded."""
        raise NotImplementedError

    def run(self, method, batch):
        """Call one of the net's prediction methods (a backbone may set threads or caches around it)."""
        return method(batch)

    def predict(self, batch: Sequence[Sequence[str]]) -> list[Prediction]:
        return self.run(self.net.predict, batch)

    def probabilities(self, batch: Sequence[Sequence[str]]) -> list:
        """Float64 ``[words, len(self.tags)]`` per list of words, rows summing to 1."""
        return self.run(self.net.probabilities, batch)

    def predict_with_probabilities(self, batch: Sequence[Sequence[str]]) -> list[tuple[Prediction, "object"]]:
        """Both at the cost of one: ``(Prediction, probabilities)`` for each list of words."""
        return self.run(self.net.predict_with_probabilities, batch)
