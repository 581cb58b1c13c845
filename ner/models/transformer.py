"""The transformer backbone: any Hugging Face encoder through ``AutoModelForTokenClassification``.

``TransformerNet.create(name_or_dir, tags)`` loads a hub model or a local
directory with ``from_pretrained`` (a user's ruBERT and the tests' tiny BERT
take the same path) with ``id2label``/``label2id`` set, so the saved directory
also loads in a plain ``transformers.pipeline("token-classification")``.
Labels sit on each word's first sub-word piece (-100 on the rest); words come
from ``word_ids`` of a fast tokenizer, never from re-joined pieces. Inputs
longer than the window are split into overlapping windows of whole words; each
word's softmax rows are merged across windows (``windows.py``), in prediction, and
training sees the same windows. The window holds what the encoder can take
(``piece_limit``: the tokenizer's ``model_max_length`` or the position table, less
RoBERTa's position offset, less the special tokens); a larger ``--window`` is refused.

A word's tag is the argmax of its first piece's merged softmax and its score that
probability; an ``I-X`` that does not continue an ``X`` is read as ``B-X`` (the
conlleval reading), so the output is valid IOB2. ``probabilities`` gives the whole
softmax (``[words, tags]``).

Left out: CRF heads. Several GPUs: ``loop.py`` wraps ``module`` in DistributedDataParallel (``distributed.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..bio import spans_tags, tags_spans
from ..errors import UserError
from .base import LoadedModel, Prediction, SavedNet, batches_by_length, evaluating
from .subwords import IGNORE, encode_words, first_pieces, piece_counts
from .windows import join_windows, open_window, plan_windows

DEFAULT_STRIDE = 128


def _from_pretrained(loader, name: str, **kwargs):
    local = Path(name)
    try:
        return loader.from_pretrained(name, **kwargs)
    except (OSError, ValueError) as e:
        where = "local directory" if local.exists() else "model name (not a local directory; the hub is unreachable " \
                                                         "or has no such model)"
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"--model {name}: cannot load this {where}: {first}") from None


SANE_MAX_LENGTH = 1_000_000  # tokenizers without a limit report int(1e30)


def piece_limit(model, tokenizer) -> tuple[int, str]:
    """Sub-word pieces one window may hold, and why: the encoder's real input limit minus the specials.

    The input limit is the smaller of ``tokenizer.model_max_length`` (when set) and the
    position table: ``max_position_embeddings`` less the positions RoBERTa-family encoders
    skip (their position ids start after ``padding_idx``: 514 positions hold 512 pieces).
    """
    limits = []
    max_length = getattr(tokenizer, "model_max_length", None)
    if isinstance(max_length, int) and 0 < max_length < SANE_MAX_LENGTH:
        limits.append((max_length, f"the tokenizer's model_max_length {max_length}"))
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions:
        table = getattr(getattr(getattr(model, "base_model", None), "embeddings", None), "position_embeddings", None)
        pad = getattr(table, "padding_idx", None)
        offset = pad + 1 if pad is not None else 0
        limits.append((positions - offset, f"{positions} positions" + (f" less {offset} skipped" if offset else "")))
    length, why = min(limits) if limits else (512, "no known limit, 512 assumed")
    specials = tokenizer.num_special_tokens_to_add()
    return length - specials, f"{why}, less {specials} special tokens"


class TransformerNet(SavedNet):
    dropout_draws = False  # True: probabilities keep dropout on (LoadedModel.sampled_probabilities)
    dropout_draws_work = True
    backbone = "transformer"
    default_lr = 5e-5

    def __init__(self, model, tokenizer, tags, window: int, stride: int, device: str):
        self.module = model
        self.tokenizer = tokenizer
        self.tags = tuple(tags)
        self.tag_ids = {t: i for i, t in enumerate(self.tags)}
        limit, why = piece_limit(model, tokenizer)
        if window > limit:
            raise UserError(f"--window {window}: this encoder takes at most {limit} sub-word pieces per window "
                            f"({why}); pass --window {limit} or less, or 0 for the most")
        if limit < 1:
            raise UserError(f"the encoder's input limit leaves no room for words ({why})")
        self.window = window or limit
        self.stride = stride if stride >= 0 else min(DEFAULT_STRIDE, self.window // 4)
        if self.stride >= self.window:
            raise UserError(f"stride {self.stride} must be smaller than the window ({self.window} pieces)")
        self.device = device
        self.module.to(device)

    @classmethod
    def create(cls, name: str, tags, window: int = 0, stride: int = -1, device: str = "cpu") -> "TransformerNet":
        local = Path(name)
        if local.exists() and not local.is_dir():
            raise UserError(f"--model {name}: is a file; pass a model directory or a hub name")
        if not local.exists() and (name.startswith((".", "/", "~")) or name.count("/") > 1):
            raise UserError(f"--model {name}: no such directory; pass a model directory or a hub name "
                            f"like DeepPavlov/rubert-base-cased")
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        tokenizer = _from_pretrained(AutoTokenizer, name)
        if not getattr(tokenizer, "is_fast", False):
            raise UserError(f"--model {name}: has no fast tokenizer (tokenizer.json); word alignment needs one")
        id2label = dict(enumerate(tags))
        model = _from_pretrained(AutoModelForTokenClassification, name, num_labels=len(tags), id2label=id2label,
                                 label2id={t: i for i, t in id2label.items()}, ignore_mismatched_sizes=True)
        return cls(model, tokenizer, tags, window, stride, device)

    def _plan(self, words) -> list[tuple[int, int]]:
        counts = [max(1, n) for n in piece_counts(self.tokenizer, words)]
        return plan_windows(counts, self.window, self.stride)

    def examples(self, sentences):
        out = []
        for s in sentences:
            for a, b in self._plan(s.words):
                ids = [self.tag_ids[t] for t in open_window(s.tags[a:b])]  # a cut entity opens with B-X
                out.append(encode_words(self.tokenizer, s.words[a:b], self.window, ids))
        return out

    def _tensors(self, encoded, with_labels: bool):
        import torch

        length = max(len(e.input_ids) for e in encoded)
        pad = self.tokenizer.pad_token_id or 0
        ids = torch.full((len(encoded), length), pad, dtype=torch.long)
        mask = torch.zeros((len(encoded), length), dtype=torch.long)
        labels = torch.full((len(encoded), length), IGNORE, dtype=torch.long)
        for b, e in enumerate(encoded):
            ids[b, : len(e.input_ids)] = torch.tensor(e.input_ids)
            mask[b, : len(e.input_ids)] = 1
            if with_labels:
                labels[b, : len(e.labels)] = torch.tensor(e.labels)
        batch = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device)}
        if with_labels:
            batch["labels"] = labels.to(self.device)
        return batch

    def loss(self, batch):
        return self.module(**self._tensors(batch, True)).loss

    def probabilities(self, batch: Sequence[Sequence[str]], batch_size: int = 16) -> list:
        """Softmax of each word's first piece, float64 ``[words, len(self.tags)]``, windows merged.

        Windows of similar lengths go through the encoder together (eval mode, no grad).
        """
        import torch

        encoded, plans = [], []
        for words in batch:
            plan = self._plan(words) if words else []
            plans.append(plan)
            encoded.extend(encode_words(self.tokenizer, words[a:b], self.window) for a, b in plan)
        results: list = [None] * len(encoded)
        with evaluating(self.module, dropout=self.dropout_draws):
            for chunk in batches_by_length([len(e.input_ids) for e in encoded], batch_size):
                logits = self.module(**self._tensors([encoded[j] for j in chunk], False)).logits
                probs = torch.softmax(logits.double(), dim=-1).cpu().numpy()
                for row, j in enumerate(chunk):
                    results[j] = probs[row, first_pieces(encoded[j].word_ids)]
        return join_windows([len(words) for words in batch], plans, results, len(self.tags))

    def predict_with_probabilities(self, batch: Sequence[Sequence[str]],
                                   batch_size: int = 16) -> list[tuple[Prediction, "object"]]:
        """``(Prediction, probabilities)`` for each list of words: the argmax of each word's merged
        softmax, an ``I-X`` that opens an entity read as ``B-X``; the score is the argmax's probability."""
        out = []
        for probs in self.probabilities(batch, batch_size):
            best = probs.argmax(1) if len(probs) else []
            raw = [self.tags[t] for t in best]
            tags = spans_tags(len(raw), tags_spans(raw))  # I-X opening an entity becomes B-X
            out.append((Prediction(tuple(tags), tuple(float(probs[i, t]) for i, t in enumerate(best))), probs))
        return out

    def predict(self, batch: Sequence[Sequence[str]], batch_size: int = 16) -> list[Prediction]:
        return [p for p, _ in self.predict_with_probabilities(batch, batch_size)]

    def save_weights(self, directory: Path) -> dict:
        """``save_pretrained`` of the encoder and its tokenizer: the directory loads in a plain transformers pipeline."""
        self.module.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        return {}

    def describe(self) -> dict:
        return {"window": self.window, "stride": self.stride}


class TransformerModel(LoadedModel):
    """A trained transformer model, loaded from its directory (``ner.models.TokenModel``)."""

    @classmethod
    def weights_file(cls, path: Path, info: dict) -> Path:
        weights = next((path / f for f in ("model.safetensors", "pytorch_model.bin") if (path / f).exists()), None)
        if weights is None:
            raise UserError(f"{path}: no model.safetensors; the model directory is incomplete, retrain it")
        return weights

    @classmethod
    def make_net(cls, path: Path, info: dict, weights: Path, device: str) -> TransformerNet:
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the saved head matches: no load report to show
        try:
            return TransformerNet.create(str(path), info["tags"], info.get("window", 0), info.get("stride", -1), device)
        finally:
            hf_logging.set_verbosity(verbosity)
