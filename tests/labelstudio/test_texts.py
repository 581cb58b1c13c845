"""Plain texts pushed to the real Label Studio server: a .txt (one text per line) and a JSONL with a ``text``
field become tasks that show each text exactly as given, with nothing annotated yet."""

from __future__ import annotations

import json

import pytest

from ner.cli import main
from ner.schema import load_schema

pytestmark = pytest.mark.labelstudio

TEXTS = ["Берём  Qwen2.5-7B-Instruct и Mistral-7B-Instruct-v0.2, эмбеддинги multilingual-e5-base.",
         "| **GigaChat Lite** | full fine-tuning |",
         "SP_1: а `vLLM` уже поднят? 😀 см. https://github.com/vllm-project/vllm"]


def _push(labelstudio, title, path, *extra):
    return main(["ls", "push", str(path), "--project", title, "--url", labelstudio.url,
                 "--api-key", labelstudio.api_key, *extra])


@pytest.mark.parametrize("kind", ["txt", "jsonl"])
def test_pushed_texts_show_exactly_as_given_and_wait_for_annotation(ls_client, ls_project, labelstudio, tmp_path,
                                                                     kind, capsys):
    path = tmp_path / f"pool.{kind}"
    if kind == "txt":
        path.write_text("\n".join(TEXTS[:2]) + "\n\n" + TEXTS[2] + "\n", encoding="utf-8")
    else:
        path.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in TEXTS), encoding="utf-8")
    title = ls_project(load_schema())
    assert _push(labelstudio, title, path) == 0  # plain texts: one text a task without asking
    assert "no entity in the input" in capsys.readouterr().out
    tasks = list(ls_client.iter_tasks(ls_client.project(title)["id"]))
    assert sorted(t["data"]["text"] for t in tasks) == sorted(TEXTS)
    assert all(not t["annotations"] for t in tasks)  # open tasks: 'ls predict' pre-annotates them
    assert _push(labelstudio, title, path) == 0  # a re-push creates nothing
    assert len(list(ls_client.iter_tasks(ls_client.project(title)["id"]))) == len(TEXTS)
