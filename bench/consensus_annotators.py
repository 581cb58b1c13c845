"""The real annotators of ``bench_consensus.py``: trained or built independently, outputs cached in ``out/``.

factRuEval (PER/LOC/ORG; the testset is the corpus every annotator labels):

- ``natasha``: natasha's NewsNERTagger on each sentence's text, written as ``ner tag`` output
  (``text`` + ``entities``), so the merge reads that format and re-tokenizes it with razdel;
- ``bilstm``, ``cnn``: navec BiLSTM-CRF and CNN-CRF on the whole devset;
- ``bilstm-a``, ``cnn-b``: the same backbones on the devset's first and second halves;
- ``bilstm-h64``: a smaller BiLSTM (hidden 64, another seed) on the whole devset, as one
  member of an ensemble would be.

The testset with its labels mapped (``gold.conll``, key ``gold``, never merged) scores them.
The project corpora (``corpora/ml_ru_written.conll``, the ML labels), split by document with
``ner split`` (seed 13); every annotator labels the held-out test split:

- ``lexicon``: the bundled name lists alone (``annotation/lexicons``, longest match);
- ``bilstm-a``, ``cnn-b``: BiLSTM (with the lexicon feature) and CNN on the train split's halves;
- ``bilstm-nolex``: a BiLSTM on the whole train split without the lexicon feature.

(The bundled default model saw this split in ``make demo``'s training, so it is not one of them.)

Each output is ``OUT/factrueval/NAME.jsonl`` (``OUT/project/NAME.jsonl``): our models' are JSONL
records with tokens and tags, natasha's ``ner tag`` records; a model directory already trained is reused, an output already
written is kept. The settings are reduced for a shared 2-core machine (``--epochs``, 1 thread).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FACTRUEVAL = ROOT.parent.parent / "shared" / "corpora" / "factrueval2016"
if not FACTRUEVAL.exists():
    FACTRUEVAL = Path("/work/shared/corpora/factrueval2016")
MAP = "Person=PER,Org=ORG,Location=LOC,LocOrg=LOC"
IDENTITY = "PER=PER,ORG=ORG,LOC=LOC"


def factrueval_sentences(name: str):
    from ner.corpus import parse_map, read_split, resolve_schema

    mapping = parse_map(MAP)
    return read_split(str(FACTRUEVAL / name), resolve_schema("", mapping), mapping).sentences


def natasha_records(sentences):
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    segmenter, tagger = Segmenter(), NewsNERTagger(NewsEmbedding())
    for line, s in enumerate(sentences, 1):
        doc = Doc(s.text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        entities = [{"start": e.start, "end": e.stop, "label": e.type, "text": s.text[e.start:e.stop], "score": 1.0}
                    for e in doc.spans]
        yield {"line": line, "text": s.text, "score": 1.0, "entities": entities}


def model_records(model_dir, sentences, batch: int = 64):
    from ner.models import load_model

    model = load_model(model_dir)
    for k in range(0, len(sentences), batch):
        chunk = sentences[k:k + batch]
        for s, p in zip(chunk, model.predict([list(x.words) for x in chunk])):
            yield {"text": s.text, "tokens": list(s.words), "tags": list(p.tags)}


def make_factrueval(out: Path, epochs: int, log=print) -> dict[str, Path]:
    from ner.formats.conll import write_conll
    from ner.records import Document

    out = out / "factrueval"
    out.mkdir(parents=True, exist_ok=True)
    dev = factrueval_sentences("devset.conll")
    test = factrueval_sentences("testset.conll")
    half = len(dev) // 2
    files = {}
    for name, part in (("dev", dev), ("dev-a", dev[:half]), ("dev-b", dev[half:]), ("gold", test)):
        files[name] = out / f"{name}.conll"
        if not files[name].exists():
            write_conll([Document(name, tuple(part))], files[name], docstart=False)
    plans = {
        "bilstm": dict(train="dev"), "cnn": dict(train="dev", backbone="navec-cnn"),
        "bilstm-a": dict(train="dev-a"), "cnn-b": dict(train="dev-b", backbone="navec-cnn"),
        "bilstm-h64": dict(train="dev", hidden=64, seed=7),
    }
    paths = {"gold": files["gold"]}
    target = out / "natasha.jsonl"
    if not target.exists():
        started = time.perf_counter()
        target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in natasha_records(test)),
                          encoding="utf-8")
        log(f"[natasha] tagged in {time.perf_counter() - started:.0f} s")
    paths["natasha"] = target
    for name, plan in plans.items():
        paths[name] = train_and_tag(out, name, plan, files, test, epochs, log, map=IDENTITY)
    return paths


def train_and_tag(out: Path, name: str, plan: dict, files: dict, test, epochs: int, log, **settings) -> Path:
    """Train model ``name`` by ``plan`` (unless its directory holds one) and write its tags of ``test``."""
    from ner.train.config import TrainConfig
    from ner.train import train

    model_dir = out / "models" / name
    target = out / f"{name}.jsonl"
    if target.exists():
        return target
    if not (model_dir / "ner_model.json").exists():
        plan = dict(plan)
        config = TrainConfig(train=str(files[plan.pop("train")]), epochs=epochs, seed=plan.pop("seed", 13),
                             out=str(model_dir), **settings, **plan)
        started = time.perf_counter()
        train(config, lambda line: None)
        log(f"[{name}] trained in {time.perf_counter() - started:.0f} s ({epochs} epochs)")
    target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in model_records(model_dir, test)),
                      encoding="utf-8")
    return target


def make_project(out: Path, epochs: int, log=print) -> dict[str, Path]:
    from ner.formats.conll import read_conll, write_conll
    from ner.models.lexicon import load_lexicon
    from ner.records import Document
    from ner.split import split_corpus

    out = out / "project"
    out.mkdir(parents=True, exist_ok=True)
    docs = list(read_conll(ROOT / "corpora" / "ml_ru_written.conll"))
    parts = dict(split_corpus(docs, seed=13))
    train_s = [s for d in parts["train"] for s in d.sentences if len(s)]
    dev_s = [s for d in parts["dev"] for s in d.sentences if len(s)]
    test = [s for d in parts["test"] for s in d.sentences if len(s)]
    half = len(train_s) // 2
    files = {}
    for name, part in (("train", train_s), ("train-a", train_s[:half]), ("train-b", train_s[half:]), ("dev", dev_s),
                       ("gold", test)):
        files[name] = out / f"{name}.conll"
        if not files[name].exists():
            write_conll([Document(name, tuple(part))], files[name], docstart=False)
    paths = {"gold": files["gold"]}
    target = out / "lexicon.jsonl"
    if not target.exists():
        lexicon = load_lexicon()
        target.write_text("".join(json.dumps({"text": s.text, "tokens": list(s.words), "tags": list(lexicon.tags(
            s.words))}, ensure_ascii=False) + "\n" for s in test), encoding="utf-8")
    paths["lexicon"] = target
    plans = {"bilstm-a": dict(train="train-a"), "cnn-b": dict(train="train-b", backbone="navec-cnn"),
             "bilstm-nolex": dict(train="train", lexicon="none")}
    for name, plan in plans.items():
        paths[name] = train_and_tag(out, name, plan, files, test, epochs, log, dev=str(files["dev"]))
    return paths


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    make = make_project if sys.argv[2:] == ["project"] else make_factrueval
    made = make(ROOT / "out" / "consensus", epochs, log=lambda line: print(line, flush=True))
    print(json.dumps({k: str(v) for k, v in made.items()}, indent=1))
