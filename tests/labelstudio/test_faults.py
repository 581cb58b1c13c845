"""Faults between the client and the real Label Studio, through a real proxy (faulty_proxy.py):
503 answers, connections dropped before and after the server stored an import, truncated
pages; a push cut off half-way; pagination over several pages. No task is lost or sent twice."""

from __future__ import annotations

from collections import Counter

import pytest

from ner.errors import UserError
from ner.labelstudio.client import Client, Connection
from ner.labelstudio.sync import contains, pull, push
from ner.labelstudio.tasks import task_info
from ner.records import Document, Sentence
from ner.schema import load_schema
from tests.labelstudio.faulty_proxy import FaultyProxy

pytestmark = pytest.mark.labelstudio


def corpus(n: int) -> list[Document]:
    return [Document(f"d{k}", (Sentence(("BERT", "обучили", "на", f"корпусе{k}", "."),
                                        ("B-Model", "O", "O", "B-Dataset", "O")),)) for k in range(n)]


def server_keys(client: Client, project_id: int) -> Counter:
    """How many times each document is in the project (listed directly, one page)."""
    return Counter(task_info(t)["doc"] for t in client.iter_tasks(project_id, with_results=False))


def sentences_of(docs):
    return sorted((s.words, s.tags) for d in docs for s in d.sentences)


@pytest.fixture
def direct(labelstudio):
    return Client(Connection(labelstudio.url, labelstudio.api_key))


def through(proxy: FaultyProxy, api_key: str, **kwargs) -> Client:
    return Client(Connection(proxy.url, api_key, backoff=0.02, **kwargs))


def test_push_retries_503_drops_and_cut_pages_and_sends_each_task_once(labelstudio, ls_project, direct):
    docs = corpus(23)
    title = ls_project(load_schema())
    assert push(direct, title, docs[:8], batch_size=4).created == 8  # two batches already there
    with FaultyProxy(labelstudio.url) as proxy:
        client = through(proxy, labelstudio.api_key, retries=3, page_size=2)
        proxy.fail("GET", "page=2&page_size=2", "503")  # the listing: 8 tasks in pages of 2
        proxy.fail("GET", "page=3&page_size=2", "cut")
        proxy.fail("POST", "/import", "503")  # not forwarded
        proxy.fail("POST", "/import", "drop_after")  # stored by the server, the answer lost
        proxy.fail("POST", "/import", "drop")  # lost before reaching the server
        result = push(client, title, docs, batch_size=4)
        assert proxy.faults == []
        assert proxy.actions("POST", "/import") == ["503", "drop_after", "drop", "pass", "pass", "pass"]
        pages = [(p.split("page=")[1].split("&")[0], "query" in p, a) for m, p, a in proxy.log
                 if m == "GET" and "page_size=2" in p]
        # Counts tell the first two batches are there; the third's slot is empty, so the project is
        # listed once, every page, the failed ones asked again (the fifth, past the end, answers empty or 404).
        assert pages[:8] == [("1", True, "pass"), ("1", False, "pass"), ("2", False, "503"), ("2", False, "pass"),
                             ("3", False, "cut"), ("3", False, "pass"), ("4", False, "pass"), ("5", False, "pass")]
        assert [q for _, q, _ in pages[8:]] == [True] * len(pages[8:])  # then only the batches' own digests
    assert (result.created, result.unchanged, result.changed) == (15, 8, [])
    project_id = result.project_id
    assert server_keys(direct, project_id) == Counter(d.id for d in docs)
    back = pull(direct, title)
    assert back.report.issues == [] and sentences_of(back.documents[""]) == sentences_of(docs)

    with FaultyProxy(labelstudio.url) as proxy:
        again = push(through(proxy, labelstudio.api_key, page_size=2), title, docs, batch_size=4)
        # Unchanged: one count of the six batch digests (page_size=1), one of the tasks without an annotation
        # (none: nothing to attach), no listing, no import.
        [get, unannotated] = [p for m, p, _ in proxy.log if m == "GET" and p.startswith("/api/tasks")]
        assert "page_size=1&" in get and get.count("%7Cbatch%3A") == 6
        assert "page_size=1&" in unannotated and "total_annotations" in unannotated
        assert proxy.actions("POST") == []
    assert (again.created, again.unchanged, again.changed) == (0, 23, [])


def test_push_cut_off_half_way_fails_in_one_line_and_resumes_without_duplicates(labelstudio, ls_project, direct):
    docs = corpus(20)
    title = ls_project(load_schema())
    with FaultyProxy(labelstudio.url) as proxy:
        client = through(proxy, labelstudio.api_key, retries=2)
        # whoami, project, count of batch 1, count of all, then two imports; then the proxy refuses.
        proxy.refuse_after = 6
        with pytest.raises(UserError) as failed:
            push(client, title, docs, batch_size=4)
        # The third import fails; before retrying, asking which of its tasks arrived fails 3 times too.
        assert [(m, a) for m, _, a in proxy.log[4:]] == [("POST", "pass"), ("POST", "pass"), ("POST", "503")] + \
               [("GET", "503")] * 3
        assert all("%7Cbatch%3A" in p for _, p, _ in proxy.log[-3:])
    message = str(failed.value)
    assert "\n" not in message and "stopped with 8 task(s) created" in message and "503" in message
    assert message.endswith("run the command again, it resumes")
    project_id = direct.project(title)["id"]
    assert server_keys(direct, project_id) == Counter(d.id for d in docs[:8])

    resumed = push(direct, title, docs, batch_size=4)
    assert (resumed.created, resumed.unchanged, resumed.changed) == (12, 8, [])
    assert server_keys(direct, project_id) == Counter(d.id for d in docs)
    back = pull(direct, title)
    assert sentences_of(back.documents[""]) == sentences_of(docs)


def test_listing_pages_agree_with_the_count_at_every_page_size(labelstudio, ls_project, direct):
    docs = corpus(10)
    title = ls_project(load_schema())
    project_id = push(direct, title, docs, batch_size=3).project_id
    assert direct.count_tasks(project_id) == 10
    digests = Counter(task_info(t)["batch"] for t in direct.iter_tasks(project_id, with_results=False))
    assert sorted(digests.values()) == [1, 3, 3, 3] and all(d.endswith(f"-{n}") for d, n in digests.items())
    for digest, n in digests.items():
        assert direct.count_tasks(project_id, contains("batch", [digest]), "contains") == n
        assert len(list(direct.iter_tasks(project_id, with_results=False, where=contains("batch", [digest]),
                                          operator="contains",
                                          page_size=2))) == n
    for page_size in (3, 10):  # a short last page; an exact fit, whose next page is past the end
        ids = [t["id"] for t in direct.iter_tasks(project_id, with_results=False, page_size=page_size)]
        assert len(ids) == len(set(ids)) == 10


def test_create_project_retried_after_a_lost_answer_creates_one_project(labelstudio, direct):
    import uuid

    from ner.labelstudio.sync import init_project

    title = f"faults-{uuid.uuid4().hex[:8]}"
    with FaultyProxy(labelstudio.url) as proxy:
        client = through(proxy, labelstudio.api_key, retries=3)
        proxy.fail("POST", "/api/projects", "drop_after")  # created by the server, the answer lost
        proxy.fail("POST", "/api/projects", "503")  # would be a second attempt
        try:
            project, created = init_project(client, title, load_schema())
        finally:
            same = [p for p in direct._sdk.projects.list(title=title, page_size=100) if p.title == title]
            for p in same:
                direct.delete_project(p.id)
        assert proxy.actions("POST", "/api/projects") == ["drop_after"]
    assert created and [p.id for p in same] == [project["id"]]


def test_a_changed_document_costs_a_few_counts_and_one_slot_listing(labelstudio, ls_project, direct):
    docs = corpus(24)
    title = ls_project(load_schema())
    assert push(direct, title, docs, batch_size=4).created == 24  # six batches
    edited = list(docs)
    first = edited[13].sentences[0]
    edited[13] = Document("d13", (Sentence(first.words[:-1] + ("!",), first.tags),))
    with FaultyProxy(labelstudio.url) as proxy:
        result = push(through(proxy, labelstudio.api_key), title, edited, batch_size=4)
        gets = [p for m, p, _ in proxy.log if m == "GET" and p.startswith("/api/tasks")]
    assert (result.created, result.unchanged, result.changed) == (0, 23, ["d13"])
    unannotated = [p for p in gets if "total_annotations" in p]  # is there a text-only task to annotate? no
    counts = [p for p in gets if "page_size=1&" in p and p not in unannotated]
    listings = [p for p in gets if "page_size=1&" not in p]
    assert len(unannotated) == 1
    # The group of six (one task short), its first half (whole), then the fourth batch (the short one); the
    # other halves' counts are the rest of their group's.
    assert len(counts) == 3
    assert len(listings) == 1 and "slot%3A" in listings[0]  # that batch's slot only, not the project


def test_pull_does_not_trust_an_export_that_is_short_of_the_projects_tasks(labelstudio, ls_project, direct):
    docs = corpus(5)
    title = ls_project(load_schema())
    push(direct, title, docs)
    with FaultyProxy(labelstudio.url) as proxy:
        proxy.fail("GET", "/export", "short")
        back = pull(through(proxy, labelstudio.api_key), title)
        assert proxy.actions("GET", "/export") == ["short"]
    assert sentences_of(back.documents[""]) == sentences_of(docs)
