"""The CNN student backbone (``navec-cnn``): navec + word shape + character CNN + grammemes -> convolutions -> CRF.

slovnet's recipe for a fast tagger: the navec backbone's network (``navec.py``) with
``encoders.CNNEncoder`` in place of the BiLSTM: 1-D convolutions over the words (128 and 64
filters, kernel 3, ReLU, dropout), then the CRF head. slovnet has 256, 128 and 64 filters; two
smaller layers scored the same on factRuEval at a fraction of the arithmetic (docs/bench notes).
A loaded model keeps, per word, the first convolution's kernel taps (``CNNEncoder.prepare``), so
tagging only shifts and adds them.

Everything else is the navec backbone's: featurizer, windows, CRF decoding, word
vector cache, ``probabilities``; the directory holds the same files with
``"backbone": "navec-cnn"`` and loads with ``load_model``.

``dilations`` (hparams; the first is 1) widen the later convolutions' view; off by default.

Left out: a lexicon feature (``TrainConfig`` refuses one for this backbone).
"""

from __future__ import annotations

from ..errors import UserError
from .navec import NavecModel, NavecNet

DEFAULTS = {"char_dim": 32, "char_filters": 64, "shape_dim": 16, "dropout": 0.3, "word_dropout": 0.1,
            "filters": [128, 64], "kernel": 3, "morph_dim": 0}


class CNNNet(NavecNet):
    """The trainable CNN student: the navec net with a ``CNNEncoder``."""

    dropout_draws_work = False  # CNNEncoder.infer never calls its dropout: draws would all be equal
    backbone = "navec-cnn"
    # a small corpus (1.6k sentences) overshoots at slovnet's 5e-3; the lr study is in the bench notes
    default_lr = 5e-4
    defaults = DEFAULTS

    def check_hparams(self) -> None:
        if self.hp["kernel"] % 2 == 0:
            raise UserError(f"kernel {self.hp['kernel']}: must be odd (the output keeps every word)")
        dilations = self.hp.get("dilations")
        if dilations and (len(dilations) != len(self.hp["filters"]) or dilations[0] != 1 or min(dilations) < 1):
            raise UserError(f"dilations {dilations}: one per convolution ({len(self.hp['filters'])}), "
                            f"the first 1, none below 1")

    def build_encoder(self, width: int):
        from .encoders import CNNEncoder

        return CNNEncoder(width, self.hp["filters"], self.hp["kernel"], self.hp.get("dilations"), self.hp["dropout"])


class CNNModel(NavecModel):
    """A trained CNN student, loaded from its directory (``ner.models.TokenModel``)."""

    net_class = CNNNet
