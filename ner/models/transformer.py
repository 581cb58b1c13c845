"""The transformer backbone: any Hugging Face encoder through ``AutoModelForTokenClassification``.

``TransformerNet.create(name_or_dir, tags)`` loads a hub model or a local
directory with ``from_pretrained`` (a user's ruBERT and the tests' tiny BERT
take the same path) with ``id2label``/``label2id`` set, so the saved directory
also loads in a plain ``transformers.pipeline("token-classification")``.
Labels sit on each word's first sub-word piece (-100 on the rest); words come
from ``word_ids`` of a fast tokenizer, never from re-joined pieces. Inputs
longer than the model's window are split into overlapping windows of whole
words and merged back (``windows.py``), in training and prediction alike.

A word's tag is the argmax of its first piece's softmax and its score that
probability; an ``I-X`` that does not continue an ``X`` is read as ``B-X`` (the
conlleval reading), so the output is valid IOB2.

Left out: CRF heads. Several GPUs: ``loop.py`` wraps ``module`` in DistributedDataParallel (``distributed.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..bio import spans_tags, tags_spans
from ..errors import UserError
from .base import MODEL_FILE, Prediction, read_model_info, weights_hash
from .subwords import IGNORE, encode_words, first_pieces, piece_counts
from .windows import merge_windows, plan_windows

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


class TransformerNet:
    backbone = "transformer"
    default_lr = 5e-5

    def __init__(self, model, tokenizer, tags, window: int, stride: int, device: str):
        self.module = model
        self.tokenizer = tokenizer
        self.tags = tuple(tags)
        self.tag_ids = {t: i for i, t in enumerate(self.tags)}
        limit = getattr(model.config, "max_position_embeddings", 512) - 2
        self.window = min(window or 510, limit)
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
            ids = [self.tag_ids[t] for t in s.tags]
            for a, b in self._plan(s.words):
                out.append(encode_words(self.tokenizer, s.words[a:b], self.window, ids[a:b]))
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

    def predict(self, batch: Sequence[Sequence[str]], batch_size: int = 16) -> list[Prediction]:
        import torch

        encoded, plans = [], []
        for words in batch:
            plan = self._plan(words) if words else []
            plans.append(plan)
            encoded.extend(encode_words(self.tokenizer, words[a:b], self.window) for a, b in plan)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
        results: list = [None] * len(encoded)
        was_training = self.module.training
        self.module.eval()
        with torch.inference_mode():
            for i in range(0, len(order), batch_size):
                chunk = order[i : i + batch_size]
                logits = self.module(**self._tensors([encoded[j] for j in chunk], False)).logits
                probs = torch.softmax(logits.float(), dim=-1).cpu()
                for row, j in enumerate(chunk):
                    firsts = first_pieces(encoded[j].word_ids)
                    best = probs[row, firsts].max(dim=-1)
                    results[j] = list(zip(best.indices.tolist(), best.values.tolist()))
        self.module.train(was_training)
        preds, pos = [], 0
        for words, plan in zip(batch, plans):
            merged = merge_windows(len(words), plan, results[pos : pos + len(plan)]) if words else []
            pos += len(plan)
            raw = [self.tags[t] for t, _ in merged]
            tags = spans_tags(len(raw), tags_spans(raw))  # I-X opening an entity becomes B-X
            preds.append(Prediction(tuple(tags), tuple(float(p) for _, p in merged)))
        return preds

    def save(self, directory: Path, name: str, labels) -> None:
        self.module.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        info = {"backbone": self.backbone, "name": name, "labels": list(labels), "tags": list(self.tags),
                "window": self.window, "stride": self.stride}
        (directory / MODEL_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")


class TransformerModel:
    """A trained transformer model, loaded from its directory (``ner.models.TokenModel``)."""

    def __init__(self, net: TransformerNet, name: str, version: str, labels: tuple[str, ...]):
        self.net = net
        self.name = name
        self.version = version
        self.labels = labels

    @classmethod
    def load(cls, path, device=None) -> "TransformerModel":
        import torch

        path = Path(path)
        info = read_model_info(path)
        weights = next((path / f for f in ("model.safetensors", "pytorch_model.bin") if (path / f).exists()), None)
        if weights is None:
            raise UserError(f"{path}: no model.safetensors; the model directory is incomplete, retrain it")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        from transformers.utils import logging as hf_logging

        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()  # the saved head matches: no load report to show
        try:
            net = TransformerNet.create(str(path), info["tags"], info.get("window", 0), info.get("stride", -1),
                                        device)
        finally:
            hf_logging.set_verbosity(verbosity)
        net.module.eval()
        name = info.get("name") or path.name
        return cls(net, name, f"{name}@{weights_hash(weights)}", tuple(info["labels"]))

    def predict(self, batch: Sequence[Sequence[str]]) -> list[Prediction]:
        return self.net.predict(batch)
