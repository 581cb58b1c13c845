"""Benchmark: our navec model trained on factRuEval devset vs natasha's NewsNERTagger, on testset.

Both are scored with the same strict IOB2 seqeval on the same test sentences
(Person->PER, Org->ORG, Location/LocOrg->LOC, other labels O). Natasha tags the
sentence text rebuilt from the tokens; its character spans are mapped back to
the tokens they overlap. Prints both tables side by side, training time and
tagging speed. Usage:

    python bench/bench_navec_vs_natasha.py [--epochs 30] [--out /tmp/bench-navec-factrueval] [--threads 1]

Training time is that of the run (or, with --skip-train, the one recorded in the model's metrics.json).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTRUEVAL = ROOT.parent / "shared" / "corpora" / "factrueval2016"
MAP = "Person=PER,Org=ORG,Location=LOC,LocOrg=LOC"


def natasha_tags(sentences) -> tuple[list[list[str]], float]:
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    segmenter = Segmenter()
    tagger = NewsNERTagger(NewsEmbedding())
    out = []
    started = time.perf_counter()
    for s in sentences:
        text, offsets = s.text, s.token_offsets
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        tags = ["O"] * len(s)
        for span in doc.spans:
            inside = [i for i, (a, b) in enumerate(offsets) if a < span.stop and span.start < b]
            for k, i in enumerate(inside):
                tags[i] = ("B-" if k == 0 else "I-") + span.type
        out.append(tags)
    return out, time.perf_counter() - started


def side_by_side(left: str, right: str, titles=("ours (navec)", "natasha NewsNERTagger")) -> str:
    a, b = left.splitlines(), right.splitlines()
    width = max(len(x) for x in a) + 4
    lines = [f"{titles[0]:<{width}}{titles[1]}"]
    for i in range(max(len(a), len(b))):
        lines.append(f"{(a[i] if i < len(a) else ''):<{width}}{b[i] if i < len(b) else ''}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", default="/tmp/bench-navec-factrueval")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 is fastest when other jobs share the cores)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="extra TrainConfig values, e.g. hidden=256 dropout=0.5")
    parser.add_argument("--no-natasha", action="store_true", help="score only our model (quick experiments)")
    parser.add_argument("--skip-train", action="store_true", help="evaluate the model already in --out")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from ner.evaluate import format_evaluation, score
    from ner.models import load_model
    from ner.corpus import parse_map, read_split, resolve_schema
    from ner.train.config import TrainConfig
    from ner.train import train

    dev, test = FACTRUEVAL / "devset.conll", FACTRUEVAL / "testset.conll"
    if not test.exists():
        sys.exit(f"{test} is absent")
    import tomllib

    extra = tomllib.loads("\n".join(args.set))
    config = TrainConfig(train=str(dev), backbone="navec", out=args.out, map=MAP, epochs=args.epochs).replace(**extra)
    started = time.perf_counter()
    if not args.skip_train:
        train(config, progress=lambda line: print(line, file=sys.stderr))
    train_s = time.perf_counter() - started
    if args.skip_train:
        import json

        train_s = json.loads((Path(args.out) / "metrics.json").read_text())["train_seconds"]
    mapping = parse_map(MAP)
    sentences = read_split(str(test), resolve_schema("", mapping), mapping).sentences
    gold = [s.tags for s in sentences]
    n_tokens = sum(len(s) for s in sentences)

    model = load_model(args.out)
    t0 = time.perf_counter()
    ours = [p.tags for p in model.predict([s.words for s in sentences])]
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours_one = [model.predict([s.words])[0].tags for s in sentences[:300]]
    one_s = time.perf_counter() - t0
    assert ours_one == ours[:300]
    ev_ours = score(gold, ours)
    if args.no_natasha:
        print(format_evaluation(ev_ours, f"ours (navec), trained in {train_s:.0f} s"))
        return
    theirs, theirs_s = natasha_tags(sentences)
    ev_theirs = score(gold, theirs)
    print(f"factRuEval testset: {len(sentences)} sentences, {n_tokens} tokens; strict IOB2 seqeval")
    print(side_by_side(format_evaluation(ev_ours), format_evaluation(ev_theirs)))
    print()
    print(f"micro F1: ours {ev_ours.micro.f1:.3f}  natasha {ev_theirs.micro.f1:.3f}")
    print(f"training (devset, {torch.get_num_threads()} thread(s)): {train_s:.0f} s"
          + (" (recorded in metrics.json: epochs only)" if args.skip_train else ""))
    one_tokens = sum(len(s) for s in sentences[:300])
    print(f"tagging: ours {n_tokens / ours_s:,.0f} tokens/s batched, {one_tokens / one_s:,.0f} tokens/s "
          f"one sentence at a time; natasha {n_tokens / theirs_s:,.0f} tokens/s one sentence at a time "
          f"(natasha's time includes its segmenter)")


if __name__ == "__main__":
    main()
