"""The word features of the navec backbones as one torch module: ids in, one vector per word out.

Each word's vector joins, in this order: its frozen navec vector (product-quantized: the PQ
indexes and codes are non-persistent buffers rebuilt from ``navec.tar``), a learned
embedding of its shape (``features.word_shape``), a character CNN max-pooled over its first
letters (what carries out-of-vocabulary words), and, when ``morph_dim`` is set, an embedding
of its dictionary grammemes (``morph.py``; the per-vocabulary table is a persistent buffer, so
a saved model needs no pymorphy3). The lexicon feature (``lexfeatures.py``) is embedded
here too but joined by the caller: it depends on the neighbours, so it is never cached per word.

``width`` is the size of ``forward``'s vectors, ``lexicon_width`` what the lexicon adds and
``natasha_width`` what natasha's NER tags add (``natasha_tags.py``; per sentence like the lexicon).

Left out: fine-tuning the navec vectors; the encoders and the CRF (``encoders.py``, ``tagnet.py``).
"""

from __future__ import annotations

import torch
from torch import nn

SHAPES = 31  # word_shape's ids 1..30, 0 padding


class WordFeatures(nn.Module):
    """navec + shape + character CNN (+ grammemes) for each word id; the lexicon embedding beside them."""

    def __init__(self, indexes, codes, unk_id: int, n_chars: int, hp: dict):
        super().__init__()
        qdim, centroids, chunk = codes.shape
        self.register_buffer("pq_indexes", torch.from_numpy(indexes.copy()), persistent=False)
        self.register_buffer("pq_codes", torch.from_numpy(codes.copy()).reshape(qdim * centroids, chunk),
                             persistent=False)
        self.register_buffer("pq_offsets", torch.arange(qdim) * centroids, persistent=False)
        self.word_dim = qdim * chunk
        self.unk_id = unk_id
        self.word_dropout = hp.get("word_dropout", 0.0)
        self.shape = nn.Embedding(SHAPES, hp["shape_dim"], padding_idx=0)
        self.chars = nn.Embedding(n_chars, hp["char_dim"], padding_idx=0)
        self.char_cnn = nn.Conv1d(hp["char_dim"], hp["char_filters"], 3, padding=1)
        self.width = self.word_dim + hp["shape_dim"] + hp["char_filters"]
        self.morph = None
        if hp.get("morph_dim"):
            from .morph import CLASSES

            self.register_buffer("morph_of_word", torch.zeros(indexes.shape[0], dtype=torch.uint8))
            self.morph = nn.Embedding(CLASSES, hp["morph_dim"])
            self.width += hp["morph_dim"]
        self.lexicon = None
        self.lexicon_width = 0
        self.lexicon_dropout = hp.get("lexicon_dropout", 0.0)
        if hp.get("lexicon_tags"):  # lexicon membership ids (lexfeatures.py): 0 padding, 1 O
            self.lexicon = nn.Embedding(hp["lexicon_tags"], hp["lexicon_dim"], padding_idx=0)
            self.lexicon_width = hp["lexicon_dim"]
        self.lexicon_parts = None
        if hp.get("lexicon_parts"):  # a bit per label: other listed names hold the word (lexfeatures.part_masks)
            self.lexicon_size = hp["lexicon_tags"]
            self.lexicon_parts = nn.Linear(hp["lexicon_parts"], hp["lexicon_dim"], bias=False)
            self.register_buffer("part_shifts", torch.arange(hp["lexicon_parts"]), persistent=False)
        self.natasha = None
        self.natasha_width = 0
        if hp.get("natasha_dim"):  # natasha's news NER tags (natasha_tags.py): 0 padding, 1 O
            from .natasha_tags import SIZE

            self.natasha = nn.Embedding(SIZE, hp["natasha_dim"], padding_idx=0)
            self.natasha_width = hp["natasha_dim"]

    def hide_words(self, word_ids):
        """In training, ``word_dropout`` of the ids become the unknown word, so the characters learn to carry it."""
        if not (self.training and self.word_dropout):
            return word_ids
        hide = torch.rand(word_ids.shape, device=word_ids.device) < self.word_dropout
        return word_ids.masked_fill(hide, self.unk_id)

    def embed_words(self, word_ids):
        pieces = self.pq_indexes[word_ids].long() + self.pq_offsets
        return self.pq_codes[pieces].reshape(*word_ids.shape, self.word_dim)

    def char_features(self, char_ids):
        """The character CNN, max-pooled over each word's characters: [N, n] ids -> [N, filters]."""
        if not self.training:
            return self._char_features_matmul(char_ids)
        chars = torch.relu(self.char_cnn(self.chars(char_ids).transpose(1, 2)))
        # padding positions give 0, which never wins the max over ReLU outputs: padding-independent
        return chars.masked_fill((char_ids == 0).unsqueeze(1), 0.0).max(dim=2).values

    def _char_features_matmul(self, char_ids):
        # the same convolution as one matrix product over every character's 3-wide window,
        # laid out [N, n, filters] so the max runs over contiguous rows
        n_words, n = char_ids.shape
        windows = nn.functional.pad(self.chars(char_ids), (0, 0, 1, 1)).unfold(1, 3, 1)  # [N, n, dim, 3]
        weight = self.char_cnn.weight.reshape(self.char_cnn.out_channels, -1)
        chars = torch.addmm(self.char_cnn.bias, windows.reshape(n_words * n, -1), weight.t())
        chars = torch.relu(chars).reshape(n_words, n, -1)
        return chars.masked_fill((char_ids == 0).unsqueeze(2), 0.0).amax(dim=1)

    def forward(self, word_ids, shape_ids, char_groups, vocab_ids=None):
        """[N, width] vectors of N words with [N_k, n_k] char groups (in the words' order); ``vocab_ids``
        (default ``word_ids``) are the ids the grammemes are looked up by (word dropout leaves them)."""
        chars = [self.char_features(group) for group in char_groups]
        chars = chars[0] if len(chars) == 1 else torch.cat(chars)
        parts = [self.embed_words(word_ids), self.shape(shape_ids), chars]
        if self.morph is not None:
            ids = word_ids if vocab_ids is None else vocab_ids
            parts.append(self.morph(self.morph_of_word[ids].long()))
        return torch.cat(parts, dim=-1)

    def lexicon_features(self, lexicon_ids):
        """[B, L, lexicon_width] embeddings of the lexicon ids; in training each sentence's ids
        become O (1) with probability ``lexicon_dropout``, so the lists are not all it learns from.
        With ``lexicon_parts`` an id also holds the word's part bits (``lexfeatures.LexiconFeatures.joined``):
        they are split off, kept where the sentence's matches are hidden, and added through a linear map."""
        masks = None
        if self.lexicon_parts is not None:
            lexicon_ids, masks = lexicon_ids % self.lexicon_size, lexicon_ids // self.lexicon_size
        if self.training and self.lexicon_dropout:
            hide = torch.rand(lexicon_ids.shape[0], 1, device=lexicon_ids.device) < self.lexicon_dropout
            lexicon_ids = lexicon_ids.masked_fill(hide & (lexicon_ids > 0), 1)
        out = self.lexicon(lexicon_ids)
        if masks is None:
            return out
        bits = (masks.unsqueeze(-1) >> self.part_shifts) & 1
        return out + self.lexicon_parts(bits.to(out.dtype))

    def natasha_features(self, natasha_ids):
        """[B, L, natasha_width] embeddings of natasha's tag ids (``natasha_tags.py``)."""
        return self.natasha(natasha_ids)
