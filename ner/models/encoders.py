"""Sentence encoders of the navec backbones: word vectors [B, L, width] -> hidden states [B, L, out_width].

``BiLSTMEncoder`` (``navec``): dropout, a packed bidirectional LSTM, dropout. ``CNNEncoder``
(``navec-cnn``, slovnet's recipe): 1-D convolutions over the words (ReLU, dropout), every
position at once, which is what makes it faster on a CPU; padding is zeroed before and after
every convolution, so a sentence's states do not depend on the batch it is padded in.

Both take ``lengths`` (a CPU tensor of each item's word count) and offer the prediction path
``infer(prepare(x), lengths)``, equal to ``forward`` in eval mode. ``prepare`` is what a loaded
model may keep per word (``features.VectorCache``): for the BiLSTM the vector itself; for the CNN
each kernel tap of the first convolution applied to the word alone (a word's vector does not depend
on its neighbours), so ``infer`` only shifts and adds the taps (a property test checks it).

Left out: batch normalisation (slovnet has it; dropout alone trained as well here).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


def length_mask(lengths, length: int, device):
    """[B, 1, L]: True at each item's real positions."""
    return (torch.arange(length)[None, :] < lengths[:, None]).to(device).unsqueeze(1)


class BiLSTMEncoder(nn.Module):
    def __init__(self, width: int, hidden: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.lstm = nn.LSTM(width, hidden, num_layers=layers, batch_first=True, bidirectional=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.out_width = 2 * hidden

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.drop(x), lengths, batch_first=True, enforce_sorted=False)
        h, _ = self.lstm(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
        return self.drop(h)

    def prepare(self, x):
        return x

    def infer(self, x, lengths):
        return self.forward(x, lengths)


class CNNEncoder(nn.Module):
    def __init__(self, width: int, filters: Sequence[int], kernel: int = 3, dilations: Sequence[int] | None = None,
                 dropout: float = 0.0):
        super().__init__()
        sizes = [width, *filters]
        dilations = dilations or [1] * len(filters)  # prepare needs the first to be 1 (CNNNet checks)
        self.drop = nn.Dropout(dropout)
        self.convs = nn.ModuleList(nn.Conv1d(a, b, kernel, padding=d * (kernel // 2), dilation=d)
                                   for a, b, d in zip(sizes, sizes[1:], dilations))
        self.out_width = sizes[-1]

    def forward(self, x, lengths):
        mask = length_mask(lengths, x.shape[1], x.device)
        h = self.drop(x).transpose(1, 2) * mask
        for conv in self.convs:
            h = self.drop(torch.relu(conv(h))) * mask
        return h.transpose(1, 2)

    def prepare(self, x):
        """[..., width] word vectors -> [..., kernel * filters]: each tap of the first convolution on the word alone."""
        first = self.convs[0]
        taps = first.weight.permute(1, 2, 0).reshape(first.in_channels, -1)  # [width, kernel * filters]
        return x @ taps

    def infer(self, p, lengths):
        """``forward`` (eval mode) from ``prepare``d vectors [B, L, kernel * filters]: the first
        convolution's output at t is its bias plus tap k of the word at t + k - kernel // 2."""
        first = self.convs[0]
        batch, length = p.shape[:2]
        kernel, filters = first.kernel_size[0], first.out_channels
        half = kernel // 2
        mask = length_mask(lengths, length, p.device)
        p = p * mask.transpose(1, 2)  # what forward's zeroed padding gives
        p = nn.functional.pad(p.reshape(batch, length, kernel, filters), (0, 0, 0, 0, half, half))
        h = first.bias + sum(p[:, k : k + length, k] for k in range(kernel))  # [B, L, filters]
        h = torch.relu(h).transpose(1, 2) * mask
        for conv in self.convs[1:]:
            h = torch.relu(conv(h)) * mask
        return h.transpose(1, 2)
