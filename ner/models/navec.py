"""The offline backbone: natasha's navec embeddings, character features, a BiLSTM and a CRF.

``NavecNet`` composes the network from parts (``tagnet.TagNet``): the word features
(``words.py``: the frozen navec vector of the lowercased word, a shape embedding, a character
CNN that carries out-of-vocabulary words, dictionary grammemes, a lexicon embedding), a
one-layer BiLSTM (``encoders.py``) and a CRF head that picks valid IOB2 tags; the
probability of each chosen tag is its CRF marginal, and ``probabilities`` gives every tag's
marginal (``[words, tags]``, rows summing to 1). ``cnn.py`` swaps the encoder; the rest of
this module (featurizer, windows, prediction, saving) is both backbones'.

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
its longest-match lexicon tag, dropped per sentence in training (``lexicon_dropout``), and with
``lexicon_parts`` which labels' other listed names hold the word; the
lists are saved in the directory (``lexicon.json``, named in ``ner_model.json``). A model
trained without one has neither and loads as before.

Left out: fine-tuning the embeddings.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Sequence

from ..errors import UserError
from .base import LoadedModel, Prediction, SavedNet, batches_by_length, evaluating
from .features import MAX_CHARS, Featurizer, VectorCache, _load_navec, bundled_navec_path
from .windows import join_windows, open_window, plan_windows

EMBEDDINGS_FILE = "navec.tar"
WEIGHTS_FILE = "model.pt"
DEFAULTS = {"char_dim": 32, "char_filters": 64, "shape_dim": 16, "hidden": 128, "dropout": 0.4, "layers": 1,
            "word_dropout": 0.1, "lexicon_dim": 16, "lexicon_dropout": 0.5, "lexicon_span_dropout": 0.0,
            "lexicon_boost": 0.0, "lexicon_parts": 0, "morph_dim": 0, "natasha_dim": 0}
MORPH_DIM = 16  # the grammeme feature's size when training turns it on (a saved model without it has 0)
NATASHA_DIM = 8  # natasha's NER tags' embedding when training turns it on (natasha_tags.py)
DEFAULT_WINDOW, DEFAULT_STRIDE = 256, 64
# Torch threads a loaded model predicts on (CPU): a second thread gains little on small batches and
# slows the BiLSTM badly when other processes keep the cores busy (docs/architecture.md, bench notes).
# Override per model (``model.threads``); None keeps torch's setting.
PREDICT_THREADS = 1


def _torch():
    import torch

    return torch


class NavecNet(SavedNet):
    """The trainable model with its featurizer: what the training loop drives."""

    backbone = "navec"
    default_lr = 2e-3
    defaults = DEFAULTS
    lexicon = None  # a lexfeatures.LexiconFeatures, or None: no lexicon feature
    dropout_draws = False  # True: emissions keep dropout on (LoadedModel.sampled_probabilities)
    dropout_draws_work = True  # the BiLSTM applies its dropout at inference; the CNN's infer skips it

    def __init__(self, tags: Sequence[str], chars: str, hp: dict | None = None,
                 window: int = 0, stride: int = -1, embeddings: Path | None = None, device=None, lexicon=None):
        self.tags = tuple(tags)
        self.tag_ids = {t: i for i, t in enumerate(self.tags)}
        self.hp = {**self.defaults, **(hp or {})}
        self.check_hparams()
        self.lexicon = lexicon
        self.hp["lexicon_tags"] = lexicon.size if lexicon is not None else 0
        self.hp["lexicon_parts"] = len(lexicon.part_labels) if lexicon is not None and lexicon.parts else 0
        self._lexicon_ids: dict = {}  # training windows' lexicon ids (the same windows every epoch)
        self.lexicon_hidden: dict = {}  # words -> positions whose lexicon id is O (train/augment.py's swapped names)
        self.natasha = None
        if self.hp.get("natasha_dim"):
            from .natasha_tags import NatashaTags

            self.natasha = NatashaTags()
        self.window = window or DEFAULT_WINDOW
        self.stride = stride if stride >= 0 else DEFAULT_STRIDE
        self.embeddings = Path(embeddings) if embeddings else bundled_navec_path()
        navec = _load_navec(self.embeddings)
        self.chars = chars
        self.featurizer = Featurizer(navec.vocab, chars)
        self.module = self.build_module(navec)
        self.device = device or "cpu"
        self.module.to(self.device)

    def check_hparams(self) -> None:
        """A ``UserError`` for sizes the encoder cannot take (the BiLSTM takes any)."""

    def build_module(self, navec):
        """``TagNet(words, encoder, head)``: the word features, ``build_encoder``'s encoder, the CRF head."""
        from .tagnet import CRFHead, TagNet
        from .words import WordFeatures

        words = WordFeatures(navec.pq.indexes, navec.pq.codes, navec.vocab.unk_id, self.featurizer.n_chars, self.hp)
        encoder = self.build_encoder(words.width + words.lexicon_width + words.natasha_width)
        return TagNet(words, encoder, CRFHead(encoder.out_width, self.tags))

    def build_encoder(self, width: int):
        from .encoders import BiLSTMEncoder

        return BiLSTMEncoder(width, self.hp["hidden"], self.hp["layers"], self.hp["dropout"])

    def fill_morph(self) -> None:
        """Put the vocabulary's grammeme masks (``morph.vocab_table``) into the net (training; a
        loaded model has them from its weights)."""
        if not self.hp.get("morph_dim"):
            return
        torch = _torch()
        from .morph import vocab_table

        table = vocab_table(self.featurizer.vocab.words)
        self.module.words.morph_of_word.copy_(torch.from_numpy(table))

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
        emissions = self.module(word_ids, shape_ids, char_ids, *self.sentence_inputs(words)).float()
        return self.module.crf.neg_log_likelihood(emissions, gold.to(self.device), mask)

    def sentence_inputs(self, words) -> tuple:
        """The per-sentence feature ids of training windows, as ``TagNet.forward`` takes them after the chars."""
        lexicon_ids = None if self.lexicon is None else self._training_lexicon_ids(words).to(self.device)
        natasha_ids = None if self.natasha is None else self.natasha.tensor(words).to(self.device)
        return (lexicon_ids, natasha_ids)

    def _training_lexicon_ids(self, batch):
        """Training windows' lexicon ids: cached per window, swapped names and (in training) drawn matches hidden."""
        if len(self._lexicon_ids) > 200_000:
            self._lexicon_ids.clear()
        share = self.hp.get("lexicon_span_dropout", 0.0) if self.module.training else 0.0
        return self.lexicon.training_tensor(batch, self._lexicon_ids, self.lexicon_hidden, share)

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
        results: list = [None] * len(pieces)
        with evaluating(self.module, dropout=self.dropout_draws):
            for chunk in batches_by_length([len(p) for p in pieces], batch_size):
                items = [pieces[j] for j in chunk]
                prepare = self.module.prepare
                x = None if cache is None else cache.gather(items, lambda ws: prepare(self._word_vectors([ws])[0]))
                if x is None:
                    x = prepare(self._word_vectors(items))
                # the lexicon's and natasha's ids depend on the neighbours, so they are never cached per word
                x = self.module.sentence_features(
                    x, None if self.lexicon is None else self.lexicon.tensor(items).to(x.device),
                    None if self.natasha is None else self.natasha.tensor(items).to(x.device))
                lengths = [len(words) for words in items]
                em = self.module.infer(x, torch.tensor(lengths)).float().cpu().numpy()
                for row, j in enumerate(chunk):
                    results[j] = em[row, : lengths[row]]
        joined = join_windows([len(words) for words in batch], plans, results, len(self.tags), np.float32)
        if self.lexicon is not None and self.hp.get("lexicon_boost"):  # the lists as a prior at decoding
            self.lexicon.boost(batch, joined, self.tag_ids, self.hp["lexicon_boost"])
        return joined

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

    def describe(self) -> dict:
        hp = {k: v for k, v in self.hp.items() if self.lexicon is not None or not k.startswith("lexicon")}
        if not hp.get("morph_dim"):
            hp.pop("morph_dim", None)  # without grammemes the directory is what the code before them wrote
        for key in ("o_bias", "natasha_dim", "lexicon_span_dropout", "lexicon_boost", "lexicon_parts"):
            if not hp.get(key):  # off: the directory is what the code before the setting wrote
                hp.pop(key, None)
        return {"chars": self.chars, "hparams": hp, "window": self.window, "stride": self.stride,
                "embeddings": EMBEDDINGS_FILE}

    def save_weights(self, directory: Path) -> dict:
        """``model.pt``, the embeddings (a hard link when it can) and the lexicon, if any."""
        _torch().save(self.module.state_dict(), directory / WEIGHTS_FILE)
        target = directory / EMBEDDINGS_FILE
        try:
            os.link(self.embeddings, target)
        except OSError:
            shutil.copyfile(self.embeddings, target)
        return {} if self.lexicon is None else {"lexicon": self.lexicon.save(directory)}


class NavecModel(LoadedModel):
    """A trained navec model, loaded from its directory (``ner.models.TokenModel``)."""

    net_class = NavecNet

    def __init__(self, net: NavecNet, name: str, version: str, labels: tuple[str, ...]):
        super().__init__(net, name, version, labels)
        self.threads: int | None = PREDICT_THREADS if net.device == "cpu" else None
        self.cache = VectorCache()  # the weights of a loaded model are fixed: word vectors can be kept

    @classmethod
    def weights_file(cls, path: Path, info: dict) -> Path:
        weights = path / WEIGHTS_FILE
        for needed in (weights, path / info.get("embeddings", EMBEDDINGS_FILE)):
            if not needed.exists():
                raise UserError(f"{path}: {needed.name} is missing; the model directory is incomplete, retrain it")
        return weights

    @classmethod
    def make_net(cls, path: Path, info: dict, weights: Path, device: str) -> NavecNet:
        lexicon = None
        if info.get("lexicon"):
            from .lexfeatures import LexiconFeatures

            lexicon = LexiconFeatures.load(path, info["lexicon"])
        net = cls.net_class(info["tags"], info["chars"], info.get("hparams"), info.get("window", 0),
                            info.get("stride", -1), path / info.get("embeddings", EMBEDDINGS_FILE), device, lexicon)
        # weights saved before the network was built from parts have flat names: TagNet reads both
        net.module.load_state_dict(_torch().load(weights, map_location=device, weights_only=True))
        return net

    def run(self, method, batch):
        """``method`` on ``self.threads`` torch threads (set it to override; None: torch's own), with the cache."""
        torch = _torch()
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads or before)
        try:
            return method(batch, cache=self.cache)
        finally:
            torch.set_num_threads(before)
