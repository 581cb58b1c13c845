"""Benchmark: per-label strict F1 on a held-out split for the model, the lexicon alone, and both.

Side by side in one run, on the same sentences (default: the demo's held-out split,
``out/demo/split/test.conll``, which ``make demo`` writes):

- ``model``: the trained model (``--model``, default ``models/default``), tags through
  ``markup.clean_tags`` as the tagger gives them;
- ``before`` (optional, ``--before DIR``): another model, e.g. one trained before a corpus change;
- ``lexicon``: the bundled pattern pre-annotator (``--lexicon DIR`` for another), no model;
- ``model+lexicon``: the model's entities plus every lexicon entity where the model is silent
  (all its words ``O``);
- ``lexicon+model``: the other way round, the lexicon's entities first and the model's where
  the lexicon is silent (the lexicon's types win).

Scores are seqeval strict IOB2 (``ner.evaluate.score``); the table lists F1 per label and
micro P/R/F1. Times are wall seconds for tagging the split (load excluded).

    .venv/bin/python bench/bench_lexicon.py [--test out/demo/split/test.conll] [--model models/default]
        [--before DIR] [--lexicon DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    from ner.evaluate import score
    from ner.formats.conll import read_conll
    from ner.models.lexicon import load_lexicon, union
    from ner.markup import clean_tags
    from ner.models import load_model

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", default=str(ROOT / "out" / "demo" / "split" / "test.conll"))
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    parser.add_argument("--before", default=None, help="a second model to score beside the first")
    parser.add_argument("--lexicon", default=None, help="lexicon directory (default: annotation/lexicons)")
    args = parser.parse_args(argv)

    if not Path(args.test).exists():
        print(f"{args.test}: no held-out split; run 'make demo' first or pass --test", file=sys.stderr)
        return 2
    sentences = [s for doc in read_conll(args.test) for s in doc.sentences]
    words = [list(s.words) for s in sentences]
    gold = [list(s.tags) for s in sentences]
    runs, times = {}, {}

    def predict(model_dir):
        model = load_model(model_dir)
        start = time.perf_counter()
        tags = [clean_tags(w, p.tags) for w, p in zip(words, model.predict(words))]
        return tags, time.perf_counter() - start

    if args.before:
        runs["before"], times["before"] = predict(args.before)
    runs["model"], times["model"] = predict(args.model)
    lexicon = load_lexicon(*([args.lexicon] if args.lexicon else []))
    start = time.perf_counter()
    runs["lexicon"] = [lexicon.tags(w) for w in words]
    times["lexicon"] = time.perf_counter() - start
    runs["model+lexicon"] = [union(m, x) for m, x in zip(runs["model"], runs["lexicon"])]
    times["model+lexicon"] = times["model"] + times["lexicon"]
    runs["lexicon+model"] = [union(x, m) for m, x in zip(runs["model"], runs["lexicon"])]
    times["lexicon+model"] = times["model+lexicon"]

    scores = {name: score(gold, tags) for name, tags in runs.items()}
    labels = sorted({label for ev in scores.values() for label in ev.labels})
    n_entities = sum(ev.support for ev in scores["model"].labels.values())
    print(f"{args.test}: {len(sentences)} sentences, {sum(map(len, words))} tokens, {n_entities} entities; "
          f"model {args.model}" + (f", before {args.before}" if args.before else "")
          + f", lexicon {lexicon.version} ({sum(v for k, v in lexicon.sizes.items() if k != 'O')} names)")
    names = list(runs)
    print(f"{'strict F1':<14}" + "".join(f"{n:>15}" for n in names) + f"{'support':>9}")
    for label in labels:
        support = scores["model"].labels.get(label)
        print(f"{label:<14}" + "".join(f"{scores[n].labels[label].f1 if label in scores[n].labels else 0.0:>15.3f}"
                                       for n in names) + f"{support.support if support else 0:>9}")
    for what in ("precision", "recall", "f1"):
        print(f"{'micro ' + what:<14}" + "".join(f"{getattr(scores[n].micro, what):>15.3f}" for n in names))
    print(f"{'seconds':<14}" + "".join(f"{times[n]:>15.2f}" for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
