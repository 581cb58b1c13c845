"""Benchmark: ``ner llm annotate`` throughput against a local server with a fixed delay per request.

One run prints, side by side: texts/s at concurrency 1, 4 and 16 beside the ideal the server's
delay allows (concurrency / delay), our own time per text (building the request and placing the
answer, measured on their own; and all the CPU this process spent per text, the ``openai`` client's
HTTP work included) beside the server's time per text (its delay over the requests in flight),
the share of the wall time that is not the server's (goal: under 5% at 16 in flight), and the time
of a fully cached re-run. The server runs on the same machine, so its own CPU counts against us.

The server is ``tests/llm/fake_llm.py`` (a separate process) answering each sentence of the
written corpus with its own annotation as taught (``ner llm export``), after ``--delay`` seconds.

    .venv/bin/python bench/bench_llm.py [--texts 64] [--delay 0.5] [--corpus corpora/ml_ru_written.conll]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    from ner.llm.annotate import AnnotateConfig, _place, annotate, build_request
    from ner.llm.cache import AnswerCache
    from ner.llm.client import Endpoint, make_client
    from ner.llm.inputs import read_corpus_items
    from ner.llm.prompt import format_answer, load_guidelines, system_prompt
    from ner.schema import load_schema

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.5, help="server seconds per request")
    parser.add_argument("--corpus", default=str(ROOT / "corpora" / "ml_ru_written.conll"))
    args = parser.parse_args(argv)

    schema = load_schema()
    system = system_prompt(schema, load_guidelines())
    items = read_corpus_items(args.corpus, schema=schema)[: args.texts]
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "llm" / "fake_llm.py"), "--delay",
                               str(args.delay)], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    body = json.dumps({"texts": {i.text: [{"content": format_answer(i.spans)}] for i in items}}).encode()
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/_script", data=body,
                                                  headers={"Content-Type": "application/json"}), timeout=10)
    endpoint = Endpoint(f"http://127.0.0.1:{port}/v1", "bench")
    client = make_client(endpoint, None, 60)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for concurrency in (1, 4, 16):
                config = AnnotateConfig(endpoint, concurrency=concurrency)
                cache = AnswerCache(Path(tmp) / f"c{concurrency}")
                start, cpu = time.perf_counter(), time.process_time()
                run = annotate(items, config=config, schema=schema, system=system, cache=cache, client=client)
                wall, cpu = time.perf_counter() - start, time.process_time() - cpu
                assert sum(1 for o in run.outcomes if o.placement is not None) == len(items)
                rows.append((concurrency, wall, cpu, cache, config))
            concurrency, _, _, cache, config = rows[-1]
            start = time.perf_counter()
            annotate(items, config=config, schema=schema, system=system, cache=cache, client=client)
            cached = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=10)

    start = time.perf_counter()
    for item in items:
        build_request(item, rows[0][4], system, schema)
        _place(item, format_answer(item.spans), schema.names)
    ours = (time.perf_counter() - start) / len(items)

    print(f"{len(items)} texts from {Path(args.corpus).name}; server delay {args.delay:.3f} s per request")
    print(f"{'concurrency':>11}  {'texts/s':>8}  {'server ideal':>12}  {'wall s':>7}  {'not server':>10}  "
          f"{'our CPU ms/text':>15}  {'server ms/text':>14}")
    for concurrency, wall, cpu, _, _ in rows:
        ideal = len(items) * args.delay / concurrency
        print(f"{concurrency:>11}  {len(items) / wall:>8.2f}  {concurrency / max(args.delay, 1e-9):>12.2f}  "
              f"{wall:>7.2f}  {(wall - ideal) / wall:>9.1%}  {cpu / len(items) * 1000:>15.2f}  "
              f"{args.delay / concurrency * 1000:>14.1f}")
    print(f"our time per text (request + placing): {ours * 1000:.3f} ms; the server's: {args.delay * 1000:.0f} ms "
          f"a request, {args.delay / 16 * 1000:.1f} ms a text at 16 in flight ({ours / (args.delay / 16):.2%} of it; "
          f"goal under 5%)")
    print(f"fully cached re-run of {len(items)} texts: {cached:.3f} s ({cached / len(items) * 1000:.2f} ms a text)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
