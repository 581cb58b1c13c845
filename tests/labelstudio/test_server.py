"""Against the real local Label Studio (scripts/labelstudio.sh): push, pull, predictions, exports, faults."""

from __future__ import annotations

import json

import pytest

from ner.cli import main
from ner.errors import UserError
from ner.formats.conll import read_conll
from ner.formats.registry import load
from ner.labelstudio.client import Client, Connection
from ner.labelstudio.layout import Layout
from ner.labelstudio.sync import convert_export, pull, push
from ner.labelstudio.tasks import document_parts, spans_to_results
from ner.records import Span
from ner.schema import Schema, load_schema
from tests.conftest import SEED

pytestmark = pytest.mark.labelstudio


def sentences_of(docs):
    return [(s.words, s.tags) for d in docs for s in d.sentences]


def test_seed_round_trip_through_the_cli(labelstudio, ls_project, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", labelstudio.api_key)
    title = ls_project(load_schema())
    assert main(["ls", "init", "--project", title]) == 0
    n = len(document_parts(next(read_conll(SEED))))  # tasks of at most 10 sentences / 1500 characters
    assert n > 1
    assert main(["ls", "push", str(SEED), "--project", title]) == 0
    out = capsys.readouterr().out
    assert f"1 document(s) as {n} task(s), tasks of at most 10 sentences / 1500 characters" in out
    assert f"{n} task(s) created, 0 already there" in out
    assert main(["ls", "push", str(SEED), "--project", title]) == 0
    assert f"0 task(s) created, {n} already there, 0 document(s) changed" in capsys.readouterr().out
    out = tmp_path / "back.conll"
    assert main(["ls", "pull", "--project", title, str(out)]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out
    assert sentences_of(read_conll(out)) == sentences_of(read_conll(SEED))


def test_factrueval_devset_round_trip_in_batches_with_pagination(ls_client, ls_project, factrueval_dev):
    docs = list(read_conll(factrueval_dev))
    labels = {t[2:] for _, tags in sentences_of(docs) for t in tags if t != "O"}
    title = ls_project(Schema.auto(labels), "factrueval")
    ticks = []
    result = push(ls_client, title, docs, layout=Layout(40, 0), batch_size=10, progress=ticks.append)
    n_tasks = -(-len(docs[0].sentences) // 40)
    assert (result.created, result.unchanged, result.changed) == (n_tasks, 0, [])
    assert sum(ticks) == n_tasks and len(ticks) == -(-n_tasks // 10)
    again = push(ls_client, title, docs, layout=Layout(40, 0))
    assert (again.created, again.unchanged) == (0, n_tasks)
    listed = list(ls_client.iter_tasks(result.project_id, with_results=False, page_size=7))
    assert len({t["id"] for t in listed}) == len(listed) == n_tasks
    back = pull(ls_client, title, schema=Schema.auto(labels))
    assert back.report.issues == []
    assert sentences_of(back.documents[""]) == sentences_of(docs)


def test_changed_document_is_reported_not_duplicated(ls_client, ls_project):
    from ner.formats.conll import parse_conll_string

    title = ls_project(load_schema())
    first = parse_conll_string("BERT\tB-Model\nвышел\tO\n", path="d.conll")
    assert push(ls_client, title, first).created == 1
    changed = parse_conll_string("BERT\tB-Model\nвышла\tO\n", path="d.conll")
    result = push(ls_client, title, changed)
    assert (result.created, result.changed) == (0, ["d"])


def test_predictions_are_visible_with_their_model_version(ls_client, ls_project):
    docs = list(read_conll(SEED))
    title = ls_project(load_schema())
    push(ls_client, title, docs, tags_as="predictions", model_version="seed-v1")
    project = ls_client.project(title)
    tasks = sorted(ls_client.iter_tasks(project["id"]), key=lambda t: t["meta"]["ner"]["part"])
    assert ls_client.project_by_id(project["id"]).model_version == "seed-v1"  # the score column's version
    shown = []
    for task in tasks:
        [prediction] = task["predictions"]
        assert prediction["model_version"] == "seed-v1" and task["annotations"] == []
        text = task["data"]["text"]
        assert all(r["from_name"] == "label" and r["to_name"] == "text" and r["score"] == 1.0
                   and text[r["value"]["start"]:r["value"]["end"]] == r["value"]["text"] for r in prediction["result"])
        shown += [(r["value"]["text"].split(), r["value"]["labels"][0]) for r in prediction["result"]]
    assert shown == [(s.text.split(), s.label) for d in docs for s in d.spans]
    result = pull(ls_client, title)
    assert (result.tasks, result.annotated, result.documents) == (len(tasks), 0, {})


def test_push_as_predictions_attaches_them_to_tasks_already_there(ls_client, ls_project):
    docs = list(read_conll(SEED))
    title = ls_project(load_schema())
    first = push(ls_client, title, docs, tags_as=None)
    again = push(ls_client, title, docs, tags_as="predictions", model_version="seed-v2")
    assert (again.created, again.unchanged, again.attached) == (0, first.created, first.created)
    tasks = list(ls_client.iter_tasks(first.project_id))
    assert len(tasks) == first.created
    assert all([p["model_version"] for p in t["predictions"]] == ["seed-v2"] for t in tasks)
    labels = sorted(r["value"]["labels"][0] for t in tasks for r in t["predictions"][0]["result"])
    assert labels == sorted(s.label for d in docs for s in d.spans)
    third = push(ls_client, title, docs, tags_as="predictions", model_version="seed-v2")
    assert (third.created, third.attached) == (0, 0)  # once per model version



def test_push_of_a_tagged_corpus_annotates_its_text_only_tasks_and_leaves_peoples_work(ls_client, ls_project):
    docs = list(read_conll(SEED))
    title = ls_project(load_schema())
    first = push(ls_client, title, docs, tags_as=None)  # the texts first, as a team starting to annotate does
    tasks = list(ls_client.iter_tasks(first.project_id))
    person = tasks[0]  # a person annotates one task: no regions
    ls_client.create_annotation(person["id"], [])
    again = push(ls_client, title, docs)
    assert (again.created, again.unchanged, again.attached, again.kept_annotated) == \
        (0, first.created, first.created - 1, 1)
    pulled = pull(ls_client, title)
    assert pulled.annotated == first.created and not pulled.report.errors
    got = [(s.words, s.tags) for doc in pulled.documents[""] for s in doc.sentences]
    expected = sentences_of(docs)
    assert [w for w, _ in got] == [w for w, _ in expected]
    # every task but the person's carries the corpus's tags; the person's (no regions) stays as they left it
    theirs = "".join(person["data"]["text"].split())

    def in_persons_task(words):
        return "".join(words) in theirs

    differ = [(w, t) for (w, t), (_, want) in zip(got, expected) if t != want]
    assert differ and all(set(t) == {"O"} and in_persons_task(w) for w, t in differ)
    n_b = lambda pairs: sum(x.startswith("B-") for _, t in pairs for x in t)  # noqa: E731
    assert n_b(got) == n_b(expected) - n_b([(w, t) for w, t in expected if in_persons_task(w)]) > 0


HARD = [
    ("😀😀 Вчера BERT-а обучили на ImageNet и это видно", [("BERT-а", "Model"), ("ImageNet", "Dataset")]),
    ("Строка с CRLF\r\nOpenAI выпустила GPT-4 в 2023 году", [("OpenAI", "Organization"), ("GPT-4", "Model"),
                                                           ("2023 году", "Date")]),
    ("Модель\u00a0ruBERT от Сбера, ёж и йод 🚀 LoRA", [("ruBERT", "Model"), ("Сбера", "Organization"),
                                                     ("LoRA", "Method_ML")]),
]


def editor_task(text, entities):
    spans = [Span(text.index(w), text.index(w) + len(w), label, w) for w, label in entities]
    return {"data": {"text": text}, "annotations": [{"result": spans_to_results(text, spans, "label", "text")}]}


def expected_tags():
    from ner.text import tokenize

    out = []
    for text, entities in HARD:
        for start, end, word in tokenize(text):
            tag = "O"
            for w, label in entities:
                s = text.index(w)
                if s <= start and end <= s + len(w):
                    tag = ("B-" if start == s else "I-") + label
            out.append((word, tag))
    return out


@pytest.mark.parametrize("export_type", ["JSON", "JSON_MIN"])
def test_real_export_files_convert_losslessly(ls_client, ls_project, tmp_path, export_type):
    title = ls_project(load_schema())
    project = ls_client.project(title)
    assert ls_client.import_tasks(project["id"], [editor_task(t, e) for t, e in HARD]) == 3
    path = tmp_path / "export.json"
    path.write_bytes(ls_client.export(project["id"], export_type))
    fmt, result = convert_export(path, schema=load_schema())
    assert fmt == export_type.replace("_", "-")
    assert result.report.issues == []
    got = [(w, t) for _, sents in [(0, sentences_of(result.documents[""]))] for ws, ts in sents
           for w, t in zip(ws, ts)]
    assert got == expected_tags()


def test_real_conll2003_export_reads_with_checks(ls_client, ls_project, tmp_path):
    title = ls_project(load_schema())
    project = ls_client.project(title)
    ls_client.import_tasks(project["id"], [editor_task(t, e) for t, e in HARD])
    path = tmp_path / "export.conll"
    path.write_bytes(ls_client.export(project["id"], "CONLL2003"))
    fmt, result = convert_export(path, schema=load_schema())
    assert fmt == "CONLL2003"
    assert [i.code for i in result.report.issues] == ["W205"]
    assert result.tasks == result.annotated == 3  # one block per annotated task (the summary said 0 annotated)
    tagged = {(w, t) for ws, ts in sentences_of(result.documents[""]) for w, t in zip(ws, ts) if t != "O"}
    assert {("BERT-а", "B-Model"), ("OpenAI", "B-Organization"), ("LoRA", "B-Method_ML")} <= tagged


def test_span_crossing_a_token_boundary_is_reported_on_pull(ls_client, ls_project):
    title = ls_project(load_schema())
    project = ls_client.project(title)
    text = "Обучили модель GPT-3 на данных"
    start = text.index("ель GPT-3")
    region = {"from_name": "label", "to_name": "text", "type": "labels",
              "value": {"start": start, "end": start + 9, "text": "ель GPT-3", "labels": ["Model"]}}
    ls_client.import_tasks(project["id"], [{"data": {"text": text}, "annotations": [{"result": [region]}]}])
    result = pull(ls_client, title)
    [issue] = result.report.issues
    assert issue.code == "E202" and issue.path.startswith("task ") and "'ель GPT-3'" in issue.message
    assert sentences_of(result.documents[""])[0] == (("Обучили", "модель", "GPT-3", "на", "данных"), ("O",) * 5)


def test_wrong_token_and_wrong_url_are_one_line_errors(labelstudio):
    with pytest.raises(UserError, match="refused the API key"):
        Client(Connection(labelstudio.url, "not-a-valid-token", retries=0))
    with pytest.raises(UserError, match="cannot reach Label Studio"):
        Client(Connection("http://127.0.0.1:9", labelstudio.api_key, retries=1, backoff=0.01))
    with pytest.raises(UserError, match="no Label Studio project titled"):
        Client(Connection(labelstudio.url, labelstudio.api_key)).project("no such project here")


def test_several_annotations_follow_the_policy_and_disagreements_are_reported(ls_client, ls_project, tmp_path):
    title = ls_project(load_schema())
    project = ls_client.project(title)
    text = "BERT и GPT"
    one = spans_to_results(text, [Span(0, 4, "Model", "BERT")], "label", "text")
    two = spans_to_results(text, [Span(0, 4, "Model", "BERT"), Span(7, 10, "Model", "GPT")], "label", "text")
    ls_client.import_tasks(project["id"], [{"data": {"text": text},
                                            "annotations": [{"result": one}, {"result": two}]}])
    result = pull(ls_client, title)
    assert [i.code for i in result.report.issues] == ["W204"]
    assert "'GPT'" in result.report.issues[0].message
    # why that one was kept, and how to keep both (the trial asked)
    assert ", the most recent; --all writes each annotator's); " in result.report.issues[0].message
    assert result.report.issues[0].message.endswith(f"'s); {ls_client.user.email} lacks [Model 'GPT']")   # no 'has []'
    # The later annotation wins when none is ground truth, or both are.
    assert sentences_of(result.documents[""]) == [(("BERT", "и", "GPT"), ("B-Model", "O", "B-Model"))]
    exported = json.loads(ls_client.export(project["id"], "JSON"))
    for k, annotation in enumerate(exported[0]["annotations"]):
        annotation["ground_truth"] = k == 0
    path = tmp_path / "e.json"
    path.write_text(json.dumps(exported), encoding="utf-8")
    _, chosen = convert_export(path)
    assert sentences_of(chosen.documents[""])[0][1] == ("B-Model", "O", "O")
    assert ", marked ground truth; --all writes each annotator's); " in chosen.report.issues[0].message


ASTRAL_DOC = [
    # astral characters before, between and inside entities
    (("🚀", "🚀", "Компания", "OpenAI", "выпустила", "GPT-4", "👍", "в", "2023", "году", "."),
     ("O", "O", "O", "B-Organization", "O", "B-Model", "O", "O", "B-Date", "I-Date", "O")),
    (("Модель", "Llama🦙2", "👍", "👍", "и", "𝔅ERT", "🚀"), ("O", "B-Model", "O", "O", "O", "B-Model", "O")),
]


@pytest.mark.parametrize("tags_as", ["annotations", "predictions"])
def test_astral_characters_go_in_code_points_and_come_back_exactly(ls_client, ls_project, tmp_path, tags_as):
    from ner.records import Document, Sentence

    doc = Document("astral", tuple(Sentence(w, t) for w, t in ASTRAL_DOC))
    title = ls_project(load_schema())
    push(ls_client, title, [doc], tags_as=tags_as, model_version="v1")
    [task] = list(ls_client.iter_tasks(ls_client.project(title)["id"]))
    text = task["data"]["text"]
    assert text.startswith("🚀 🚀 Компания OpenAI выпустила GPT-4 👍 в 2023 году.")
    [entry] = task[tags_as]
    stored = [(r["value"]["start"], r["value"]["end"], r["value"]["text"]) for r in entry["result"]]
    # What the server keeps are code points: the issue's 13:19, 30:35, 40:49, and the rest likewise.
    assert stored[:3] == [(13, 19, "OpenAI"), (30, 35, "GPT-4"), (40, 49, "2023 году")]
    assert all(text[s:e] == shown for s, e, shown in stored) and len(stored) == 5
    if tags_as == "predictions":
        return
    back = pull(ls_client, title)
    assert back.report.issues == []
    assert sentences_of(back.documents[""]) == ASTRAL_DOC
    path = tmp_path / "export.json"
    path.write_bytes(ls_client.export(task["project"], "JSON"))
    _, converted = convert_export(path)
    assert converted.report.issues == [] and sentences_of(converted.documents[""]) == ASTRAL_DOC


def dm_data_columns(labelstudio, project_id: int) -> list[str]:
    """The task-data columns the Data Manager shows (what its frontend asks /api/dm/columns for)."""
    import httpx

    r = httpx.get(f"{labelstudio.url}/api/dm/columns", params={"project": project_id}, timeout=30,
                  headers={"Authorization": f"Token {labelstudio.api_key}"})
    r.raise_for_status()
    return [c["id"] for c in r.json()["columns"] if c.get("parent") == "data"]


def test_bookkeeping_stays_out_of_the_data_manager_and_long_files_become_several_tasks(
        ls_client, ls_project, labelstudio, tmp_path, capsys):
    path = tmp_path / "long.conll"  # no -DOCSTART-: one document
    path.write_text("".join(f"Модель\tO\nBERT-{k}\tB-Model\nвышла\tO\n.\tO\n\n" for k in range(23)),
                    encoding="utf-8")
    title = ls_project(load_schema())
    argv = ["--project", title, "--url", labelstudio.url, "--api-key", labelstudio.api_key]
    assert main(["ls", "push", str(path), *argv]) == 0
    assert ("1 document(s) as 3 task(s), tasks of at most 10 sentences / 1500 characters"
            in capsys.readouterr().out)
    project_id = ls_client.project(title)["id"]
    assert dm_data_columns(labelstudio, project_id) == ["text", "ner"]
    [(_, tab)] = ls_client.list_views(project_id)  # the one tab, made by the push, hides the bookkeeping
    assert tab["title"] == "Default"
    assert all("tasks:data.ner" in tab["hiddenColumns"][mode] for mode in ("explore", "labeling"))
    out = tmp_path / "back.conll"
    assert main(["ls", "pull", str(out), *argv]) == 0
    assert sentences_of(read_conll(out)) == sentences_of(read_conll(path))
    assert len(list(read_conll(out))) == 1


def test_the_key_is_content_layout_is_refused_and_changed_documents_exit_1(
        ls_client, ls_project, labelstudio, tmp_path, capsys):
    seed = tmp_path / "ml_ru_seed.conll"
    seed.write_bytes(SEED.read_bytes())
    title = ls_project(load_schema())
    argv = ["--project", title, "--url", labelstudio.url, "--api-key", labelstudio.api_key]
    assert main(["ls", "push", str(seed), *argv]) == 0
    n = len(list(ls_client.iter_tasks(ls_client.project(title)["id"], with_results=False)))
    capsys.readouterr()
    renamed = tmp_path / "ml_ru_seed.fixed.conll"  # the same text under another file name
    renamed.write_bytes(SEED.read_bytes())
    assert main(["ls", "push", str(renamed), *argv]) == 0
    out = capsys.readouterr().out
    assert f"0 task(s) created, {n} already there" in out
    # Another layout: refused, nothing created.
    assert main(["ls", "push", str(seed), "--sentences-per-task", "3", *argv]) == 1
    out = capsys.readouterr().out
    assert "layout: 1 document(s) are in the project cut another way and were not pushed: 'ml_ru_seed'" in out
    assert "0 task(s) created" in out
    # Changed documents: one summary line, exit 1.
    changed = []
    for k in range(7):
        p = tmp_path / f"doc{k}.conll"
        p.write_text(f"BERT\tB-Model\nверсия\tO\n{k}\tO\n", encoding="utf-8")
        changed.append(p)
    assert main(["ls", "push", *map(str, changed), *argv]) == 0
    for p in changed:
        p.write_text(p.read_text(encoding="utf-8").replace("версия", "выпуск"), encoding="utf-8")
    capsys.readouterr()
    assert main(["ls", "push", *map(str, changed), *argv]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if "changed" in line]
    assert lines[0] == ("changed: 7 document(s) differ from their tasks in the project and were not pushed: "
                        "'doc0', 'doc1', 'doc2', 'doc3', 'doc4' and 2 more; delete those tasks in Label Studio "
                        "to push the new versions")
    assert len(lines) == 2 and lines[1].startswith("0 task(s) created, 0 already there, 7 document(s) changed")
    assert len(list(ls_client.iter_tasks(ls_client.project(title)["id"], with_results=False))) == n + 7


def test_exports_of_pushed_tasks_json_is_lossless_json_min_says_what_it_lacks(ls_client, ls_project, tmp_path):
    docs = list(read_conll(SEED))
    title = ls_project(load_schema())
    project_id = push(ls_client, title, docs).project_id
    path = tmp_path / "export.json"
    path.write_bytes(ls_client.export(project_id, "JSON"))
    _, full = convert_export(path)
    assert full.report.issues == [] and sentences_of(full.documents[""]) == sentences_of(docs)
    assert [d.id for d in full.documents[""]] == [d.id for d in docs]
    path.write_bytes(ls_client.export(project_id, "JSON_MIN"))
    _, short = convert_export(path)
    assert [i.code for i in short.report.issues] == ["W207"]


TAGGED = [  # ``ner tag`` output (text + entities with scores) and ``ner consensus`` output (spans with scores)
    {"line": 1, "text": "Яндекс выложил YaLM.", "score": 0.5,
     "entities": [{"start": 0, "end": 6, "label": "Organization", "text": "Яндекс", "score": 0.62},
                  {"start": 15, "end": 19, "label": "Model", "text": "YaLM", "score": 0.97}]},
    {"line": 2, "text": "Сбер обучил GigaChat.", "score": 0.9,
     "entities": [{"start": 12, "end": 20, "label": "Model", "text": "GigaChat", "score": 0.91}]},
    {"id": "consensus:1", "text": "Meta выпустила Llama.", "tokens": ["Meta", "выпустила", "Llama", "."],
     "tags": ["B-Organization", "O", "B-Model", "O"], "score": 0.2,
     "spans": [{"start": 0, "end": 4, "label": "Organization", "text": "Meta", "score": 0.3},
               {"start": 15, "end": 20, "label": "Model", "text": "Llama", "score": 0.44}]},
]


def test_span_scores_become_prediction_scores_and_the_least_sure_task_comes_first(ls_client, ls_project,
                                                                                   labelstudio, tmp_path):
    from ner.labelstudio.views import UNCERTAIN, uncertain_first

    path = tmp_path / "tagged.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in TAGGED), encoding="utf-8")
    title = ls_project(load_schema())
    argv = ["--project", title, "--url", labelstudio.url, "--api-key", labelstudio.api_key]
    assert main(["ls", "push", str(path), "--as", "predictions", "--model-version", "tag-v1",
                 "--sentences-per-task", "1", *argv]) == 0
    project_id = ls_client.project(title)["id"]
    tasks = list(ls_client.iter_tasks(project_id))
    got = {t["data"]["text"]: (t["predictions"][0]["score"], [(r["value"]["text"], r["score"])
                                                              for r in t["predictions"][0]["result"]])
           for t in tasks}
    assert got == {"Яндекс выложил YaLM.": (0.62, [("Яндекс", 0.62), ("YaLM", 0.97)]),
                   "Сбер обучил GigaChat.": (0.91, [("GigaChat", 0.91)]),
                   "Meta выпустила Llama.": (0.3, [("Meta", 0.3), ("Llama", 0.44)])}
    uncertain_first(ls_client, project_id)                  # "sorted by score": the least sure first
    (tab,) = [i for i, d in ls_client.list_views(project_id) if d["title"] == UNCERTAIN]
    listed = [t.data["text"] for t in ls_client._sdk.tasks.list(project=project_id, view=tab, fields="all")]
    assert listed == ["Meta выпустила Llama.", "Яндекс выложил YaLM.", "Сбер обучил GigaChat."]
    # tasks already there get the scores too when the predictions are attached later
    again = ls_project(load_schema())
    docs = list(load(path))
    push(ls_client, again, docs, tags_as=None, layout=Layout(sentences=1))
    assert push(ls_client, again, docs, tags_as="predictions", model_version="tag-v2",
                layout=Layout(sentences=1)).attached == 3
    scores = {t["data"]["text"]: t["predictions"][0]["score"] for t in ls_client.iter_tasks(ls_client.project(again)["id"])}
    assert scores == {"Яндекс выложил YaLM.": 0.62, "Сбер обучил GigaChat.": 0.91, "Meta выпустила Llama.": 0.3}


def test_annotations_submitted_as_pre_annotated_are_counted_and_their_sentences_known(ls_client, ls_project,
                                                                                      monkeypatch, labelstudio,
                                                                                      tmp_path, capsys):
    """A pre-annotation accepted unchecked holds the model's errors (issue 23's model-made family), and Label Studio
    records which prediction an annotation was made from; a pull said nothing of it."""
    from ner.quality.critic.suspects import project_items, quality
    from ner.records import Document, Sentence

    title = ls_project(load_schema())
    docs = [Document(f"d{k}", (Sentence(("Мы", "обучили", "Llama", str(k), "."),
                                        ("O", "O", "B-Model", "I-Model", "O")),
                               Sentence(("Компания", "Яндекс", "."), ("O", "B-Organization", "O"))))
            for k in range(4)]
    project_id = push(ls_client, title, docs, tags_as="predictions", model_version="navec-v1").project_id
    tasks = sorted(ls_client.iter_tasks(project_id), key=lambda t: t["id"])
    sdk = ls_client._sdk
    for k, task in enumerate(tasks):
        [made_from] = task["predictions"]
        result = [dict(r, origin="prediction") for r in made_from["result"]]
        if k == 0:     # as the editor saves a submit of the pre-annotation: its id, its regions, a lead time
            sdk.annotations.create(id=task["id"], result=result, parent_prediction=made_from["id"], lead_time=3.0)
        elif k == 1:   # the same, taken as the editor's start, one region deleted before the submit
            sdk.annotations.create(id=task["id"], result=result[:1], parent_prediction=made_from["id"], lead_time=9.0)
        elif k == 2:   # the same regions, drawn by hand (no prediction behind it): the annotator's own reading
            sdk.annotations.create(id=task["id"], result=[dict(r, origin="manual") for r in made_from["result"]])
        else:          # unchanged again, no lead time recorded
            sdk.annotations.create(id=task["id"], result=result, parent_prediction=made_from["id"])
    result = pull(ls_client, title)
    assert (result.accepted.pulled, result.accepted.lead_times) == (4, {"navec-v1": [3.0, None]})
    placed = sorted(result.accepted.places.items())
    assert len(placed) == 4 and {v for _, v in placed} == {"navec-v1"}           # 2 tasks x 2 sentences
    assert {n for (_, _, n), _ in placed} == {0, 1}
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", labelstudio.api_key)
    assert main(["ls", "pull", "--project", title, str(tmp_path / "back.conll")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == ("2 of the 4 annotation(s) read were submitted exactly as model 'navec-v1' pre-annotated "
                       "them (median 3 s on a task; the 1 changed from it: median 9 s on a task): they hold its "
                       f"errors unless someone read them closely ('ner critic --project {title}' reports their "
                       "sentences apart)")
    # a JSON export says the same; a JSON-MIN one cannot, and says so
    for kind, said in (("JSON", out[-1].split(" ('ner critic")[0]), ("JSON_MIN", None)):
        (tmp_path / "e.json").write_bytes(ls_client.export(project_id, kind))
        assert main(["ls", "convert", str(tmp_path / "e.json"), str(tmp_path / "e.conll")]) == 0
        lines = capsys.readouterr().out.splitlines()
        if said:
            assert lines[-1] == said
        else:
            assert lines[0].endswith(": JSON-MIN export (it does not record the predictions annotations were made "
                                     "from: none is counted as accepted unchanged; a JSON export does)")
            assert "pre-annotated" not in lines[-1]
    # the critic, reading the project, counts those sentences apart
    items, _ = project_items(ls_client, title)
    by_doc = {}
    for it in items:
        by_doc.setdefault(it.document, []).append((it.sentence.words[0], it.accepted))
    assert by_doc == {f"d{k}": [("Мы", "navec-v1" if k in (0, 3) else ""),
                                ("Компания", "navec-v1" if k in (0, 3) else "")] for k in range(4)}
    groups = quality(items, [])
    assert groups["submitted as 'navec-v1' pre-annotated it"]["sentences"] == 4


def test_a_pull_with_unannotated_says_how_many_tasks_it_wrote_all_o(ls_client, ls_project, monkeypatch, labelstudio,
                                                                     tmp_path, capsys):
    """--unannotated wrote tasks nobody had annotated as sentences without entities, and the summary did not say how
    many (the trial): a training run reads them as real negatives."""
    from ner.records import Document, Sentence

    title = ls_project(load_schema())
    docs = [Document(f"d{k}", (Sentence(("Модель", f"M{k}", "."), ("O", "B-Model", "O")),)) for k in range(3)]
    project_id = push(ls_client, title, docs, tags_as=None).project_id
    [first, *_] = sorted(ls_client.iter_tasks(project_id), key=lambda t: t["id"])
    ls_client._sdk.annotations.create(id=first["id"], result=spans_to_results(
        first["data"]["text"], [Span(7, 9, "Model", "M0")], "label", "text"))
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", labelstudio.api_key)
    out = tmp_path / "all.conll"
    assert main(["ls", "pull", "--project", title, str(out), "--unannotated"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == ["3 task(s), 1 annotated: 0 error(s), 0 warning(s)",
                          "2 task(s) nobody annotated written all O (--unannotated): to a training run they are "
                          "sentences without entities"]
    assert sorted(tags for _, tags in sentences_of(read_conll(out))) == [("O", "B-Model", "O"), ("O", "O", "O"),
                                                                        ("O", "O", "O")]
    assert main(["ls", "pull", "--project", title, str(out)]) == 0
    assert "nobody annotated" not in capsys.readouterr().out


def test_a_pull_of_every_annotator_names_their_files_by_e_mail(ls_client, ls_project, monkeypatch, labelstudio,
                                                                tmp_path, capsys):
    """The JSON export names annotators by user id: --all wrote out.1.conll, and the critic's groups read
    "annotator 1" (the trial), where ner agreement already named them by e-mail."""
    from ner.records import Document, Sentence

    title = ls_project(load_schema())
    project_id = push(ls_client, title, [Document("d", (Sentence(("Модель", "M", "."), ("O", "O", "O")),))],
                      tags_as=None).project_id
    [task] = ls_client.iter_tasks(project_id)
    name = f"pull-{title[-8:]}"
    other = ls_client._sdk.users.create(email=f"{name}@ner.local", username=name, password="ner-local-pull")
    for who, spans in ((ls_client.user.id, [Span(7, 8, "Model", "M")]), (other.id, [])):
        ls_client._sdk.annotations.create(id=task["id"], completed_by=who,
                                          result=spans_to_results(task["data"]["text"], spans, "label", "text"))
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", labelstudio.api_key)
    assert main(["ls", "pull", "--project", title, str(tmp_path / "out.conll"), "--all"]) == 0
    written = sorted(p.name for p in tmp_path.glob("out.*.conll"))
    assert written == sorted([f"out.{ls_client.user.email}.conll", f"out.{name}@ner.local.conll"])
    assert sentences_of(read_conll(tmp_path / f"out.{name}@ner.local.conll")) == [(("Модель", "M", "."),
                                                                                   ("O", "O", "O"))]
