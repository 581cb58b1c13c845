"""LoRA for the transformer backbone (``ner train --lora R``): low-rank adapters (peft), saved merged.

``with_lora(net, rank)`` wraps the encoder of a ``TransformerNet`` with peft's LoRA
adapters on the attention's query and value projections (the names BERT, RoBERTa,
DistilBERT, and decoder-style ``q_proj``/``v_proj`` encoders use; else every linear
layer) at ``alpha = 2 * rank``, and trains the classifier head in full (peft's token
classification task keeps ``classifier`` trainable). Only these weights reach the
optimizer, so a large encoder trains in a fraction of the memory.

The directory written is a plain transformers model: ``save`` merges the adapters
into a copy of the weights (``merge_and_unload``) before ``save_pretrained``, so
``transformers.pipeline("token-classification", model=DIR)`` and ``tag()`` load it
with no peft installed; ``ner_model.json`` records ``"lora": {"rank": R, "merged": true}``.

Left out: saving the adapters alone; QLoRA (quantized base weights).
"""

from __future__ import annotations

import copy

from ..errors import UserError
from ..models.transformer import TransformerNet

ATTENTION = (("query", "value"), ("q_proj", "v_proj"), ("q_lin", "v_lin"))


def lora_targets(module) -> list[str] | str:
    names = {name.rsplit(".", 1)[-1] for name, _ in module.named_modules()}
    for pair in ATTENTION:
        if set(pair) <= names:
            return list(pair)
    return "all-linear"


class LoraTransformerNet(TransformerNet):
    """A ``TransformerNet`` whose ``module`` is a peft model; saved merged."""

    lora_rank = 0

    def save_weights(self, directory) -> dict:
        peft_model = self.module
        self.module = copy.deepcopy(peft_model).merge_and_unload()
        try:
            super().save_weights(directory)
        finally:
            self.module = peft_model
        return {"lora": {"rank": self.lora_rank, "merged": True}}


def with_lora(net: TransformerNet, rank: int, dropout: float = 0.1) -> LoraTransformerNet:
    """``net`` with LoRA adapters of ``rank`` on its encoder (in place; returned for clarity)."""
    try:
        from peft import LoraConfig, TaskType, get_peft_model
    except ImportError:
        raise UserError("--lora needs the package peft (pip install 'ner[train]')") from None
    config = LoraConfig(task_type=TaskType.TOKEN_CLS, r=rank, lora_alpha=2 * rank, lora_dropout=dropout,
                        target_modules=lora_targets(net.module))
    net.module = get_peft_model(net.module, config)
    net.__class__ = LoraTransformerNet
    net.lora_rank = rank
    return net
