"""Tiny model fixtures, built locally (no hub): a random-weight BERT with a WordPiece vocabulary
trained on the seed corpus, a navec model trained for one short epoch on the seed corpus, and one trained
until it fits the seed (``model_dir``, ``tagger``: the tagger and backend tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SEED = ROOT / "corpora" / "ml_ru_seed.conll"

# Extra text for the vocabulary so hand-made alignment cases (ё, й, hyphens, Latin + Cyrillic) tokenize.
_EXTRA = ["Ёлка", "ёжик", "йогурт", "Йошкар-Ола", "из-за", "BERT-а", "PyTorch'е", "GPT-3", "ruBERT"]


def build_tokenizer(specials=("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), **kwargs):
    """A ~400-piece WordPiece tokenizer trained on the seed corpus ([CLS] words [SEP]).

    The normalizer lowercases and strips accents, so ё -> е and й -> и as in ruBERT.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    from ner.formats.conll import read_conll

    words = [w for doc in read_conll(SEED) for s in doc.sentences for w in s.words] + _EXTRA
    specials = list(specials)  # their order gives their ids
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator([" ".join(words)] * 3, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", **kwargs)


def build_tiny_bert(path: Path, max_positions: int = 40) -> Path:
    """A 2-layer BERT (hidden 32) with random weights and the seed corpus's WordPiece vocabulary."""
    import torch
    from transformers import BertConfig, BertModel

    fast = build_tokenizer()
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(fast), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=max_positions)
    BertModel(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


def build_tiny_roberta(path: Path, max_positions: int = 42, model_max_length: int | None = None) -> Path:
    """A 1-layer RoBERTa (hidden 32): its position ids start after ``padding_idx``, as in every
    RoBERTa-family encoder, so ``max_position_embeddings`` positions hold ``padding_idx + 1`` fewer pieces."""
    import torch
    from transformers import RobertaConfig, RobertaModel

    # ids as in RoBERTa (<s> 0, <pad> 1, </s> 2): position ids start at padding_idx + 1 = 2
    fast = build_tokenizer(("[CLS]", "[PAD]", "[SEP]", "[UNK]", "[MASK]"),
                           **({"model_max_length": model_max_length} if model_max_length else {}))
    torch.manual_seed(0)
    config = RobertaConfig(vocab_size=len(fast), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=max_positions,
                           pad_token_id=fast.pad_token_id, bos_token_id=fast.cls_token_id,
                           eos_token_id=fast.sep_token_id)
    RobertaModel(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory) -> Path:
    """A tiny untrained BERT directory, loadable with ``from_pretrained`` like a hub model."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert") / "bert")


@pytest.fixture(scope="session")
def navec_model_dir(tmp_path_factory) -> Path:
    """A navec model directory trained for one short epoch on the seed corpus (default schema).

    Without lexicon features (the model these tests were written against; with them a one-epoch
    model's borderline spans move: tests/train/test_lexicon_features.py trains its own)."""
    import torch

    from ner.train.config import TrainConfig
    from ner.train.entry import train

    torch.set_num_threads(1)  # several threads on shared cores are far slower than one
    out = tmp_path_factory.mktemp("navec-model") / "seed-navec"
    return train(TrainConfig(train=str(SEED), out=str(out), epochs=1, hidden=32, seed=1, lexicon="none"))


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A navec model trained on the seed until it fits it (dev = train), so the tagger and backend
    tests can assert which entities it finds; about 20 s on two cores."""
    import torch

    from ner.train import TrainConfig, train

    torch.set_num_threads(1)  # shared cores: one thread trains this small model fastest
    out = tmp_path_factory.mktemp("tagger-navec") / "seed-fit"
    return train(TrainConfig(train=str(SEED), dev=str(SEED), out=str(out), epochs=30, patience=30, lr=2e-2,
                             hidden=64, seed=1, lexicon="none"))  # the model these tests were written against


@pytest.fixture(scope="session")
def tagger(model_dir):
    from ner.tagger.core import Tagger

    return Tagger.load(model_dir)


def relative_corpus_copy(model_dir, to):
    """A copy of ``model_dir`` whose training config names its corpus as a run in the repository root
    writes it: relative to that root (issue 18: calibration depended on the working directory)."""
    import shutil

    shutil.copytree(model_dir, to)
    config = to / "train_config.toml"
    lines = [line for line in config.read_text(encoding="utf-8").splitlines()
             if not line.startswith(("train =", "dev ="))]
    config.write_text("\n".join(['train = "corpora/ml_ru_seed.conll"', 'dev = "corpora/ml_ru_seed.conll"', *lines])
                      + "\n", encoding="utf-8")
    return to
