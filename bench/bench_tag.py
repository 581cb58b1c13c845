"""Benchmark: ``Tagger.tag_many`` from raw text, side by side with natasha's NER, plus cold start.

Both taggers get the same raw texts (factRuEval documents when ../shared is there,
else the seed corpus repeated) and do all the work from the string: razdel
sentences and tokens, the model, entities with character offsets. Speeds are in
razdel tokens per second, on ``--threads`` torch threads (natasha runs numpy).

1. navec model (``--model DIR``, or one trained here on the seed in ~20 s) vs
   natasha's ``NewsNERTagger`` (Segmenter + NewsEmbedding + NewsNERTagger), one run.
2. A rubert-tiny2-shaped transformer (random weights, same shape; no hub) through
   the same ``Tagger``.
3. Cold start: ``python -c "from ner import tag; tag('...')"`` with NER_MODEL set.

    .venv/bin/python bench/bench_tag.py [--model DIR] [--threads 1] [--texts 400]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FACTRUEVAL = ROOT.parent / "shared" / "corpora" / "factrueval2016" / "devset.conll"
SEED = ROOT / "corpora" / "ml_ru_seed.conll"


def load_texts(limit: int) -> list[str]:
    """Paragraphs of five sentences, rebuilt as raw text from the corpus."""
    from ner.formats.conll import read_conll

    source = FACTRUEVAL if FACTRUEVAL.exists() else SEED
    sentences = [s.text for doc in read_conll(source) for s in doc.sentences]
    texts = [" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5)]
    while len(texts) < limit:
        texts += texts
    print(f"texts: {min(limit, len(texts))} paragraphs of 5 sentences from {source.name}")
    return texts[:limit]


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def natasha_run(texts):
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    segmenter, tagger = Segmenter(), NewsNERTagger(NewsEmbedding())

    def run():
        for text in texts:
            doc = Doc(text)
            doc.segment(segmenter)
            doc.tag_ner(tagger)
    return run


def train_navec(out: Path) -> Path:
    from ner.train import TrainConfig, train

    return train(TrainConfig(train=str(SEED), dev=str(SEED), out=str(out), epochs=10, hidden=64))


def tiny_transformer(out: Path, texts) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_transformer import SHAPES, build

    from ner.schema import load_schema
    from ner.text import tokenize
    from ner.models.transformer import TransformerNet

    words = [w for text in texts[:200] for _, _, w in tokenize(text)]
    bert = build(out / "bert", SHAPES["rubert-tiny2-shaped"], words)
    schema = load_schema()
    net = TransformerNet.create(str(bert), schema.tags)
    model_dir = out / "rubert-tiny2-shaped"
    model_dir.mkdir()
    net.save(model_dir, "rubert-tiny2-shaped", schema.names)
    return model_dir


def cold_start(model: Path, runs: int = 3) -> list[float]:
    env = dict(os.environ, NER_MODEL=str(model))
    code = "from ner import tag; tag('Яндекс выложил YaLM 100B в 2022 году')"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None, help="navec model directory (default: train one on the seed)")
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-transformer", action="store_true")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from ner.models import load_model
    from ner.tagger.core import Tagger
    from ner.text import tokenize

    texts = load_texts(args.texts)
    n_tokens = sum(len(tokenize(t)) for t in texts)
    print(f"{n_tokens:,} razdel tokens; torch threads: {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(args.model) if args.model else train_navec(Path(tmp) / "navec")
        tagger = Tagger.load(model)
        if hasattr(tagger.model, "threads"):  # the navec model predicts on its own thread count (default 1)
            tagger.model.threads = args.threads
        tagger.tag_many(texts[:20])  # warm-up
        natasha = natasha_run(texts)
        ours, theirs, firsts = [], [], []
        for _ in range(args.runs):  # interleaved: a busy spell on shared cores hits both alike
            ours.append(best_of(1, lambda: tagger.tag_many(texts, batch_size=args.batch_size)))
            theirs.append(best_of(1, natasha))
        # the first pass over these texts, as a stream of new text meets them: a fresh model
        # computes each word's vector when the word first appears (later passes find them all kept)
        for _ in range(args.runs):
            fresh = Tagger(load_model(model))
            fresh.model.threads = getattr(tagger.model, "threads", None)
            firsts.append(best_of(1, lambda: fresh.tag_many(texts, batch_size=args.batch_size)))
        best, first, theirs = min(ours), min(firsts), min(theirs)
        print(f"navec tag_many   {n_tokens / best:10,.0f} tokens/s  ({best:.2f} s, batch {args.batch_size}, "
              f"best of {args.runs})")
        print(f"  first pass     {n_tokens / first:10,.0f} tokens/s  ({first:.2f} s, a freshly loaded model)")
        print(f"natasha NER      {n_tokens / theirs:10,.0f} tokens/s  ({theirs:.2f} s, one text at a time)")
        print(f"ratio            {theirs / best:10.2f}x natasha ({theirs / first:.2f}x on the first pass)")
        times = cold_start(model)
        print(f"cold start       {min(times):10.2f} s best, {statistics.median(times):.2f} s median "
              f"(python -c 'from ner import tag; tag(...)', navec)")
        if not args.skip_transformer:
            transformer = Tagger.load(tiny_transformer(Path(tmp), texts))
            subset = texts[: max(20, len(texts) // 4)]
            sub_tokens = sum(len(tokenize(t)) for t in subset)
            transformer.tag_many(subset[:5])
            took = best_of(1, lambda: transformer.tag_many(subset, batch_size=args.batch_size))
            print(f"rubert-tiny2-shaped tag_many {sub_tokens / took:10,.0f} tokens/s  ({took:.2f} s, "
                  f"{sub_tokens:,} tokens)")


if __name__ == "__main__":
    main()
