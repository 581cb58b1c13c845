"""Benchmark: training and inference speed of the transformer backbone on this machine.

Two randomly initialised BERTs shaped like real Russian encoders (no hub access
needed): rubert-tiny2 (hidden 312, 3 layers, 12 heads, vocabulary 83,828) and
ruBERT-base (hidden 768, 12 layers, 12 heads, vocabulary 119,547). Each is saved
to a directory and loaded through the same ``from_pretrained`` path as a user's
model; the WordPiece vocabulary is trained on the corpus. Speeds are in corpus
words (not sub-word pieces) per second: training steps (forward, backward,
AdamW) and batched prediction with windows. Usage:

    python bench/bench_transformer.py [--corpus FILE] [--threads 2] [--steps 10] [--device cpu]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FACTRUEVAL = ROOT.parent / "shared" / "corpora" / "factrueval2016" / "devset.conll"
SHAPES = {
    "rubert-tiny2-shaped": dict(hidden_size=312, num_hidden_layers=3, num_attention_heads=12,
                                intermediate_size=600, vocab_size=83828, max_position_embeddings=2048),
    "rubert-base-shaped": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                               intermediate_size=3072, vocab_size=119547, max_position_embeddings=512),
}


def build(path: Path, shape: dict, words) -> Path:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator([" ".join(words[i : i + 1000]) for i in range(0, len(words), 1000)],
                            trainers.WordPieceTrainer(vocab_size=8000, special_tokens=specials))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]", mask_token="[MASK]").save_pretrained(path)
    BertModel(BertConfig(**shape)).save_pretrained(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus",
                        default=str(FACTRUEVAL if FACTRUEVAL.exists() else ROOT / "corpora/ml_ru_seed.conll"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10, help="training steps per model")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", choices=list(SHAPES), default=None)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from ner.corpus import read_split
    from ner.models.transformer import TransformerNet

    sentences = read_split(args.corpus, None).sentences
    words = [w for s in sentences for w in s.words]
    tags = ["O"] + sorted({t for s in sentences for t in s.tags if t != "O"})
    print(f"corpus {args.corpus}: {len(sentences)} sentences, {len(words)} words; device {args.device}, "
          f"{torch.get_num_threads()} threads")
    for name, shape in SHAPES.items():
        if args.only and name != args.only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = build(Path(tmp) / name, shape, words)
            net = TransformerNet.create(str(path), tags, device=args.device)
            n_params = sum(p.numel() for p in net.module.parameters())
            batch_sents = sentences[: args.batch_size * args.steps]
            examples = net.examples(batch_sents)
            opt = torch.optim.AdamW(net.module.parameters(), lr=5e-5)
            net.module.train()
            started = time.perf_counter()
            for i in range(0, len(examples), args.batch_size):
                loss = net.loss(examples[i : i + args.batch_size])
                opt.zero_grad()
                loss.backward()
                opt.step()
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            train_s = time.perf_counter() - started
            train_words = sum(len(s) for s in batch_sents)
            test = sentences[-300:]
            started = time.perf_counter()
            net.predict([s.words for s in test], batch_size=32)
            infer_s = time.perf_counter() - started
            infer_words = sum(len(s) for s in test)
            print(f"{name:22} {n_params / 1e6:6.1f} M params  train {train_words / train_s:8,.0f} words/s  "
                  f"inference {infer_words / infer_s:8,.0f} words/s (batches of 32)")


if __name__ == "__main__":
    main()
