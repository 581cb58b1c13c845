"""Tiny model fixtures, built locally (no hub): a random-weight BERT with a WordPiece vocabulary
trained on the seed corpus, and a navec model trained for one short epoch on the seed corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SEED = ROOT / "corpora" / "ml_ru_seed.conll"

# Extra text for the vocabulary so hand-made alignment cases (ё, й, hyphens, Latin + Cyrillic) tokenize.
_EXTRA = ["Ёлка", "ёжик", "йогурт", "Йошкар-Ола", "из-за", "BERT-а", "PyTorch'е", "GPT-3", "ruBERT"]


def build_tiny_bert(path: Path, max_positions: int = 40) -> Path:
    """A 2-layer BERT (hidden 32) with random weights and a ~400-piece WordPiece vocabulary.

    The normalizer lowercases and strips accents, so ё -> е and й -> и as in ruBERT.
    """
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from ner.formats.conll import read_conll

    words = [w for doc in read_conll(SEED) for s in doc.sentences for w in s.words] + _EXTRA
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator([" ".join(words)] * 3, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=max_positions)
    BertModel(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory) -> Path:
    """A tiny untrained BERT directory, loadable with ``from_pretrained`` like a hub model."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert") / "bert")


@pytest.fixture(scope="session")
def navec_model_dir(tmp_path_factory) -> Path:
    """A navec model directory trained for one short epoch on the seed corpus (default schema)."""
    import torch

    from ner.train.config import TrainConfig
    from ner.train.loop import train

    torch.set_num_threads(1)  # several threads on shared cores are far slower than one
    out = tmp_path_factory.mktemp("navec-model") / "seed-navec"
    return train(TrainConfig(train=str(SEED), out=str(out), epochs=1, hidden=32, seed=1))
