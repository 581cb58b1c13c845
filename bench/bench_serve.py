"""Benchmark: the ML backend under 8 concurrent clients, 2,000 /predict requests of one paragraph each.

Starts ``ner serve``'s app with uvicorn in a subprocess on a free port, then 8
threads each send their share of requests in Label Studio's /predict shape (one
task, one paragraph of about 60 words) with one keep-alive connection per client.
Prints p50/p90/p99 latency, requests/s and the number of errors (non-200 or a
malformed answer).

    .venv/bin/python bench/bench_serve.py [--model DIR] [--requests 2000] [--clients 8]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAGRAPHS = [
    "Яндекс выложил YaLM 100B в 2022 году. Модель обучали на датасете из русскоязычных текстов, "
    "а дообучение на задачах классификации заняло неделю. GitHub Copilot и Amazon CodeWhisperer "
    "используют похожие методы: fine-tuning и LoRA. Обучение завершилось за 2.5 минуты.",
    "У ChatGPT — три версии. Пробуем запустить с датасетом по умолчанию - Alpaca. Успех. "
    "В 2019 году вышла GPT-2, а файнтюнинг BERT-а на задачах NER стал стандартом де-факто. "
    "Сбер и OpenAI публикуют модели, PyTorch'е удобно их запускать.",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=None, help="model directory (default: train a navec model on the seed)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    import httpx

    from ner.labelstudio.config import format_labeling_config
    from ner.schema import load_schema

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from ner.train import TrainConfig, train

            seed = ROOT / "corpora" / "ml_ru_seed.conll"
            model = str(train(TrainConfig(train=str(seed), dev=str(seed), out=f"{tmp}/navec", epochs=10, hidden=64)))
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "ner", "serve", "--model", model, "--port", str(port),
                                   "--retrain-every", "0", "--log-level", "warning"],
                                  env=dict(os.environ, PYTHONPATH=str(ROOT)))
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    print("the server did not come up", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            config = format_labeling_config(load_schema())
            latencies: list[float] = []
            errors = [0]
            lock = threading.Lock()

            def client(k: int, n: int):
                with httpx.Client(base_url=url, timeout=60) as http:
                    for i in range(n):
                        body = {"tasks": [{"id": k * 100000 + i, "data": {"text": PARAGRAPHS[i % 2]}}],
                                "project": "1.1", "label_config": config}
                        started = time.perf_counter()
                        try:
                            r = http.post("/predict", json=body)
                            ok = r.status_code == 200 and len(r.json()["results"]) == 1
                        except (httpx.HTTPError, ValueError, KeyError):
                            ok = False
                        took = time.perf_counter() - started
                        with lock:
                            latencies.append(took)
                            errors[0] += not ok

            shares = [args.requests // args.clients + (k < args.requests % args.clients) for k in range(args.clients)]
            threads = [threading.Thread(target=client, args=(k, n)) for k, n in enumerate(shares)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
            q = statistics.quantiles(latencies, n=100)
            print(f"{len(latencies)} requests, {args.clients} clients, {wall:.1f} s: {len(latencies) / wall:.0f} req/s")
            print(f"latency p50 {q[49] * 1000:.1f} ms, p90 {q[89] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms")
            print(f"errors: {errors[0]}")
            return 1 if errors[0] else 0
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
