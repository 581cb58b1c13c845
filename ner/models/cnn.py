"""The CNN student backbone (``navec-cnn``): navec + word shape + character CNN + grammemes -> convolutions -> CRF.

slovnet's recipe for a fast tagger: the word features of the navec backbone
(``navec.py``: the frozen navec vector, a shape embedding, a character CNN, the
dictionary grammemes) go through 1-D convolutions over the words (128 and 64
filters, kernel 3, ReLU, dropout) instead of a BiLSTM, then a linear layer gives the
CRF's emissions. slovnet has 256, 128 and 64 filters; trained on factRuEval's devset
the two smaller layers scored the same (strict F1 .754 vs .752 on its testset's second
half) at a fraction of the arithmetic. Every position of a sentence is computed at once
(no recurrence), which is what makes it faster on a CPU. Padding is zeroed before and
after every convolution, so a sentence's emissions do not depend on the batch it is padded in.

A loaded model keeps, per word, the first convolution's kernel taps applied to the word
alone (``prepare``): a word's vector does not depend on its neighbours, so tagging only
shifts and adds them (``infer``), equal to ``encode`` (a property test checks it).

Everything else is the navec backbone's: featurizer, windows, CRF decoding, word
vector cache, ``probabilities``; the directory holds the same files with
``"backbone": "navec-cnn"`` and loads with ``load_model``.

``dilations`` (hparams; the first is 1) widen the later convolutions' view; on the
devset they did not help (.723 vs .731 at lr 2e-3), so they are off by default.

Left out: batch normalisation (slovnet has it; dropout alone trained as well here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import UserError
from .features import Featurizer, _load_navec, bundled_navec_path
from .navec import DEFAULT_STRIDE, DEFAULT_WINDOW, NavecModel, NavecNet, build_module

DEFAULTS = {"char_dim": 32, "char_filters": 64, "shape_dim": 16, "dropout": 0.3, "word_dropout": 0.1,
            "filters": [128, 64], "kernel": 3, "morph_dim": 0}


def build_cnn_module(indexes, codes, unk_id: int, n_chars: int, n_tags: int, tags, hp: dict):
    """The navec network's word features with convolutions in place of the BiLSTM."""
    import torch
    from torch import nn

    # the word-feature layers are the navec network's (a one-unit LSTM is built and dropped)
    module = build_module(indexes, codes, unk_id, n_chars, n_tags, tags, {**hp, "hidden": 1, "layers": 1})
    base = type(module)

    class CNNTagger(base):
        def encode(self, x, lengths):
            """Emissions [B, L, tags] from word vectors [B, L, width] and the items' lengths (a CPU tensor)."""
            length = x.shape[1]
            mask = (torch.arange(length)[None, :] < lengths[:, None]).to(x.device).unsqueeze(1)  # [B, 1, L]
            h = self.drop(x).transpose(1, 2) * mask
            for conv in self.convs:
                h = self.drop(torch.relu(conv(h))) * mask
            return self.out(h.transpose(1, 2))

        def prepare(self, x):
            """[..., width] word vectors -> [..., kernel * filters]: each kernel tap of the first
            convolution applied to the word alone. A word's vector does not depend on its
            neighbours, so this is what a loaded model keeps per word (``VectorCache``); ``infer``
            only shifts and adds the taps, which drops most of the arithmetic of tagging."""
            first = self.convs[0]
            taps = first.weight.permute(1, 2, 0).reshape(first.in_channels, -1)  # [width, kernel * filters]
            return x @ taps

        def infer(self, p, lengths):
            """``encode`` (eval mode) from ``prepare``d vectors [B, L, kernel * filters]: the first
            convolution's output at t is its bias plus tap k of the word at t + k - kernel // 2."""
            first = self.convs[0]
            batch, length = p.shape[:2]
            kernel, filters = first.kernel_size[0], first.out_channels
            half = kernel // 2
            mask = (torch.arange(length)[None, :] < lengths[:, None]).to(p.device).unsqueeze(1)  # [B, 1, L]
            p = p * mask.transpose(1, 2)  # what encode's zeroed padding gives
            p = nn.functional.pad(p.reshape(batch, length, kernel, filters), (0, 0, 0, 0, half, half))
            h = first.bias + sum(p[:, k : k + length, k] for k in range(kernel))  # [B, L, filters]
            h = torch.relu(h).transpose(1, 2) * mask
            for conv in self.convs[1:]:
                h = torch.relu(conv(h)) * mask
            return self.out(h.transpose(1, 2))

    del module.lstm
    sizes = [module.feature_width, *hp["filters"]]
    dilations = hp.get("dilations") or [1] * len(hp["filters"])  # checked by CNNNet; prepare needs the first 1
    module.convs = nn.ModuleList(nn.Conv1d(a, b, hp["kernel"], padding=d * (hp["kernel"] // 2), dilation=d)
                                 for a, b, d in zip(sizes, sizes[1:], dilations))
    module.out = nn.Linear(sizes[-1], n_tags)
    module.__class__ = CNNTagger
    return module


class CNNNet(NavecNet):
    """The trainable CNN student: the navec net with ``build_cnn_module``."""

    backbone = "navec-cnn"
    # trained on factRuEval's devset, strict F1 on its testset's second half: 5e-4 .752 (with grammemes; the BiLSTM
    # .756), 1e-3 .740 and 2e-3 .731 (without; BiLSTM .750), slovnet's 5e-3 .656; on 1.6k sentences it overshoots
    default_lr = 5e-4

    def __init__(self, tags: Sequence[str], chars: str, hp: dict | None = None,
                 window: int = 0, stride: int = -1, embeddings: Path | None = None, device=None):
        self.tags = tuple(tags)
        self.tag_ids = {t: i for i, t in enumerate(self.tags)}
        self.hp = {**DEFAULTS, **(hp or {})}
        if self.hp["kernel"] % 2 == 0:
            raise UserError(f"kernel {self.hp['kernel']}: must be odd (the output keeps every word)")
        dilations = self.hp.get("dilations")
        if dilations and (len(dilations) != len(self.hp["filters"]) or dilations[0] != 1 or min(dilations) < 1):
            raise UserError(f"dilations {dilations}: one per convolution ({len(self.hp['filters'])}), "
                            f"the first 1, none below 1")
        self.window = window or DEFAULT_WINDOW
        self.stride = stride if stride >= 0 else DEFAULT_STRIDE
        self.embeddings = Path(embeddings) if embeddings else bundled_navec_path()
        navec = _load_navec(self.embeddings)
        self.chars = chars
        self.featurizer = Featurizer(navec.vocab, chars)
        self.module = build_cnn_module(navec.pq.indexes, navec.pq.codes, navec.vocab.unk_id,
                                       self.featurizer.n_chars, len(self.tags), self.tags, self.hp)
        self.device = device or "cpu"
        self.module.to(self.device)


class CNNModel(NavecModel):
    """A trained CNN student, loaded from its directory (``ner.models.TokenModel``)."""

    @staticmethod
    def make_net(path, info: dict, embeddings, device: str) -> CNNNet:
        """The CNN a saved directory describes (``NavecModel.load`` does the rest)."""
        return CNNNet(info["tags"], info["chars"], info.get("hparams"), info.get("window", 0),
                      info.get("stride", -1), embeddings, device)
