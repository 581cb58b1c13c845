"""The key reaches the server and nothing else; an interrupted run resumes; remote hosts are announced once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import answer, read_jsonl

KEY = "sk-test-9f8e7d6c5b4a39281706"
ROOT = Path(__file__).resolve().parents[2]


def test_the_key_is_sent_to_the_server_and_written_nowhere(llm_server, tmp_path, run_ner, monkeypatch):
    monkeypatch.setenv("MY_LLM_KEY", KEY)
    texts = ["Яндекс выложил YaLM.", "Сбер и BERT."]
    (tmp_path / "t.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    # the second text meets a server that repeats the Authorization header in its error, every time
    llm_server.script({texts[0]: [{"content": answer(("Яндекс", "Organization"))}], texts[1]: [{"echo_key": True}]})
    out, cache = tmp_path / "out" / "o.jsonl", tmp_path / "cache"
    code, stdout, stderr = run_ner("llm", "annotate", tmp_path / "t.txt", "--endpoint", llm_server.url, "--model",
                                   "m", "--out", out, "--cache-dir", cache, "--api-key-env", "MY_LLM_KEY",
                                   "--retries", "1", "--backoff", "0.01")
    assert code == 1
    assert {r["authorization"] for r in llm_server.log()} == {f"Bearer {KEY}"}
    assert "upstream refused Bearer [key]" in stderr  # the server's words, the key taken out
    written = [p for p in [*tmp_path.rglob("*")] if p.is_file() and p.name != "t.txt"]
    assert any(p.suffix == ".json" and p.parent.parent.name == "answers" for p in written)  # the cache is there
    assert len(written) >= 3
    for path in written:
        assert KEY not in path.read_text(encoding="utf-8"), path
    assert KEY not in stdout + stderr


def test_no_key_set_sends_none_and_says_nothing_of_it(llm_server, tmp_path, run_ner, monkeypatch):
    monkeypatch.delenv("NER_LLM_API_KEY", raising=False)
    (tmp_path / "t.txt").write_text("BERT\n", encoding="utf-8")
    code, _, _ = run_ner("llm", "annotate", tmp_path / "t.txt", "--endpoint", llm_server.url, "--model", "m",
                         "--out", tmp_path / "o.jsonl", "--cache-dir", tmp_path / "c")
    assert code == 0 and llm_server.log()[0]["authorization"] == "Bearer none"


def test_an_interrupted_run_resumes_where_it_stopped(llm_server, tmp_path):
    texts = [f"Текст номер {i} про BERT." for i in range(8)]
    (tmp_path / "t.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    # the fourth text hangs: the run is killed while it waits, three answers already cached
    llm_server.script({texts[3]: [{"sleep": 60}, {"content": answer(("BERT", "Model"))}]},
                      default={"content": answer(("BERT", "Model"))})
    args = [sys.executable, "-m", "ner", "llm", "annotate", str(tmp_path / "t.txt"), "--endpoint", llm_server.url,
            "--model", "m", "--out", str(tmp_path / "o.jsonl"), "--cache-dir", str(tmp_path / "c"),
            "--concurrency", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # Ctrl-C as in a terminal: a suite started in the background (`make test &`, nohup) ignores SIGINT, its children
    # inherit that and Python then installs no KeyboardInterrupt handler, so the interruption never came
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while len(llm_server.log()) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert len(llm_server.log()) == 4
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    sent_again = [r["text"] for r in llm_server.log()[4:]]
    assert sent_again == texts[3:]  # the three answered before the interruption were not asked again
    assert [r["text"] for r in read_jsonl(tmp_path / "o.jsonl")] == texts
    assert "3 from the cache" in done.stderr


def test_a_remote_host_is_announced_once(tmp_path, run_ner):
    (tmp_path / "t.txt").write_text("BERT\n", encoding="utf-8")
    args = ("llm", "annotate", tmp_path / "t.txt", "--endpoint", "http://llm.invalid:9/v1", "--model", "m",
            "--out", tmp_path / "o.jsonl", "--cache-dir", tmp_path / "c", "--retries", "0", "--timeout", "2")
    code, _, err = run_ner(*args)
    assert code == 1 and "the texts are sent to llm.invalid:9 (model m) and leave this machine" in err
    assert "t.txt:1: no answer: APIConnectionError" in err
    code, _, err = run_ner(*args)
    assert code == 1 and "leave this machine" not in err
