"""Push and pull 10,000 one-paragraph tasks against the local Label Studio; tasks/s each way.

Also pushes the unchanged corpus a second time: it must create 0 tasks and take
at most a tenth of the first push (one filtered count per 20 batches, no task
listing). Then once more with one document changed: that batch is no longer
complete, a few counts of halves find it, and the push lists the tasks of that batch's slot only (one filtered
listing, not the whole project) and reports the document; target < 0.1 of a push. Needs the local server (scripts/labelstudio.sh
start); the project it makes is deleted at the end.

    .venv/bin/python bench/bench_labelstudio.py [--tasks 10000]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ner.labelstudio.client import Client, Connection  # noqa: E402
from ner.labelstudio.sync import init_project, pull, push  # noqa: E402
from ner.records import Document, Sentence  # noqa: E402
from ner.schema import load_schema  # noqa: E402

WORDS = "модель обучили на данных за неделю и получили хороший результат в задаче".split()
ENTITIES = [(["BERT"], "Model"), (["ImageNet"], "Dataset"), (["Яндекс"], "Organization"),
            (["PyTorch"], "Application"), (["LoRA"], "Method_ML"), (["машинный", "перевод"], "Task"),
            (["2023", "году"], "Date"), (["дообучение"], "Activity")]


def paragraph(rng: random.Random, k: int) -> Document:
    sentences = []
    for n in range(3):
        words, tags = [], []
        for _ in range(rng.randint(8, 14)):
            if rng.random() < 0.15:
                ws, label = rng.choice(ENTITIES)
                words += ws
                tags += [f"B-{label}"] + [f"I-{label}"] * (len(ws) - 1)
            else:
                words.append(rng.choice(WORDS))
                tags.append("O")
        words.append(".")
        tags.append("O")
        sentences.append(Sentence(tuple(words), tuple(tags), id=f"p{k}:{n}"))
    return Document(f"p{k}", tuple(sentences))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--batch-size", type=int, default=1000)
    args = ap.parse_args()
    env = dict(line.removeprefix("export ").split("=", 1) for line in
               subprocess.run(["bash", str(ROOT / "scripts/labelstudio.sh"), "env"], capture_output=True,
                              text=True).stdout.splitlines())
    client = Client(Connection(env["LABEL_STUDIO_URL"], env["LABEL_STUDIO_API_KEY"]))
    rng = random.Random(0)
    docs = [paragraph(rng, k) for k in range(args.tasks)]
    n_tokens = sum(d.n_tokens for d in docs)
    title = f"bench-{uuid.uuid4().hex[:8]}"
    project, _ = init_project(client, title, load_schema())
    try:
        t0 = time.perf_counter()
        first = push(client, title, docs, batch_size=args.batch_size)
        t1 = time.perf_counter()
        second = push(client, title, docs, batch_size=args.batch_size)
        t2 = time.perf_counter()
        edited = list(docs)
        k = len(docs) // 2
        first_sentence = edited[k].sentences[0]
        edited[k] = Document(edited[k].id, (Sentence(first_sentence.words[:-1] + ("!",), first_sentence.tags),
                                            *edited[k].sentences[1:]))
        t_changed = time.perf_counter()
        third = push(client, title, edited, batch_size=args.batch_size)
        changed_s = time.perf_counter() - t_changed
        t2b = time.perf_counter()
        back = pull(client, title)
        t3 = time.perf_counter()
    finally:
        client.delete_project(project["id"])
    got = [(s.words, s.tags) for d in back.documents[""] for s in d.sentences]
    want = [(s.words, s.tags) for d in docs for s in d.sentences]
    same = got == want
    if not same:
        k = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        print(f"round trip differs: {len(got)} vs {len(want)} sentences; first difference at sentence {k}: "
              f"{got[k] if k < len(got) else None} vs {want[k] if k < len(want) else None}")
    push_s, repush_s, pull_s = t1 - t0, t2 - t1, t3 - t2b
    print(f"{args.tasks} one-paragraph tasks, {n_tokens} tokens, batches of {args.batch_size}")
    print(f"{'':24}{'seconds':>10}{'tasks/s':>10}")
    print(f"{'push (annotations)':24}{push_s:10.1f}{first.created / push_s:10.0f}")
    print(f"{'re-push (unchanged)':24}{repush_s:10.1f}{'':>10}  created {second.created}, "
          f"{repush_s / push_s:.3f} of the first push (target <= 0.1)")
    print(f"{'re-push, 1 doc changed':24}{changed_s:10.1f}{'':>10}  created {third.created}, changed "
          f"{third.changed}, {changed_s / push_s:.3f} of the first push (target < 0.1: lists one batch's slot)")
    print(f"{'pull':24}{pull_s:10.1f}{back.tasks / pull_s:10.0f}  round trip identical: {same}, "
          f"issues: {back.report.summary()}")
    ok = (first.created == args.tasks and second.created == 0 and repush_s <= push_s / 10 and same
          and third.created == 0 and third.changed == [docs[k].id] and changed_s < push_s / 10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
