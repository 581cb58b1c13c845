"""The offline backbone: natasha's navec embeddings, character features, a BiLSTM and a CRF.

Each word (features in ``features.py``) is the frozen navec vector of its lowercased form (the embeddings
bundled with natasha; nothing is downloaded), a learned embedding of its shape
(script and case), and a character CNN over its first letters, which is what
carries out-of-vocabulary words (Latin model names, numbers, punctuation). A
one-layer BiLSTM reads the sentence and a CRF (``crf.py``) picks valid IOB2 tags;
the probability of each chosen tag is its CRF marginal, and ``probabilities`` gives
every tag's marginal (``[words, tags]``, rows summing to 1).

The model directory holds ``model.pt`` (trained weights), ``navec.tar`` (a
copy of the embeddings, so the directory is self-contained) and
``ner_model.json`` (labels, tags, character vocabulary, sizes, window).
Inputs longer than the window are cut into overlapping windows, the same way in
training and prediction (``windows.py``); in prediction the windows' emissions are
merged per word and the CRF decodes the whole sentence once, so the tags are valid
IOB2 across window edges too. Prediction sends each distinct word of a
batch through the features once, a loaded model keeps word vectors (``features.VectorCache``) and
the CRF decodes in numpy (``CRF.decode``), with the plain path's results (see the equivalence test).

With a lexicon (``lexfeatures.py``), each word's vector also carries a small embedding of
its longest-match lexicon tag, dropped per sentence in training (``lexicon_dropout``); the
lists are saved in the directory (``lexicon.json``, named in ``ner_model.json``). A model
trained without one has neither and loads as before.

Left out: fine-tuning the embeddings.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Sequence

from ..errors import UserError
from .base import MODEL_FILE, Prediction, read_model_info, weights_hash
from .features import MAX_CHARS, Featurizer, VectorCache, _load_navec, bundled_navec_path
from .windows import merge_scores, open_window, plan_windows

EMBEDDINGS_FILE = "navec.tar"
WEIGHTS_FILE = "model.pt"
DEFAULTS = {"char_dim": 32, "char_filters": 64, "shape_dim": 16, "hidden": 128, "dropout": 0.4, "layers": 1,
            "word_dropout": 0.1, "lexicon_dim": 16, "lexicon_dropout": 0.5, "morph_dim": 0}
MORPH_DIM = 16  # the grammeme feature's size when training turns it on (a saved model without it has 0)
DEFAULT_WINDOW, DEFAULT_STRIDE = 256, 64
# Torch threads a loaded model predicts on (CPU). On 2 cores a second thread gained nothing
# with one core free (bench_tag: 1.39 s vs 1.30 s) and made the BiLSTM over 20x slower while other
# processes kept both busy. Override per model (``model.threads``); None keeps torch's setting.
PREDICT_THREADS = 1


def _torch():
    import torch

    return torch


def build_module(indexes, codes, unk_id: int, n_chars: int, n_tags: int, tags, hp: dict):
    """The network: navec lookup + shape + char CNN -> BiLSTM -> emissions, with a CRF."""
    torch = _torch()
    from torch import nn

    from .crf import CRF

    class NavecTagger(nn.Module):
        def __init__(self):
            super().__init__()
            qdim, centroids, chunk = codes.shape
            self.register_buffer("pq_indexes", torch.from_numpy(indexes.copy()), persistent=False)
            self.register_buffer("pq_codes", torch.from_numpy(codes.copy()).reshape(qdim * centroids, chunk),
                                 persistent=False)
            self.register_buffer("pq_offsets", torch.arange(qdim) * centroids, persistent=False)
            self.word_dim = qdim * chunk
            self.shape = nn.Embedding(31, hp["shape_dim"], padding_idx=0)
            self.chars = nn.Embedding(n_chars, hp["char_dim"], padding_idx=0)
            self.char_cnn = nn.Conv1d(hp["char_dim"], hp["char_filters"], 3, padding=1)
            width = self.word_dim + hp["shape_dim"] + hp["char_filters"]
            if hp.get("morph_dim"):  # dictionary grammemes of each vocabulary word (morph.py), saved with the weights
                from .morph import CLASSES

                self.register_buffer("morph_of_word", torch.zeros(indexes.shape[0], dtype=torch.uint8))
                self.morph = nn.Embedding(CLASSES, hp["morph_dim"])
                width += hp["morph_dim"]
            self.feature_width = width  # what word_features gives (the lexicon's comes after)
            if hp.get("lexicon_tags"):  # lexicon membership ids (lexfeatures.py): 0 padding, 1 O
                self.lexicon = nn.Embedding(hp["lexicon_tags"], hp["lexicon_dim"], padding_idx=0)
                width += hp["lexicon_dim"]
            self.drop = nn.Dropout(hp["dropout"])
            self.lstm = nn.LSTM(width, hp["hidden"], num_layers=hp["layers"], batch_first=True, bidirectional=True,
                                dropout=hp["dropout"] if hp["layers"] > 1 else 0.0)
            self.out = nn.Linear(2 * hp["hidden"], n_tags)
            self.crf = CRF(tags)

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
            # laid out [N, n, filters] so the max runs over contiguous rows: about twice as fast
            n_words, n = char_ids.shape
            windows = nn.functional.pad(self.chars(char_ids), (0, 0, 1, 1)).unfold(1, 3, 1)  # [N, n, dim, 3]
            weight = self.char_cnn.weight.reshape(self.char_cnn.out_channels, -1)
            chars = torch.addmm(self.char_cnn.bias, windows.reshape(n_words * n, -1), weight.t())
            chars = torch.relu(chars).reshape(n_words, n, -1)
            return chars.masked_fill((char_ids == 0).unsqueeze(2), 0.0).amax(dim=1)

        def word_features(self, word_ids, shape_ids, char_groups, vocab_ids=None):
            """Each word's vector (navec, shape, character CNN, grammemes) for [N] words with [N_k, n_k]
            char groups; ``vocab_ids`` (default ``word_ids``) are the ids the grammemes are looked up by."""
            chars = [self.char_features(group) for group in char_groups]
            chars = chars[0] if len(chars) == 1 else torch.cat(chars)
            parts = [self.embed_words(word_ids), self.shape(shape_ids), chars]
            if hp.get("morph_dim"):
                ids = word_ids if vocab_ids is None else vocab_ids
                parts.append(self.morph(self.morph_of_word[ids].long()))
            return torch.cat(parts, dim=-1)

        def lexicon_features(self, lexicon_ids):
            """[B, L, lexicon_dim] embeddings of the lexicon ids; in training each sentence's ids
            become O (1) with probability lexicon_dropout, so the lists are not all it learns from."""
            p = hp.get("lexicon_dropout", 0.0)
            if self.training and p:
                hide = torch.rand(lexicon_ids.shape[0], 1, device=lexicon_ids.device) < p
                lexicon_ids = lexicon_ids.masked_fill(hide & (lexicon_ids > 0), 1)
            return self.lexicon(lexicon_ids)

        def prepare(self, x):
            """What prediction keeps per word (eval mode): here the word vector itself; ``infer`` reads it."""
            return x

        def infer(self, x, lengths):
            """Emissions [B, L, tags] from ``prepare``d word vectors (eval mode)."""
            return self.encode(x, lengths)

        def encode(self, x, lengths):
            """Emissions [B, L, tags] from word vectors [B, L, width] and the items' lengths (a CPU tensor)."""
            packed = nn.utils.rnn.pack_padded_sequence(self.drop(x), lengths, batch_first=True,
                                                       enforce_sorted=False)
            h, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
            return self.out(self.drop(h))

        def forward(self, word_ids, shape_ids, char_ids, lexicon_ids=None):
            vocab_ids = word_ids.reshape(-1)  # the grammemes are a dictionary's: word dropout leaves them
            if self.training and hp["word_dropout"]:
                # hide some words' vectors so the character features learn to carry them too
                hide = torch.rand(word_ids.shape, device=word_ids.device) < hp["word_dropout"]
                word_ids = word_ids.masked_fill(hide, unk_id)
            b, length, n = char_ids.shape
            x = self.word_features(word_ids.reshape(-1), shape_ids.reshape(-1), [char_ids.reshape(-1, n)], vocab_ids)
            x = x.reshape(b, length, -1)
            if lexicon_ids is not None:
                x = torch.cat([x, self.lexicon_features(lexicon_ids)], dim=-1)
            return self.encode(x, (shape_ids != 0).sum(1).cpu())

    return NavecTagger()


class NavecNet:
    """The trainable model with its featurizer: what the training loop drives."""

    backbone = "navec"
    default_lr = 2e-3
    lexicon = None  # a lexfeatures.LexiconFeatures, or None: no lexicon feature

    def __init__(self, tags: Sequence[str], chars: str, hp: dict | None = None,
                 window: int = 0, stride: int = -1, embeddings: Path | None = None, device=None, lexicon=None):
        self.tags = tuple(tags)
        self.tag_ids = {t: i for i, t in enumerate(self.tags)}
        self.hp = {**DEFAULTS, **(hp or {})}
        self.lexicon = lexicon
        self.hp["lexicon_tags"] = lexicon.size if lexicon is not None else 0
        self._lexicon_ids: dict = {}  # training windows' lexicon ids (the same windows every epoch)
        self.lexicon_hidden: dict = {}  # words -> positions whose lexicon id is O (train/augment.py's swapped names)
        self.window = window or DEFAULT_WINDOW
        self.stride = stride if stride >= 0 else DEFAULT_STRIDE
        self.embeddings = Path(embeddings) if embeddings else bundled_navec_path()
        navec = _load_navec(self.embeddings)
        self.chars = chars
        self.featurizer = Featurizer(navec.vocab, chars)
        self.module = build_module(navec.pq.indexes, navec.pq.codes, navec.vocab.unk_id, self.featurizer.n_chars,
                                   len(self.tags), self.tags, self.hp)
        self.device = device or "cpu"
        self.module.to(self.device)

    def fill_morph(self) -> None:
        """Put the vocabulary's grammeme masks (``morph.vocab_table``) into the net (training; a
        loaded model has them from its weights)."""
        if not self.hp.get("morph_dim"):
            return
        torch = _torch()
        from .morph import vocab_table

        table = vocab_table(self.featurizer.vocab.words)
        self.module.morph_of_word.copy_(torch.from_numpy(table))

    @staticmethod
    def chars_of(sentences) -> str:
        seen = {c for s in sentences for w in s.words for c in w[:MAX_CHARS]}
        return "".join(sorted(seen))

    def examples(self, sentences) -> list[tuple[tuple[str, ...], list[int]]]:
        """Training examples: each sentence, cut into windows when longer than the window.

        A window that starts inside an entity starts with ``B-X`` (``windows.open_window``).
        """
        out = []
        for s in sentences:
            for a, b in plan_windows([1] * len(s.words), self.window, self.stride):
                out.append((s.words[a:b], [self.tag_ids[t] for t in open_window(s.tags[a:b])]))
        return out

    def loss(self, batch) -> "object":
        torch = _torch()
        words = [w for w, _ in batch]
        word_ids, shape_ids, char_ids, mask = (t.to(self.device) for t in self.featurizer.tensors(words))
        gold = torch.zeros(mask.shape, dtype=torch.long)
        for b, (_, ids) in enumerate(batch):
            gold[b, : len(ids)] = torch.tensor(ids)
        lexicon_ids = None if self.lexicon is None else self._training_lexicon_ids(words).to(self.device)
        emissions = self.module(word_ids, shape_ids, char_ids, lexicon_ids).float()
        return self.module.crf.neg_log_likelihood(emissions, gold.to(self.device), mask)

    def _training_lexicon_ids(self, batch):
        import torch

        known = self._lexicon_ids
        if len(known) > 200_000:
            known.clear()
        rows = []
        for words in batch:
            key = tuple(words)
            if key not in known:
                known[key] = self.lexicon.word_ids(key)
            hide = self.lexicon_hidden.get(key, ())
            rows.append([1 if i in hide else v for i, v in enumerate(known[key])] if hide else known[key])
        length = max(len(r) for r in rows)
        return torch.tensor([r + [0] * (length - len(r)) for r in rows], dtype=torch.long)

    def _word_vectors(self, batch):
        """[B, L, width] input vectors; each distinct word of the batch goes through the features once."""
        torch = _torch()
        word_ids, shape_ids, char_groups, index, _ = self.featurizer.unique_tensors(batch)
        device = self.device
        vectors = self.module.word_features(word_ids.to(device), shape_ids.to(device),
                                            [g.to(device) for g in char_groups])
        vectors = torch.cat([vectors, vectors.new_zeros(1, vectors.shape[1])])  # the padding row
        return vectors[index.to(device)]

    def emissions(self, batch: Sequence[Sequence[str]], batch_size: int = 64,
                  cache: VectorCache | None = None) -> list:
        """Per-word emissions (float32 ``[words, tags]``) of each word list, its windows merged.

        Windows of similar lengths go through the network together (eval mode, no grad).
        """
        import numpy as np

        torch = _torch()
        pieces, plans = [], []
        for words in batch:
            if len(words) <= self.window:  # the common case: one window, the words themselves
                plan = [(0, len(words))] if words else []
            else:
                plan = plan_windows([1] * len(words), self.window, self.stride)
            plans.append(plan)
            pieces += [words[a:b] for a, b in plan]
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))
        results: list = [None] * len(pieces)
        was_training = self.module.training
        self.module.eval()
        try:
            with torch.inference_mode():
                for i in range(0, len(order), batch_size):
                    chunk = order[i : i + batch_size]
                    items = [pieces[j] for j in chunk]
                    prepare = self.module.prepare
                    x = None if cache is None else cache.gather(items, lambda ws: prepare(self._word_vectors([ws])[0]))
                    if x is None:
                        x = prepare(self._word_vectors(items))
                    if self.lexicon is not None:  # depends on the neighbours, so never cached per word
                        x = torch.cat([x, self.module.lexicon_features(self.lexicon.tensor(items).to(x.device))], -1)
                    lengths = [len(words) for words in items]
                    em = self.module.infer(x, torch.tensor(lengths)).float().cpu().numpy()
                    for row, j in enumerate(chunk):
                        results[j] = em[row, : lengths[row]]
        finally:
            self.module.train(was_training)
        out, pos = [], 0
        for words, plan in zip(batch, plans):
            rows = results[pos : pos + len(plan)]
            pos += len(plan)
            if len(plan) == 1:
                out.append(rows[0])
            elif plan:
                out.append(merge_scores(len(words), plan, rows).astype(np.float32))
            else:
                out.append(np.zeros((0, len(self.tags)), dtype=np.float32))
        return out

    def decode(self, emissions: Sequence, batch_size: int = 64) -> list[tuple]:
        """``(path, marginals)`` for each ``[words, tags]`` emission array: the CRF over the whole sentence."""
        import numpy as np

        torch = _torch()
        n_tags = len(self.tags)
        out: list = [(np.zeros(0, dtype=np.intp), np.zeros((0, n_tags)))] * len(emissions)
        order = sorted((i for i in range(len(emissions)) if len(emissions[i])), key=lambda i: len(emissions[i]))
        with torch.no_grad():
            for i in range(0, len(order), batch_size):
                chunk = order[i : i + batch_size]
                lengths = [len(emissions[j]) for j in chunk]
                padded = np.zeros((len(chunk), max(lengths), n_tags), dtype=np.float32)
                for row, j in enumerate(chunk):
                    padded[row, : lengths[row]] = emissions[j]
                if self.hp.get("o_bias"):  # O less likely where the model hesitates (TrainConfig.o_bias)
                    padded[:, :, self.tag_ids["O"]] -= self.hp["o_bias"]
                paths, probs = self.module.crf.decode(padded, lengths)
                for row, (j, n) in enumerate(zip(chunk, lengths)):
                    out[j] = (paths[row, :n], probs[row, :n])
        return out

    def predict_with_probabilities(self, batch: Sequence[Sequence[str]], batch_size: int = 64,
                                   cache: VectorCache | None = None) -> list[tuple[Prediction, "object"]]:
        """``(Prediction, marginals [words, tags])`` for each list of words (see ``predict``)."""
        import numpy as np

        tags = self.tags
        out = []
        for path, probs in self.decode(self.emissions(batch, batch_size, cache), batch_size):
            chosen = probs[np.arange(len(path)), path].tolist()
            out.append((Prediction(tuple(tags[t] for t in path.tolist()), tuple(chosen)), probs))
        return out

    def predict(self, batch: Sequence[Sequence[str]], batch_size: int = 64,
                cache: VectorCache | None = None) -> list[Prediction]:
        """IOB2 tags and CRF marginals for each list of words, windowed, in batches of similar lengths.

        ``cache`` keeps word vectors between calls; only for weights that no longer change.
        """
        return [p for p, _ in self.predict_with_probabilities(batch, batch_size, cache)]

    def probabilities(self, batch: Sequence[Sequence[str]], batch_size: int = 64,
                      cache: VectorCache | None = None) -> list:
        """CRF marginals, float64 ``[words, len(self.tags)]``, for each list of words."""
        return [p for _, p in self.predict_with_probabilities(batch, batch_size, cache)]

    def info(self, name: str, labels: Sequence[str]) -> dict:
        hp = {k: v for k, v in self.hp.items() if self.lexicon is not None or not k.startswith("lexicon")}
        if not hp.get("morph_dim"):
            hp.pop("morph_dim", None)  # without grammemes the directory is what the code before them wrote
        if not hp.get("o_bias"):
            hp.pop("o_bias", None)
        return {"backbone": self.backbone, "name": name, "labels": list(labels), "tags": list(self.tags),
                "chars": self.chars, "hparams": hp, "window": self.window, "stride": self.stride,
                "embeddings": EMBEDDINGS_FILE}

    def save(self, directory: Path, name: str, labels: Sequence[str]) -> None:
        """Weights, embeddings and ``ner_model.json`` into ``directory`` (which exists)."""
        torch = _torch()
        torch.save(self.module.state_dict(), directory / WEIGHTS_FILE)
        target = directory / EMBEDDINGS_FILE
        try:
            os.link(self.embeddings, target)
        except OSError:
            shutil.copyfile(self.embeddings, target)
        info = self.info(name, labels)
        if self.lexicon is not None:
            info["lexicon"] = self.lexicon.save(directory)
        (directory / MODEL_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")


class NavecModel:
    """A trained navec model, loaded from its directory (``ner.models.TokenModel``)."""

    def __init__(self, net: NavecNet, name: str, version: str, labels: tuple[str, ...]):
        self.net = net
        self.name = name
        self.version = version
        self.labels = labels
        self.tags = net.tags
        self.threads: int | None = PREDICT_THREADS if net.device == "cpu" else None
        self.cache = VectorCache()  # the weights of a loaded model are fixed: word vectors can be kept

    @classmethod
    def load(cls, path, device=None) -> "NavecModel":
        torch = _torch()
        path = Path(path)
        info = read_model_info(path)
        weights = path / WEIGHTS_FILE
        embeddings = path / info.get("embeddings", EMBEDDINGS_FILE)
        for needed in (weights, embeddings):
            if not needed.exists():
                raise UserError(f"{path}: {needed.name} is missing; the model directory is incomplete, retrain it")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        net = cls.make_net(path, info, embeddings, device)
        state = torch.load(weights, map_location=device, weights_only=True)
        net.module.load_state_dict(state)
        net.module.eval()
        name = info.get("name") or path.name
        return cls(net, name, f"{name}@{weights_hash(weights)}", tuple(info["labels"]))

    @staticmethod
    def make_net(path: Path, info: dict, embeddings: Path, device: str) -> NavecNet:
        """The network a saved directory describes (a subclass builds its own; the loading around it is shared)."""
        lexicon = None
        if info.get("lexicon"):
            from .lexfeatures import LexiconFeatures

            lexicon = LexiconFeatures.load(path, info["lexicon"])
        return NavecNet(info["tags"], info["chars"], info.get("hparams"), info.get("window", 0),
                        info.get("stride", -1), embeddings, device, lexicon)

    def _threads(self, method, batch):
        torch = _torch()
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads or before)
        try:
            return method(batch, cache=self.cache)
        finally:
            torch.set_num_threads(before)

    def predict(self, batch: Sequence[Sequence[str]]) -> list[Prediction]:
        """``NavecNet.predict`` on ``self.threads`` torch threads (set it to override; None: torch's own)."""
        return self._threads(self.net.predict, batch)

    def probabilities(self, batch: Sequence[Sequence[str]]) -> list:
        """CRF marginals, float64 ``[words, len(self.tags)]`` for each list of words (rows sum to 1)."""
        return self._threads(self.net.probabilities, batch)

    def predict_with_probabilities(self, batch: Sequence[Sequence[str]]) -> list[tuple[Prediction, "object"]]:
        """Both at the cost of one: ``(Prediction, marginals)`` for each list of words."""
        return self._threads(self.net.predict_with_probabilities, batch)
