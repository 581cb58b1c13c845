"""Benchmark: teacher and students on factRuEval beside natasha, in one run.

factRuEval testset (PER/LOC/ORG, strict IOB2 seqeval) is cut into halves A and B at
the sentence break nearest its middle (its documents are contiguous). The teacher is
a 5-fold ensemble trained on the devset (``ner.train.folds``); the unlabelled pool is
the text of half A's sentences (their tags are not used). Scored on half B:

- natasha's NewsNERTagger (its slovnet CNN-CRF, distilled from a BERT on Nerus);
- one navec model (BiLSTM-CRF) and one CNN model (``navec-cnn``) trained on the devset alone;
- the ensemble teacher;
- the BiLSTM student and the CNN student, each trained on the devset plus the teacher's
  soft targets on the pool (``ner.train.distill``).

Prints strict micro and per-label F1, tagging throughput (tokens/s: ours batched through
``Tagger.tag_many`` on half B's sentence texts, natasha one text at a time as its API
goes, both including segmentation; natasha is timed again just before each of ours, since the
load of a shared machine moves), training time of each, and the load average before and
after (the machine may be shared). Usage:

    python bench/bench_distill.py [--epochs 30] [--fold-epochs 30] [--batch-size 32] [--max-minutes M]
        [--weight 2] [--temperature 1] [--out /tmp/bench-distill] [--limit N]
        [--train-only navec,cnn,ensemble,student-bilstm,student-cnn] [--no-score] [--skip-train]

The defaults are ``ner train``'s (about 40 minutes on one free core: the five folds take half);
``--train-only`` retrains some models and reuses the others from ``--out``.

``--limit N`` keeps N devset sentences (a quick smoke run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FACTRUEVAL = ROOT.parent / "shared" / "corpora" / "factrueval2016"
MAP = "Person=PER,Org=ORG,Location=LOC,LocOrg=LOC"


def natasha_tag_many(texts):
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    segmenter, tagger = Segmenter(), NewsNERTagger(NewsEmbedding())
    out = []
    started = time.perf_counter()
    for text in texts:
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        out.append([(s.start, s.stop, s.type) for s in doc.spans])
    return out, time.perf_counter() - started


def tags_from_spans(sentence, spans):
    tags = ["O"] * len(sentence)
    for start, end, label in spans:
        inside = [i for i, (a, b) in enumerate(sentence.token_offsets) if a < end and start < b]
        for k, i in enumerate(inside):
            tags[i] = ("B-" if k == 0 else "I-") + label
    return tags


def ours_tag_many(model_dir, texts):
    from ner.tagger.core import Tagger

    tagger = Tagger.load(model_dir)
    tagger.tag_many(texts[:50])  # warm the word cache the way a serving process would be
    started = time.perf_counter()
    entities = tagger.tag_many(texts)
    return [[(e.start, e.end, e.label) for e in row] for row in entities], time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30, help="epochs of the navec model and the students")
    parser.add_argument("--fold-epochs", type=int, default=30, help="epochs of each fold model")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", default="/tmp/bench-distill")
    parser.add_argument("--limit", type=int, default=0, help="devset sentences kept (0: all)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-minutes", type=float, default=0.0,
                        help="per model: stop after the epoch that passes it (a fold gets a fifth); 0: no limit")
    parser.add_argument("--weight", type=float, default=2.0, help="students: weight of the teacher's soft targets")
    parser.add_argument("--temperature", type=float, default=1.0, help="students: temperature of the soft targets")
    parser.add_argument("--skip-train", action="store_true", help="score the models already in --out")
    parser.add_argument("--train-only", default="",
                        help="comma-separated models to train (navec, cnn, ensemble, student-bilstm, student-cnn); "
                             "the others are reused from --out; empty: train all")
    parser.add_argument("--no-score", action="store_true", help="train, then stop before scoring")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    from ner.corpus import parse_map, read_split, resolve_schema
    from ner.evaluate import score
    from ner.formats.conll import write_conll
    from ner.records import Document
    from ner.train.config import TrainConfig
    from ner.train.distill import distill
    from ner.train.folds import train_folds
    from ner.train import train

    load_before = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mapping = parse_map(MAP)
    schema = resolve_schema("", mapping)
    test = read_split(str(FACTRUEVAL / "testset.conll"), schema, mapping).sentences
    half = len(test) // 2
    half_a, half_b = test[:half], test[half:]
    dev_file = FACTRUEVAL / "devset.conll"
    if args.limit:
        dev = read_split(str(dev_file), schema, mapping).sentences[: args.limit]
        dev_file = out / "devset-limited.conll"
        write_conll([Document("dev", tuple(dev))], dev_file, docstart=False)
        gold_map = ",".join(f"{x}={x}" for x in ("PER", "ORG", "LOC"))
    else:
        gold_map = MAP
    pool = out / "pool-half-a.txt"
    pool.write_text("\n".join(s.text for s in half_a) + "\n", encoding="utf-8")
    base = TrainConfig(train=str(dev_file), map=gold_map, epochs=args.epochs, seed=13, batch_size=args.batch_size,
                       max_minutes=args.max_minutes)
    times_file = out / "train_seconds.json"  # kept, so that a run that reuses models still prints their times
    runs = json.loads(times_file.read_text()) if times_file.exists() else {}

    only = {n for n in args.train_only.split(",") if n}
    models = ("navec", "cnn", "ensemble", "student-bilstm", "student-cnn")
    if only - set(models):
        parser.error(f"--train-only {args.train_only}: models are {', '.join(models)}")

    def timed(name, fn):
        if args.skip_train or (only and name not in only):
            runs.setdefault(name, float("nan"))
            return
        started = time.perf_counter()
        fn()
        runs[name] = time.perf_counter() - started
        times_file.write_text(json.dumps({k: v for k, v in runs.items() if v == v}), encoding="utf-8")
        print(f"[{name}] trained in {runs[name]:.0f} s", file=sys.stderr, flush=True)

    quiet = lambda line: None  # noqa: E731
    timed("navec", lambda: train(base.replace(out=str(out / "navec")), quiet))
    timed("cnn", lambda: train(base.replace(out=str(out / "cnn"), backbone="navec-cnn"), quiet))
    timed("ensemble", lambda: train_folds(base.replace(out=str(out / "ensemble"), epochs=args.fold_epochs,
                                                     max_minutes=args.max_minutes / args.folds),
                                          args.folds, quiet))
    for name, backbone in (("student-bilstm", "navec"), ("student-cnn", "navec-cnn")):
        timed(name, lambda b=backbone, n=name: distill(base.replace(out=str(out / n), backbone=b),
                                                        str(out / "ensemble"), str(pool), weight=args.weight,
                                                        temperature=args.temperature, progress=quiet))

    if args.no_score:
        return
    texts = [s.text for s in half_b]
    gold = [list(s.tags) for s in half_b]
    n_tokens = sum(len(s) for s in half_b)
    rows = []
    spans, seconds = natasha_tag_many(texts)
    rows.append(("natasha", [tags_from_spans(s, sp) for s, sp in zip(half_b, spans)], seconds, float("nan"), seconds))
    for name in models:
        # natasha again right before each of ours: on a shared machine the load moves between measurements
        _, natasha_s = natasha_tag_many(texts)
        spans, seconds = ours_tag_many(out / name, texts)
        rows.append((name, [tags_from_spans(s, sp) for s, sp in zip(half_b, spans)], seconds, runs[name], natasha_s))
    print(f"factRuEval testset half B: {len(half_b)} sentences, {n_tokens} tokens (half A: {len(half_a)} sentences "
          f"as the unlabelled pool); strict IOB2 seqeval; devset {'all' if not args.limit else args.limit} sentences; "
          f"epochs {args.epochs} (folds {args.fold_epochs}), batch {args.batch_size}, "
          f"max minutes {args.max_minutes or 'none'}; students: weight {args.weight}, temperature "
          f"{args.temperature}; 1 torch thread")
    print(f"{'model':<16}{'micro F1':>9}{'PER':>7}{'LOC':>7}{'ORG':>7}{'tokens/s':>10}{'x natasha':>10}"
          f"{'train s':>9}")
    for name, pred, seconds, train_s, natasha_s in rows:
        ev = score(gold, pred)
        per = [ev.labels.get(label) for label in ("PER", "LOC", "ORG")]
        speed = n_tokens / seconds
        print(f"{name:<16}{ev.micro.f1:>9.3f}" + "".join(f"{(p.f1 if p else 0):>7.3f}" for p in per)
              + f"{speed:>10,.0f}{seconds and natasha_s / seconds:>10.1f}{train_s:>9.0f}")
    print("x natasha: against natasha timed on the same texts just before; train s: the ensemble is its folds "
          "together, a student's time includes the teacher labelling the pool")
    print(f"load average (1, 5, 15 min): before {load_before[0]:.1f} {load_before[1]:.1f} {load_before[2]:.1f}, "
          f"after {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
