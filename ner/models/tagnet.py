"""A tagging network composed of parts: ``TagNet(words, encoder, head)``, as slovnet's ``Tag(emb, encoder, head)``.

``words`` turns ids into word vectors (``words.WordFeatures``), ``encoder`` reads the sentence
(``encoders.BiLSTMEncoder`` or ``encoders.CNNEncoder``) and ``head`` (``CRFHead``) projects each
position to tag emissions and holds the CRF that scores and decodes them. A backbone is only
the choice of parts (``navec.py``, ``cnn.py``).

Weights saved before the parts existed had flat names (``lstm.*``, ``convs.*``, ``out.*``, ``crf.*``,
``shape.*``...); ``load_state_dict`` reads them too (``nested_keys``), so those directories and
checkpoints load and tag as before. What is saved now uses the nested names.

Left out: heads without a CRF (the transformer backbone has its own, in transformers).
"""

from __future__ import annotations

import torch
from torch import nn

from .crf import CRF

# the first name of a flat (pre-parts) weight -> the part that owns it now
PART_OF = {"shape": "words", "chars": "words", "char_cnn": "words", "morph": "words", "morph_of_word": "words",
           "lexicon": "words", "lstm": "encoder", "convs": "encoder", "out": "head", "crf": "head"}


def nested_keys(state: dict) -> dict:
    """A state dict with flat names moved under their part (``lstm.weight_ih_l0`` -> ``encoder.lstm...``)."""
    return {(f"{PART_OF[key.split('.', 1)[0]]}.{key}" if key.split(".", 1)[0] in PART_OF else key): value
            for key, value in state.items()}


class CRFHead(nn.Module):
    """A linear projection to the tags' emissions, and the IOB2-constrained CRF over them."""

    def __init__(self, width: int, tags):
        super().__init__()
        self.out = nn.Linear(width, len(tags))
        self.crf = CRF(tags)

    def forward(self, h):
        return self.out(h)


class TagNet(nn.Module):
    """Word ids -> emissions [B, L, tags]; ``crf`` scores and decodes them."""

    def __init__(self, words: nn.Module, encoder: nn.Module, head: CRFHead):
        super().__init__()
        self.words = words
        self.encoder = encoder
        self.head = head

    @property
    def crf(self) -> CRF:
        return self.head.crf

    @property
    def feature_width(self) -> int:
        """The width of ``word_features``' vectors (the lexicon's embedding comes after)."""
        return self.words.width

    def word_features(self, word_ids, shape_ids, char_groups, vocab_ids=None):
        return self.words(word_ids, shape_ids, char_groups, vocab_ids)

    def lexicon_features(self, lexicon_ids):
        return self.words.lexicon_features(lexicon_ids)

    def encode(self, x, lengths):
        """Emissions [B, L, tags] from word vectors [B, L, width] and the items' lengths (a CPU tensor)."""
        return self.head(self.encoder(x, lengths))

    def prepare(self, x):
        """What prediction keeps per word (eval mode); ``infer`` reads it."""
        return self.encoder.prepare(x)

    def infer(self, p, lengths):
        """``encode`` (eval mode) from ``prepare``d word vectors."""
        return self.head(self.encoder.infer(p, lengths))

    def sentence_features(self, x, lexicon_ids=None, natasha_ids=None):
        """``x`` [B, L, width] with the per-sentence features joined after it: the lexicon's, natasha's."""
        parts = [x]
        if lexicon_ids is not None:
            parts.append(self.lexicon_features(lexicon_ids))
        if natasha_ids is not None:
            parts.append(self.words.natasha_features(natasha_ids))
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)

    def forward(self, word_ids, shape_ids, char_ids, lexicon_ids=None, natasha_ids=None):
        """Training emissions from [B, L] word and shape ids, [B, L, n] char ids, [B, L] lexicon and natasha ids."""
        vocab_ids = word_ids.reshape(-1)  # the grammemes are a dictionary's: word dropout leaves them
        word_ids = self.words.hide_words(word_ids)
        b, length, n = char_ids.shape
        x = self.word_features(word_ids.reshape(-1), shape_ids.reshape(-1), [char_ids.reshape(-1, n)], vocab_ids)
        x = self.sentence_features(x.reshape(b, length, -1), lexicon_ids, natasha_ids)
        return self.encode(x, (shape_ids != 0).sum(1).cpu())

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        return super().load_state_dict(nested_keys(state_dict), strict=strict, assign=assign)
