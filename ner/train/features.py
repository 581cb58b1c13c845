"""Word features for the navec backbone: navec ids, a shape id (script, case, digits), character ids.

navec's vocabulary is lowercase; a word is looked up lowercased, then with ё
folded to е, else it is the unknown id (numbers, punctuation and most Latin
names are). The character vocabulary comes from the training data (0 is
padding, 1 an unknown character); only the first ``MAX_CHARS`` characters of a
word feed the character CNN (the word itself is never cut).

Left out: morphology features (natasha's tagger would add a dependency on its models).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import UserError

MAX_CHARS = 20


def bundled_navec_path() -> Path:
    """natasha's bundled navec file (``navec_news_v1_1B_250K_300d_100q.tar``)."""
    try:
        from natasha.data import NEWS_EMBEDDING
    except ImportError:
        raise UserError("the navec backbone needs natasha (pip install 'ner[train]')") from None
    path = Path(NEWS_EMBEDDING)
    if not path.exists():
        raise UserError(f"{path}: natasha's navec embeddings are missing; reinstall natasha")
    return path


def _load_navec(path: Path):
    from navec import Navec

    try:
        return Navec.load(str(path))
    except Exception as e:  # a damaged or foreign tar: say which file
        raise UserError(f"{path}: cannot read the navec embeddings ({e}); copy them again") from None


def word_shape(word: str) -> int:
    """A small id (1..30; 0 is padding) for a word's script, case, digits and punctuation kind.

    >>> word_shape("Москва"), word_shape("BERT"), word_shape("GPT-3"), word_shape("2018"), word_shape(",")
    (2, 7, 19, 25, 27)
    """
    cyr = any("а" <= c <= "я" or c == "ё" for c in word.lower())
    lat = any("a" <= c <= "z" for c in word.lower())
    digits = any(c.isdigit() for c in word)
    if cyr or lat:
        script = 2 if cyr and lat else 1 if lat else 0
        if word.islower():
            case = 0
        elif word[0].isupper() and (len(word) == 1 or word[1:].islower()):
            case = 1
        elif word.isupper():
            case = 2
        else:
            case = 3
        return 1 + script * 4 + case + 12 * digits
    if word.isdigit():
        return 25
    if digits:
        return 26
    head = word[:1]
    if head and head in ",.;:!?…":
        return 27
    if head and head in "«»\"'“”„()[]{}":
        return 28
    if head and head in "-–—":
        return 29
    return 30


class Featurizer:
    """Words -> (navec ids, shape ids, char ids); the char vocabulary comes from the training data."""

    def __init__(self, vocab, chars: str):
        self.vocab = vocab
        self.char_ids = {c: i + 2 for i, c in enumerate(chars)}  # 0 padding, 1 unknown
        self.n_chars = len(chars) + 2

    def word_id(self, word: str) -> int:
        lowered = word.lower()
        found = self.vocab.get(lowered)
        if found is None:
            found = self.vocab.get(lowered.replace("ё", "е"), self.vocab.unk_id)
        return found

    def tensors(self, batch: Sequence[Sequence[str]]):
        import torch

        length = max(len(ws) for ws in batch)
        n = min(MAX_CHARS, max(len(w) for ws in batch for w in ws))
        word_ids = torch.full((len(batch), length), self.vocab.pad_id, dtype=torch.long)
        shape_ids = torch.zeros((len(batch), length), dtype=torch.long)
        char_ids = torch.zeros((len(batch), length, n), dtype=torch.long)
        mask = torch.zeros((len(batch), length), dtype=torch.bool)
        for b, words in enumerate(batch):
            word_ids[b, : len(words)] = torch.tensor([self.word_id(w) for w in words])
            shape_ids[b, : len(words)] = torch.tensor([word_shape(w) for w in words])
            for i, w in enumerate(words):
                char_ids[b, i, : min(n, len(w))] = torch.tensor([self.char_ids.get(c, 1) for c in w[:n]])
            mask[b, : len(words)] = True
        return word_ids, shape_ids, char_ids, mask


