"""``ner llm annotate`` against a local OpenAI-compatible server process: answers in every shape,
faults, order, output that every corpus command reads."""

from __future__ import annotations

import json
import time

import pytest

from ner.formats.jsonl import load_jsonl
from ner.llm.place import FOREIGN_LABEL, NOT_IN_TEXT, OVERLAPS

from .conftest import answer, read_jsonl

TEXTS = [
    "Яндекс выложил YaLM 100B в 2022 году.",
    "Дообучили BERT-а на ImageNet.",
    "Ёлка и PyTorch от Meta.",
    "Ничего интересного.",
    "Hugging Face Transformers и Hugging Face.",
    "OpenAI выпустила ChatGPT.",
]
SHAPES = {
    TEXTS[0]: answer(("Яндекс", "Organization"), ("YaLM 100B", "Model"), ("2022 году", "Date")),
    TEXTS[1]: "```json\n" + answer(("BERT", "model"), ("ImageNet", "Dataset")) + "\n```",
    TEXTS[2]: "Конечно! Вот ответ: " + answer(("елка", "Application"), ("pytorch", "Application"),
                                               ("Google", "Organization"), ("Meta", "Person")),
    TEXTS[3]: '{"entities": []}',
    TEXTS[4]: answer(("Hugging Face", "Organization"), ("Hugging Face Transformers", "Application"),
                     ("Face Transformers", "Application")),
    TEXTS[5]: '{"entities": [{"text": "OpenAI", "label": "Organization"}, {"text": "Chat',
}


@pytest.fixture
def texts(tmp_path):
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(TEXTS[:3]) + "\n\n" + "\n".join(TEXTS[3:]) + "\n", encoding="utf-8")
    return path


def annotate_args(server, texts, out, cache, *more):
    return ("llm", "annotate", texts, "--endpoint", server.url, "--model", "fake", "--out", out,
            "--cache-dir", cache, "--backoff", "0.01", *more)


def test_every_answer_shape_is_placed_in_input_order_and_read_back_as_a_corpus(llm_server, texts, tmp_path, run_ner):
    llm_server.script({t: [{"content": c}] for t, c in SHAPES.items()})
    out = tmp_path / "out.jsonl"
    code, _, err = run_ner(*annotate_args(llm_server, texts, out, tmp_path / "c", "--concurrency", "3"))
    assert code == 0, err
    records = read_jsonl(out)
    assert [r["text"] for r in records] == TEXTS
    placed = [[(s["text"], s["label"]) for s in r["spans"]] for r in records]
    assert placed == [[("Яндекс", "Organization"), ("YaLM 100B", "Model"), ("2022 году", "Date")],
                      [("BERT-а", "Model"), ("ImageNet", "Dataset")],
                      [("Ёлка", "Application"), ("PyTorch", "Application")],
                      [],
                      [("Hugging Face Transformers", "Application"), ("Hugging Face", "Organization")],
                      [("OpenAI", "Organization")]]
    assert [(u["text"], u["reason"]) for u in records[2]["unplaced"]] == [("Google", NOT_IN_TEXT),
                                                                         ("Meta", FOREIGN_LABEL)]
    assert records[4]["unplaced"][0]["reason"] == OVERLAPS
    assert records[5]["truncated"] and not records[0]["truncated"]
    assert {r["annotator"] for r in records} == {f"127.0.0.1:{llm_server.port}/fake"}
    assert [r["id"] for r in records] == ["texts:1", "texts:2", "texts:3", "texts:5", "texts:6", "texts:7"]
    docs = list(load_jsonl(out))
    assert [[(s.text, s.label) for s in sent.spans] for d in docs for sent in d.sentences] == placed
    report = json.loads((tmp_path / "out.jsonl.report.json").read_text(encoding="utf-8"))
    assert report["unplaced"] == {FOREIGN_LABEL: 1, NOT_IN_TEXT: 1, OVERLAPS: 1}
    assert report["widened_to_tokens"] == 1 and report["truncated_answers"] == 1 and report["spans"] == 10
    assert "1 not in the text" in err and "1 overlaps a placed mention" in err


def test_the_request_is_the_system_message_and_the_text_verbatim_with_structured_output(llm_server, tmp_path,
                                                                                          run_ner):
    from ner.llm.prompt import load_guidelines, system_prompt
    from ner.schema import load_schema

    text = "  Текст с  двойными пробелами\tи табом  "
    (tmp_path / "t.txt").write_text(text + "\n", encoding="utf-8")
    code, _, err = run_ner(*annotate_args(llm_server, tmp_path / "t.txt", tmp_path / "o.jsonl", tmp_path / "c"))
    assert code == 0, err
    (req,) = llm_server.log()
    assert req["messages"] == [{"role": "system", "content": system_prompt(load_schema(), load_guidelines())},
                               {"role": "user", "content": text}]
    assert req["response_format"]["json_schema"]["schema"]["properties"]["entities"]["items"]["properties"][
        "label"]["enum"] == list(load_schema().names)


def test_a_server_without_structured_output_gets_plain_json_requests(llm_server, texts, tmp_path, run_ner):
    llm_server.script({TEXTS[0]: [{"content": SHAPES[TEXTS[0]]}]}, reject_response_format=True)
    code, _, err = run_ner(*annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c",
                                          "--concurrency", "1"))
    assert code == 0, err
    log = llm_server.log()
    assert log[0]["response_format"] and log[1]["response_format"] is None  # refused once, then plain
    assert sum(1 for r in log if r["response_format"]) == 1 and len(log) == len(TEXTS) + 1
    assert len(read_jsonl(tmp_path / "o.jsonl")[0]["spans"]) == 3


@pytest.mark.parametrize("fault", [
    {"status": 429, "retry_after": 1},
    {"status": 500},
    {"status": 503},
    {"sleep": 3},          # past --timeout 1
    {"drop": True},
])
def test_faults_are_retried_and_the_text_still_gets_its_answer(llm_server, tmp_path, run_ner, fault):
    text = TEXTS[0]
    (tmp_path / "t.txt").write_text(text + "\n", encoding="utf-8")
    llm_server.script({text: [fault, {"content": SHAPES[text]}]})
    started = time.monotonic()
    code, _, err = run_ner(*annotate_args(llm_server, tmp_path / "t.txt", tmp_path / "o.jsonl", tmp_path / "c",
                                          "--timeout", "1"))
    assert code == 0, err
    assert len(llm_server.log()) == 2 and len(read_jsonl(tmp_path / "o.jsonl")[0]["spans"]) == 3
    if "retry_after" in fault:
        assert time.monotonic() - started >= 1.0  # Retry-After honoured, not the 0.01 s backoff


def test_a_text_whose_faults_outlast_the_retries_is_listed_and_the_run_goes_on(llm_server, texts, tmp_path,
                                                                              run_ner):
    llm_server.script({TEXTS[1]: [{"status": 500}]})
    code, _, err = run_ner(*annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c",
                                          "--retries", "2"))
    assert code == 1
    assert [r["text"] for r in read_jsonl(tmp_path / "o.jsonl")] == [t for t in TEXTS if t != TEXTS[1]]
    assert f"{texts}:2: no answer: HTTP 500 after 3 attempt(s)" in err
    assert sum(1 for r in llm_server.log() if r["text"] == TEXTS[1]) == 3


def test_a_web_page_where_the_api_should_be_stops_the_run_with_a_message_not_a_traceback(llm_server, texts,
                                                                                       tmp_path, run_ner):
    llm_server.script(default={"html": True})
    code, _, err = run_ner(*annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c",
                                          "--concurrency", "1"))
    assert code == 1 and "Traceback" not in err and len(llm_server.log()) == 1
    assert "not a chat completion" in err and "check --endpoint (does it end in /v1?)" in err
    assert f"1 failed, {len(TEXTS) - 1} not sent" in err


def test_an_endpoint_nobody_answers_stops_the_run_after_the_first_text(texts, tmp_path, run_ner):
    import socket

    with socket.socket() as s:  # a port on this machine that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = run_ner("llm", "annotate", texts, "--endpoint", f"http://127.0.0.1:{port}/v1", "--model", "x",
                           "--out", tmp_path / "o.jsonl", "--cache-dir", tmp_path / "c", "--backoff", "0.01",
                           "--retries", "1", "--concurrency", "1")
    assert code == 1
    assert f"{texts}:1: no answer: APIConnectionError after 2 attempt(s)" in err
    assert f"1 failed, {len(TEXTS) - 1} not sent" in err
    assert "stopped: the endpoint refused the request (APIConnectionError after 2 attempt(s)" in err


@pytest.mark.parametrize("bad, said", [({"content": "Я не могу помочь с этим."}, "the answer is not JSON"),
                                       ({"empty": True}, "the answer is empty")])
def test_an_answer_that_is_not_json_is_asked_once_more_then_recorded(llm_server, tmp_path, run_ner, bad, said):
    (tmp_path / "t.txt").write_text(TEXTS[0] + "\n" + TEXTS[3] + "\n", encoding="utf-8")
    llm_server.script({TEXTS[0]: [bad]})
    code, _, err = run_ner(*annotate_args(llm_server, tmp_path / "t.txt", tmp_path / "o.jsonl", tmp_path / "c"))
    assert code == 1
    assert sum(1 for r in llm_server.log() if r["text"] == TEXTS[0]) == 2
    assert [r["text"] for r in read_jsonl(tmp_path / "o.jsonl")] == [TEXTS[3]]
    report = json.loads((tmp_path / "o.jsonl.report.json").read_text(encoding="utf-8"))
    assert report["failed"] == 1 and report["failed_texts"][0]["line"] == 1
    assert f"t.txt:1: no answer: {said}" in err
    llm_server.script({TEXTS[0]: [{"content": SHAPES[TEXTS[0]]}]})
    code, _, _ = run_ner(*annotate_args(llm_server, tmp_path / "t.txt", tmp_path / "o.jsonl", tmp_path / "c"))
    assert code == 0 and len(read_jsonl(tmp_path / "o.jsonl")) == 2  # the failure was not cached


def test_a_rerun_sends_no_request_and_no_cache_asks_again(llm_server, texts, tmp_path, run_ner):
    llm_server.script({t: [{"content": c}] for t, c in SHAPES.items()})
    args = annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c")
    assert run_ner(*args)[0] == 0
    first = (tmp_path / "o.jsonl").read_text(encoding="utf-8")
    assert len(llm_server.log()) == len(TEXTS)
    code, _, err = run_ner(*args)
    assert code == 0 and len(llm_server.log()) == len(TEXTS)  # nothing sent
    assert (tmp_path / "o.jsonl").read_text(encoding="utf-8") == first
    assert f"{len(TEXTS)} answered ({len(TEXTS)} from the cache)" in err
    assert run_ner(*args, "--model", "other")[0] == 0 and len(llm_server.log()) == 2 * len(TEXTS)  # key: model
    assert run_ner(*args, "--no-cache")[0] == 0 and len(llm_server.log()) == 3 * len(TEXTS)


def test_cost_is_tokens_times_the_prices(llm_server, texts, tmp_path, run_ner):
    llm_server.script(default={"content": '{"entities": []}', "usage": [1000, 250]})
    code, _, err = run_ner(*annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c",
                                          "--price-input", "0.15", "--price-output", "0.60"))
    assert code == 0
    report = json.loads((tmp_path / "o.jsonl.report.json").read_text(encoding="utf-8"))
    assert report["input_tokens"] == 6000 and report["output_tokens"] == 1500
    assert report["cost"] == pytest.approx((6000 * 0.15 + 1500 * 0.60) / 1e6)
    assert f"cost {(6000 * 0.15 + 1500 * 0.60) / 1e6:.4f}" in err
    prices = tmp_path / "prices.toml"
    prices.write_text('[models."fake"]\ninput = 0.15\noutput = 0.60\n', encoding="utf-8")
    run_ner(*annotate_args(llm_server, texts, tmp_path / "o2.jsonl", tmp_path / "c", "--prices", prices,
                           "--no-cache"))
    assert json.loads((tmp_path / "o2.jsonl.report.json").read_text())["cost"] == report["cost"]


def test_max_cost_stops_cleanly_with_what_is_done_written(llm_server, texts, tmp_path, run_ner):
    llm_server.script(default={"content": '{"entities": []}', "usage": [1_000_000, 0]})
    code, _, err = run_ner(*annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c",
                                          "--price-input", "1", "--max-cost", "2", "--concurrency", "1"))
    assert code == 1 and "--max-cost reached" in err
    assert [r["text"] for r in read_jsonl(tmp_path / "o.jsonl")] == TEXTS[:2]
    assert len(llm_server.log()) == 2
    run_ner(*annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c", "--concurrency", "1"))
    assert len(llm_server.log()) == len(TEXTS) and len(read_jsonl(tmp_path / "o.jsonl")) == len(TEXTS)


def test_dry_run_counts_and_sends_nothing(llm_server, texts, tmp_path, run_ner):
    code, _, err = run_ner(*annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c", "--dry-run",
                                          "--price-input", "0.15", "--price-output", "0.6"))
    assert code == 0, err
    assert llm_server.log() == [] and not (tmp_path / "o.jsonl").exists()
    report = json.loads((tmp_path / "o.jsonl.report.json").read_text(encoding="utf-8"))
    assert report["dry_run"] and report["input_tokens"] > 6 * 400 and report["cost"] > 0
    assert f"would send {len(TEXTS)} request(s)" in err


def test_usage_errors_exit_2(llm_server, texts, tmp_path, run_ner):
    assert run_ner("llm", "annotate", texts, "--endpoint", llm_server.url, "--model", "m")[0] == 2  # no --out
    assert run_ner(*annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c",
                                  "--concurrency", "0"))[0] == 2
    code, _, err = run_ner(*annotate_args(llm_server, tmp_path / "missing.txt", tmp_path / "o.jsonl", tmp_path / "c"))
    assert code == 2 and "missing.txt: no such file" in err and "Traceback" not in err


def test_a_refused_key_stops_the_run_instead_of_failing_every_text(llm_server, texts, tmp_path, run_ner):
    llm_server.script(default={"status": 401})
    code, _, err = run_ner(*annotate_args(llm_server, texts, tmp_path / "o.jsonl", tmp_path / "c",
                                          "--concurrency", "1"))
    assert code == 1 and len(llm_server.log()) == 1
    assert "stopped: the endpoint refused the request (HTTP 401: Error code: 401 - scripted 401)" in err
    assert f"1 failed, {len(TEXTS) - 1} not sent" in err


def test_examples_come_before_the_text_as_turns_the_most_similar_last(llm_server, tmp_path, run_ner):
    examples = tmp_path / "examples.jsonl"
    records = [{"text": "Сбер обучил GigaChat на своих данных.", "spans": [{"start": 0, "end": 4, "label": "Organization"},
                                                                         {"start": 12, "end": 20, "label": "Model"}]},
               {"text": "Погода сегодня хорошая.", "spans": []},
               {"text": "Яндекс обучил YandexGPT на своих данных.", "spans": [{"start": 0, "end": 6, "label": "Organization"},
                                                                             {"start": 14, "end": 23, "label": "Model"}]}]
    examples.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    inputs = tmp_path / "in.jsonl"  # JSONL with a text field only
    inputs.write_text(json.dumps({"text": "Яндекс обучил YaLM на своих данных."}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    code, _, err = run_ner(*annotate_args(llm_server, inputs, tmp_path / "o.jsonl", tmp_path / "c",
                                          "--examples", examples, "--shots", "2"))
    assert code == 0, err
    (request,) = llm_server.log()
    turns = [(m["role"], m["content"]) for m in request["messages"][1:]]
    assert turns == [("user", records[0]["text"]),
                     ("assistant", answer(("Сбер", "Organization"), ("GigaChat", "Model"))),
                     ("user", records[2]["text"]),
                     ("assistant", answer(("Яндекс", "Organization"), ("YandexGPT", "Model"))),
                     ("user", "Яндекс обучил YaLM на своих данных.")]
