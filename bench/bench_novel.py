"""Benchmark: F1 on names a model never saw (name-disjoint) beside names it saw, the lists alone beside models.

The corpus (``--corpus project``: the written corpus and the normalized seed; ``factrueval``: the
factRuEval devset, Person/Org/Location as PER/ORG/LOC) is split by ``ner.quality.disjoint``: a seeded
30% of the distinct names (folded for case, ё/е, Russian endings and script) is held out, the test part
is every sentence that mentions one, training gets the rest (its own 10% dev), and the held-out names
are removed from the lists for both the lexicon feature and the lists alone. One split per seed.

Variants (``--variants``), each trained with the same settings (``--epochs``, batch 16, patience 5, as
the demo), scored on the same test sentences:

- ``lists``: ``ner tag --lexicon`` with the pruned lists (project corpus only);
- ``default``: today's navec model with the pruned lists as its lexicon feature;
- ``no-lexicon``: the same without the lexicon feature;
- ``NAME:key=value;key=value``: the default with TrainConfig changes, e.g. ``augment:augment=0.5``;
  ``exclude="notes+notes2"`` trains without the sentences whose words are a sentence of those registers
  of the written corpus (``corpora/src/ml_ru_written_<name>.md``; a short line that other documents
  repeat goes too), scored on the same test sentences: what a register adds;
- ``o-bias=B``: the default's trained models (run ``default`` first), the O tag's emission lowered by B
  before the CRF decodes (more names found where the model hesitates), no training;
- ``decode:key=value;...``: the default's trained models with decode-time hparams set, no training, e.g.
  ``decode:lexicon_boost=4.0;o_bias=0.5`` (what ``ner train --lexicon-boost 4 --o-bias 0.5`` saves: training
  chooses its epoch without them, so the weights are the default's); ``model="NAME"`` decodes variant
  NAME's models instead (``decode-h:model="hidden256";o_bias=0.5``);
- ``tuned``: the default's trained models (``tuned:model="NAME"``: variant NAME's) with the O bias and the
  lexicon boost chosen from a grid (``GRID_O`` x ``GRID_BOOST``) by micro F1 over all names, seen and unseen, on
  a seeded random half of the test sentences and applied to the other half, both ways: no sentence is scored
  with settings it chose (the halves share held-out names: a small leak for two scalars, bench/NOTES.md);
- ``natasha``: natasha's NewsNERTagger (factrueval only; it was trained on other data, so its "unseen"
  names may be names it saw).

Each (variant, seed) result is kept in ``--out``/CORPUS/results/, so variants can run one at a time
(``--variants augment --seeds 0``) and the table, printed at the end of every run, holds them all: F1
on unseen and on seen names per label and micro, mean +- sd over the seeds run, and each variant's micro
F1 minus the default's on the seeds both ran (paired: the split moves F1 more than most changes do).

    .venv/bin/python bench/bench_novel.py [--corpus project|factrueval] [--epochs 8] [--seeds 0,1,2]
        [--variants lists,default,no-lexicon] [--out /tmp/bench-novel]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FACTRUEVAL = ROOT.parent / "shared" / "corpora" / "factrueval2016"
MAP = "Person=PER,Org=ORG,Location=LOC,LocOrg=LOC"


def corpus(name: str, factrueval: Path):
    from ner.corpus import parse_map, read_split, resolve_schema

    if name == "factrueval":
        mapping = parse_map(MAP)
        return list(read_split(str(factrueval / "devset.conll"), resolve_schema("", mapping), mapping).sentences), MAP
    files = [ROOT / "corpora" / "ml_ru_written.conll", ROOT / "corpora" / "ml_ru_seed.normalized.conll"]
    return [s for f in files for s in read_split(str(f), resolve_schema("", None)).sentences], ""


def natasha_tags(sentences):
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_navec_vs_natasha import natasha_tags as tags

    return tags(sentences)[0]


def decoded_tags(model_dir: Path, words, hparams: dict):
    """Tags of the trained model in ``model_dir`` with decode-time ``hparams`` set (o_bias, lexicon_boost)."""
    from ner.markup import clean_tags
    from ner.models import load_model

    if not model_dir.exists():
        raise SystemExit(f"{model_dir}: run the default variant for this seed first")
    model = load_model(model_dir)
    model.net.hp.update(hparams)
    return [clean_tags(w, p.tags) for w, p in zip(words, model.predict(words))]


def register_sentences(names) -> set:
    """The word tuples of the sentences of the written corpus's registers ``names`` (``notes`` for
    ``corpora/src/ml_ru_written_notes.md``), parsed as ``scripts/build_corpus.py`` parses them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "scripts" / "build_corpus.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    paths = [ROOT / "corpora" / "src" / f"ml_ru_written_{n.strip()}.md" for n in names]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"exclude: no such register {', '.join(missing)}")
    return {words for words, _ in build.sentence_texts(paths)}


GRID_O = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
GRID_BOOST = (0.0, 2.0, 4.0)


def tuned_tags(model_dir: Path, split, seed: int) -> list:
    """Tags with decode-time priors cross-fitted on two halves of the test sentences (see ``tuned``)."""
    import random

    from ner.markup import clean_tags
    from ner.models import load_model
    from ner.quality.consensus.merge import Counts
    from ner.quality.disjoint import seen_unseen

    if not model_dir.exists():
        raise SystemExit(f"{model_dir}: run that variant for this seed first")
    net = load_model(model_dir).net
    words = [list(s.words) for s in split.test]
    net.hp.update({"o_bias": 0.0, "lexicon_boost": 0.0})
    plain = net.emissions(words)
    tags = {}
    for boost in GRID_BOOST if net.lexicon is not None else (0.0,):
        emissions = [e.copy() for e in plain]
        if boost:
            net.lexicon.boost(words, emissions, net.tag_ids, boost)
        for o_bias in GRID_O:
            net.hp["o_bias"] = o_bias
            tags[o_bias, boost] = [clean_tags(w, [net.tags[t] for t in path.tolist()])
                                   for w, (path, _) in zip(words, net.decode(emissions))]
    order = list(range(len(words)))
    random.Random(seed).shuffle(order)
    halves = [sorted(order[0::2]), sorted(order[1::2])]
    out: list = [None] * len(words)
    for tune, score in (halves, halves[::-1]):
        def f1(key):
            found = seen_unseen([split.test[i] for i in tune], [tags[key][i] for i in tune], split.held_out)
            return sum((c for kind in found.values() for c in kind.values()), Counts()).f1

        best = max(tags, key=f1)
        print(f"  [tuned seed {seed}] o_bias {best[0]}, lexicon_boost {best[1]} chosen on {len(tune)} sentences "
              f"(F1 {f1(best):.3f}), applied to the other {len(score)}", file=sys.stderr)
        for i in score:
            out[i] = tags[best][i]
    return out


def run_variant(variant: str, split, work: Path, seed: int, epochs: int, mapping: str, lexdir: Path | None):
    from ner.models import load_model
    from ner.train import TrainConfig, fit

    words = [list(s.words) for s in split.test]
    if variant == "lists":
        from ner.models.lexicon import load_lexicon

        lexicon = load_lexicon(lexdir)
        return [lexicon.tags(w) for w in words]
    if variant == "natasha":
        return natasha_tags(split.test)
    if variant.startswith("o-bias="):  # the default's trained model, the O tag's score lowered before decoding
        return decoded_tags(work / f"model-default-{seed}", words, {"o_bias": float(variant.split("=", 1)[1])})
    name, _, settings = variant.partition(":")
    import tomllib

    extra = tomllib.loads("\n".join(kv for kv in settings.split(";") if kv))
    train = split.train
    if "exclude" in extra and name.startswith(("decode", "tuned")):
        raise SystemExit(f"{variant}: exclude= trains without registers; a decode variant trains nothing")
    if "exclude" in extra:  # training without some registers of the written corpus, the same test sentences
        left_out = register_sentences(extra.pop("exclude").split("+"))
        train = [s for s in split.train if tuple(s.words) not in left_out]
        print(f"  [{name} seed {seed}] {len(split.train) - len(train)} training sentences of those registers "
              f"left out", file=sys.stderr)
    if name.startswith("tuned"):
        return tuned_tags(work / f"model-{extra.pop('model', 'default')}-{seed}", split, seed)
    if name.startswith("decode"):  # a trained variant's model (the default's) with decode-time hparams
        return decoded_tags(work / f"model-{extra.pop('model', 'default')}-{seed}", words, extra)
    lexicon = "none" if name == "no-lexicon" or lexdir is None else str(lexdir)
    config = TrainConfig(out=str(work / f"model-{name}-{seed}"), epochs=epochs, patience=5, batch_size=16,
                         seed=seed, lexicon=lexicon, map=mapping).replace(**extra)
    if mapping:  # factRuEval: the mapped labels the split has
        labels = sorted({t[2:] for s in split.train for t in s.tags if t != "O"})
    else:
        from ner.schema import load_schema

        labels = list(load_schema().names)
    fit(train, None, labels, config,
        progress=lambda line: print(f"  [{name} seed {seed}] {line}", file=sys.stderr))
    from ner.markup import clean_tags

    model = load_model(config.out)
    return [clean_tags(w, p.tags) for w, p in zip(words, model.predict(words))]


def counts(stored):
    """``consensus.merge.Counts`` of the ``[tp, fp, fn]`` a result file keeps."""
    from ner.quality.consensus.merge import Counts

    tp, fp, fn = stored
    return Counts(tp, tp + fp, tp + fn)


def micro(result: dict, kind: str) -> float:
    return sum(map(counts, result["counts"][kind].values()), counts([0, 0, 0])).f1


def short(variant: str, variants) -> str:
    """A variant's name without its settings, or with them where another variant has the same name."""
    name = variant.split(":")[0]
    return variant if sum(v.split(":")[0] == name for v in variants) > 1 and ":" in variant else name


def table(results: dict, variants: list[str], base: str = "default") -> str:
    """F1 per label and micro, mean +- sd over seeds; then each variant minus ``base`` on the seeds both ran."""
    runs = {v: [r for key, r in results.items() if key.rsplit("@", 1)[0] == v] for v in variants}
    labels = sorted({label for r in results.values() for kind in r["counts"].values() for label in kind})
    lines = []
    for kind in ("unseen", "seen"):
        lines.append(f"\nF1 on {kind} names (mean +- sd over seeds)")
        lines.append(f"{'':<14}" + "".join(f"{short(v, variants)[:18]:>20}" for v in variants))
        lines.append(f"{'seeds':<14}" + "".join(f"{len(runs[v]):>20}" for v in variants))
        for label in labels + ["micro"]:
            row = f"{label:<14}"
            for v in variants:
                f1s = []
                for r in runs[v]:
                    per = {k: counts(c) for k, c in r["counts"][kind].items()}
                    none = counts([0, 0, 0])
                    c = sum(per.values(), none) if label == "micro" else per.get(label, none)
                    f1s.append(c.f1)
                sd = statistics.stdev(f1s) if len(f1s) > 1 else 0.0
                row += f"{statistics.mean(f1s):>13.3f} +-{sd:.3f}" if f1s else f"{'-':>20}"
            lines.append(row)
    if any(key.rsplit("@", 1)[0] == base for key in results):
        lines.append(f"\nmicro F1 minus {base}'s on the same seeds (paired), unseen / seen names")
        for v in variants:
            pairs = [(micro(results[k], kind) - micro(results[f"{base}@{k.rsplit('@', 1)[1]}"], kind))
                     for kind in ("unseen", "seen") for k in results
                     if k.rsplit("@", 1)[0] == v and f"{base}@{k.rsplit('@', 1)[1]}" in results]
            if v != base and pairs:
                unseen, seen = pairs[: len(pairs) // 2], pairs[len(pairs) // 2:]
                lines.append(f"{short(v, variants):<20} {statistics.mean(unseen):+.3f} / {statistics.mean(seen):+.3f}"
                             f"  ({len(unseen)} seed{'s' * (len(unseen) > 1)})")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=("project", "factrueval"), default="project")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--fraction", type=float, default=0.3)
    parser.add_argument("--variants", default="lists,default,no-lexicon")
    parser.add_argument("--out", default="/tmp/bench-novel")
    parser.add_argument("--factrueval", default=str(FACTRUEVAL), help="the factRuEval-2016 directory (devset.conll)")
    args = parser.parse_args(argv)
    from ner.models.lexicon import BUNDLED
    from ner.quality.disjoint import disjoint_split, seen_unseen, without_names

    sentences, mapping = corpus(args.corpus, Path(args.factrueval))
    work = Path(args.out) / args.corpus
    work.mkdir(parents=True, exist_ok=True)
    store = work / "results"  # one file per (variant, seed): runs of other variants can go on beside this one
    store.mkdir(exist_ok=True)
    variants = [v for v in args.variants.split(",") if v]
    for seed in [int(s) for s in args.seeds.split(",")]:
        split = disjoint_split(sentences, args.fraction, seed)
        print(f"seed {seed}: {split.names} names, {len(split.held_out)} held out; train {len(split.train)} "
              f"sentences, test {len(split.test)}", file=sys.stderr)
        lexdir = None
        if args.corpus == "project":
            files = {p.name: p.read_text(encoding="utf-8") for p in sorted(BUNDLED.glob("*.txt"))}
            pruned, dropped = without_names(files, split.held_out)
            lexdir = work / f"lexicon-{seed}"
            lexdir.mkdir(exist_ok=True)
            for name, text in pruned.items():
                (lexdir / name).write_text(text, encoding="utf-8")
            print(f"  lists: {dropped} lines naming held-out names dropped", file=sys.stderr)
        for variant in variants:
            started = time.perf_counter()
            predicted = run_variant(variant, split, work, seed, args.epochs, mapping, lexdir)
            found = seen_unseen(split.test, predicted, split.held_out)
            result = {"counts": {k: {label: [int(c.tp), int(c.pred - c.tp), int(c.gold - c.tp)] for label, c in v.items()}
                                 for k, v in found.items()},
                      "seconds": round(time.perf_counter() - started, 1),
                      "epochs": 0 if variant in ("lists", "natasha") or variant.startswith(("o-bias", "decode", "tuned"))
                      else args.epochs}
            (store / f"{variant.replace('/', '_')}@{seed}.json").write_text(json.dumps(result, indent=1))
    results = {p.stem: json.loads(p.read_text()) for p in sorted(store.glob("*.json"))}
    shown = list(dict.fromkeys(k.split("@")[0] for k in results))
    print(f"{args.corpus}: name-disjoint, {args.fraction:.0%} of names held out per seed; epochs "
          f"{sorted({r['epochs'] for r in results.values()} - {0})}, batch 16, patience 5")
    print(table(results, shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
