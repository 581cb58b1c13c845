"""Word features for the navec backbone: navec ids, a shape id (script, case, digits), character ids.

navec's vocabulary is lowercase; a word is looked up lowercased, then with ё
folded to е, else it is the unknown id (numbers, punctuation and most Latin
names are). The character vocabulary comes from the training data (0 is
padding, 1 an unknown character); only the first ``MAX_CHARS`` characters of a
word feed the character CNN (the word itself is never cut).

The torch side of the features (embeddings, character CNN, grammemes) is ``words.WordFeatures``.

Left out: natasha's morphology tagger (a dependency on its models; ``morph.py`` reads dictionary
grammemes instead).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Sequence

from ..errors import UserError
from ..text import CYRILLIC, LATIN

MAX_CHARS = 20
CHAR_GROUPS = (5, 9)  # prediction runs the character CNN on words of up to 5, 6-9 and 10-20 characters apart


def padded(rows) -> "object":
    """A ``[B, L]`` long tensor of per-word id rows, 0 past each row's end (``L``: the longest row)."""
    import torch

    length = max((len(r) for r in rows), default=0)
    return torch.tensor([list(r) + [0] * (length - len(r)) for r in rows], dtype=torch.long).reshape(len(rows), length)


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
    """navec's ``Navec.load`` without the similarity tables it precomputes (a fifth of a second
    at every model load; the model reads only the vocabulary, the PQ indexes and the codes)."""
    from navec import Navec

    try:
        from navec.navec import META, PQ_, VOCAB
        from navec.meta import Meta
        from navec.pq import PQ
        from navec.tar import Tar
        from navec.vocab import Vocab
    except ImportError:  # another navec layout: its own loader
        Tar = None
    try:
        if Tar is None:
            return Navec.load(str(path))

        class PlainPQ(PQ):
            def precompute(self):
                pass

        with Tar(str(path)) as tar:
            meta = Meta.from_file(tar.load(META))
            Meta.check_protocol(meta.protocol)
            vocab = Vocab.from_file(tar.load(VOCAB))
            return Navec(meta, vocab, PlainPQ.from_file(tar.load(PQ_)))
    except Exception as e:  # a damaged or foreign tar: say which file
        raise UserError(f"{path}: cannot read the navec embeddings ({e}); copy them again") from None


_CYRILLIC, _LATIN = CYRILLIC, LATIN  # the one copy, in ner/text.py (searched on the lowered word)


def word_shape(word: str) -> int:
    """A small id (1..30; 0 is padding) for a word's script, case, digits and punctuation kind.

    >>> word_shape("Москва"), word_shape("BERT"), word_shape("GPT-3"), word_shape("2018"), word_shape(",")
    (2, 7, 19, 25, 27)
    """
    lowered = word.lower()
    cyr = _CYRILLIC.search(lowered) is not None
    lat = _LATIN.search(lowered) is not None
    digits = any(map(str.isdigit, word))
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


CACHE_WORDS = 200_000  # distinct words whose ids are remembered (a few hundred bytes each)
# distinct words whose input vectors a loaded model remembers: ~400 floats a word for the default navec and
# CNN models (~50 MB); a CNN keeps kernel x first-layer filters floats a word (cnn.py)
CACHE_VECTORS = 32_768


class Featurizer:
    """Words -> (navec ids, shape ids, char ids); the char vocabulary comes from the training data.

    A word's ids are computed once and remembered (up to ``CACHE_WORDS`` words; then the
    memory starts afresh), so the words a text repeats cost a dictionary lookup.
    """

    def __init__(self, vocab, chars: str):
        self.vocab = vocab
        self.char_ids = {c: i + 2 for i, c in enumerate(chars)}  # 0 padding, 1 unknown
        self.n_chars = len(chars) + 2
        self._known: dict[str, tuple[int, int, tuple[int, ...]]] = {}

    def word_id(self, word: str) -> int:
        lowered = word.lower()
        found = self.vocab.get(lowered)
        if found is None:
            found = self.vocab.get(lowered.replace("ё", "е"), self.vocab.unk_id)
        return found

    def features(self, word: str) -> tuple[int, int, tuple[int, ...]]:
        """``(navec id, shape id, char ids of the first MAX_CHARS characters)`` of one word."""
        found = self._known.get(word)
        if found is None:
            get = self.char_ids.get
            found = (self.word_id(word), word_shape(word), tuple([get(c, 1) for c in word[:MAX_CHARS]]))
            if len(self._known) >= CACHE_WORDS:
                self._known = {}
            self._known[word] = found
        return found

    def tensors(self, batch: Sequence[Sequence[str]]):
        """``(word_ids, shape_ids, char_ids, mask)``: [B, L], [B, L], [B, L, n], [B, L] (right padding)."""
        import torch

        length = max(len(ws) for ws in batch)
        n = min(MAX_CHARS, max(len(w) for ws in batch for w in ws))
        pad_word, pad_chars = self.vocab.pad_id, (0,) * n
        word_ids, shape_ids, char_ids, mask = [], [], [], []
        for words in batch:
            feats = [self.features(w) for w in words]
            pad = length - len(words)
            word_ids += [f[0] for f in feats] + [pad_word] * pad
            shape_ids += [f[1] for f in feats] + [0] * pad
            char_ids += [(f[2] + pad_chars)[:n] for f in feats] + [pad_chars] * pad
            mask += [True] * len(words) + [False] * pad
        shape = (len(batch), length)
        return (torch.tensor(word_ids).reshape(shape), torch.tensor(shape_ids).reshape(shape),
                torch.tensor(char_ids).reshape(*shape, n), torch.tensor(mask).reshape(shape))

    def unique_tensors(self, batch: Sequence[Sequence[str]]):
        """Each distinct word of the batch once, and where each position finds its word.

        ``(word_ids [U], shape_ids [U], char_groups, index [B, L], lengths)``: the U words
        are ordered by their number of characters and ``char_groups`` holds their char
        ids in a few consecutive groups, each padded only to its own longest word (the
        character CNN's output does not depend on padding, so short words need not pay
        for the longest one). ``index`` points into the U words, padding points at ``U``
        (one past the last), and ``lengths`` lists each item's word count. Used for
        prediction, where a word's features do not depend on its position.
        """
        import torch

        slots: dict[str, int] = {}
        index: list[int] = []
        length = max(len(ws) for ws in batch)
        lengths = []
        for words in batch:
            for w in words:
                k = slots.get(w)
                if k is None:
                    k = slots[w] = len(slots)
                index.append(k)
            index += [-1] * (length - len(words))
            lengths.append(len(words))
        feats = [self.features(w) for w in slots]
        order = sorted(range(len(feats)), key=lambda k: len(feats[k][2]))
        rank = [0] * (len(order) + 1)
        for r, k in enumerate(order):
            rank[k] = r
        rank[-1] = len(order)  # padding
        feats = [feats[k] for k in order]
        groups, begin = [], 0
        for limit in (*CHAR_GROUPS, MAX_CHARS):
            end = begin
            while end < len(feats) and len(feats[end][2]) <= limit:
                end += 1
            if end > begin:
                n = max(1, len(feats[end - 1][2]))
                rows = [f[2] + (0,) * (n - len(f[2])) for f in feats[begin:end]]
                groups.append(torch.tensor(rows, dtype=torch.long).reshape(end - begin, n))
            begin = end
        return (torch.tensor([f[0] for f in feats], dtype=torch.long),
                torch.tensor([f[1] for f in feats], dtype=torch.long), groups,
                torch.tensor([rank[k] for k in index], dtype=torch.long).reshape(len(batch), length), lengths)


class VectorCache:
    """The input vectors of the words a loaded model has seen: each word's vector is computed once.

    Only for a model whose weights no longer change (``NavecModel``); training never uses it.
    Row 0 of the table is the zero vector that padding points at. When ``capacity``
    words are stored the cache starts afresh. Thread-safe.
    """

    def __init__(self, capacity: int = CACHE_VECTORS):
        self.capacity = capacity
        self.rows: dict[str, int] = {}
        self.table = None  # [rows, width] tensor, grown by doubling
        self.lock = threading.Lock()

    def gather(self, batch: Sequence[Sequence[str]], compute: Callable):
        """``[B, L, width]`` vectors of the words (zeros past each item's end).

        ``compute(words)`` gives the vectors [N, width] of words not seen before. None when
        the batch alone holds more distinct words than the cache does (compute them directly).
        """
        import torch

        length = max(len(ws) for ws in batch)
        with self.lock:
            rows = self.rows
            new = {w: None for ws in batch for w in ws if w not in rows}
            if len(rows) + len(new) > self.capacity:
                words = {w: None for ws in batch for w in ws}
                if len(words) > self.capacity:
                    return None
                rows.clear()
                new = words
            if new:
                vectors = compute(list(new))
                first = len(rows) + 1
                need = first + len(new)
                if self.table is None or self.table.shape[0] < need:
                    size = max(need, 2 * (0 if self.table is None else self.table.shape[0]), 1024)
                    table = vectors.new_zeros(min(size, self.capacity + 1), vectors.shape[1])
                    if self.table is not None:
                        table[: first] = self.table[: first]
                    self.table = table
                self.table[first:need] = vectors
                for k, w in enumerate(new):
                    rows[w] = first + k
            index = []
            for ws in batch:
                index += [rows[w] for w in ws]
                index += [0] * (length - len(ws))
            return self.table[torch.tensor(index, device=self.table.device)].reshape(len(batch), length, -1)
