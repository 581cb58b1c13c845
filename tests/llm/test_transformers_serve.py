"""A real server implementation: ``transformers serve`` over a tiny random model built here, offline.

The model's answer is random bytes, not JSON: the run must say so for every text, place nothing
and exit 1, without a crash.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def build_tiny_model(out: Path) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(["Яндекс выложил YaLM 100B в 2022 году", "BERT от Google"],
                            trainers.BpeTrainer(vocab_size=300, special_tokens=["<s>", "</s>"],
                                                initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>")
    fast.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
    fast.save_pretrained(out)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=8192,
                         bos_token_id=0, eos_token_id=1)
    LlamaForCausalLM(config).save_pretrained(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def transformers_serve(tmp_path):
    pytest.importorskip("fastapi")
    exe = shutil.which("transformers") or str(Path(sys.executable).parent / "transformers")
    model = tmp_path / "tiny"
    build_tiny_model(model)
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([exe, "serve", str(model), "--host", "127.0.0.1", "--port", str(port), "--device",
                             "cpu"], stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"transformers serve did not start: {(tmp_path / 'serve.log').read_text()[-1500:]}")
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}/v1", str(model)
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_a_real_server_whose_answer_is_not_json_is_reported_and_nothing_placed(transformers_serve, tmp_path,
                                                                                  run_ner):
    url, model = transformers_serve
    (tmp_path / "t.txt").write_text("Яндекс выложил YaLM 100B.\nBERT от Google.\n", encoding="utf-8")
    code, _, err = run_ner("llm", "annotate", tmp_path / "t.txt", "--endpoint", url, "--model", model,
                           "--out", tmp_path / "o.jsonl", "--cache-dir", tmp_path / "c", "--max-tokens", "16",
                           "--timeout", "120", "--retries", "1")
    assert code == 1, err
    assert "t.txt:1: no answer: the answer is not JSON" in err and "t.txt:2: no answer: the answer is not JSON" in err
    assert (tmp_path / "o.jsonl").read_text(encoding="utf-8") == ""
    report = json.loads((tmp_path / "o.jsonl.report.json").read_text(encoding="utf-8"))
    assert report["answered"] == 0 and report["failed"] == 2 and report["spans"] == 0
    assert report["requests"] == 4 and report["input_tokens"] > 0  # each text asked twice; usage as it reported
    assert not list((tmp_path / "c" / "answers").rglob("*.json"))  # nothing cached
