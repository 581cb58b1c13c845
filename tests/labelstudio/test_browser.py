"""What an annotator sees: regions pushed by ``ner ls push`` drawn by Label Studio in headless Chromium.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package (see
``../shared/tools/ls_screenshot.py`` for the set-up); skipped with the reason when absent.
The check reads the highlighted spans the editor draws (their text and order) and keeps a
screenshot in the test's tmp directory (``NER_SHOTS=DIR`` keeps a copy there).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from ner.labelstudio.layout import Layout
from ner.labelstudio.sync import push
from ner.records import Document, Sentence
from ner.schema import load_schema
from tests.labelstudio.test_server import ASTRAL_DOC

pytestmark = pytest.mark.labelstudio

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
USER, PASSWORD = "admin@ner.local", "ner-local-admin"  # the local server's admin (scripts/labelstudio.sh)


@pytest.fixture(scope="module")
def browser(labelstudio):
    """A headless Chromium logged in to the local server."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    if not (CHROMIUM.exists() and DRIVER.exists()):
        pytest.skip("no /usr/bin/chromium and chromedriver (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,900"):
        options.add_argument(arg)
    options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    log_in(driver, labelstudio.url)
    yield driver
    driver.quit()


def log_in(driver, base: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/user/login")
    WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.NAME, "email")))
    driver.find_element(By.NAME, "email").send_keys(USER)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: "/user/login" not in d.current_url)


def drawn_regions(driver, url: str, expected: int, timeout: float = 60) -> list[str]:
    """The texts of the highlighted regions on the task page, once ``expected`` of them are drawn."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    deadline = time.monotonic() + timeout
    while True:
        found = driver.find_elements(By.CSS_SELECTOR, "span.htx-highlight")
        if len(found) >= expected or time.monotonic() > deadline:
            time.sleep(0.5)  # let the last region settle
            return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "span.htx-highlight")]
        time.sleep(0.5)


@pytest.mark.parametrize("tags_as", ["predictions", "annotations"])
def test_regions_with_astral_characters_are_drawn_on_their_words(browser, labelstudio, ls_client, ls_project,
                                                                 tmp_path, tags_as):
    doc = Document("astral", tuple(Sentence(w, t) for w, t in ASTRAL_DOC))
    title = ls_project(load_schema(), prefix="browser")
    project_id = push(ls_client, title, [doc], tags_as=tags_as, model_version="v1").project_id
    [task] = list(ls_client.iter_tasks(project_id, with_results=False))
    drawn = drawn_regions(browser, f"{labelstudio.url}/projects/{project_id}/data?task={task['id']}", 5)
    shot = tmp_path / f"astral-{tags_as}.png"
    browser.save_screenshot(str(shot))
    if os.environ.get("NER_SHOTS"):
        shutil.copy(shot, Path(os.environ["NER_SHOTS"]) / shot.name)
    assert drawn == ["OpenAI", "GPT-4", "2023 году", "Llama🦙2", "𝔅ERT"]


def test_the_data_manager_shows_the_text_and_no_bookkeeping_column(browser, labelstudio, ls_client, ls_project,
                                                                    tmp_path):
    from selenium.webdriver.common.by import By

    doc = Document("astral", tuple(Sentence(w, t) for w, t in ASTRAL_DOC))
    title = ls_project(load_schema(), prefix="browser")
    project_id = push(ls_client, title, [doc]).project_id
    browser.get(f"{labelstudio.url}/projects/{project_id}/data")
    deadline = time.monotonic() + 60
    while "Компания" not in browser.find_element(By.TAG_NAME, "body").text and time.monotonic() < deadline:
        time.sleep(0.5)
    browser.save_screenshot(str(tmp_path / "data-manager.png"))
    lines = browser.find_element(By.TAG_NAME, "body").text.splitlines()
    assert "text" in lines and "Annotated by" in lines  # the column headers are there
    assert [line for line in lines if line.startswith("ner")] == []
    head = [h for h in lines[lines.index("ID"):] if h != "str"]
    assert head[:3] == ["ID", "Annotated by", "text"]   # the text near the left edge, internals hidden
    assert [h for h in INTERNAL + ("Completed",) if h in lines] == []


def body_lines(driver, url: str, *wanted: str, timeout: float = 60) -> list[str]:
    """The page's visible text lines once every one of ``wanted`` is among them (a column header may
    also be the "Order by" button's text: wait for a row's text too)."""
    from selenium.webdriver.common.by import By

    driver.get(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = driver.find_element(By.TAG_NAME, "body").text.splitlines()
        if all(any(w in line for line in lines) for w in wanted):
            break
        time.sleep(0.5)
    time.sleep(1)
    return driver.find_element(By.TAG_NAME, "body").text.splitlines()


def submit_open_task(driver, read_back, timeout: float = 30):
    """Click Submit on the task shown, checked open (no Update button, Submit enabled), and what
    ``read_back()`` returns once it is non-empty (or at the timeout)."""
    from selenium.webdriver.common.by import By

    assert "Update" not in driver.find_element(By.TAG_NAME, "body").text.splitlines()
    (submit,) = [b for b in driver.find_elements(By.TAG_NAME, "button") if b.text.strip() == "Submit"]
    assert submit.is_enabled() and submit.get_attribute("disabled") is None
    submit.click()
    deadline = time.monotonic() + timeout
    while not (got := read_back()) and time.monotonic() < deadline:
        time.sleep(0.5)
    return got


# Label Studio's own columns that a reader of the text does not need (their header titles in 1.23)
INTERNAL = ("Inner ID", "Annotation results", "Annotation IDs", "Prediction results", "Prediction model versions",
            "Created at", "Updated at", "Updated by", "Upload filename", "Storage filename", "Lead Time")


def test_the_review_queue_is_worked_in_the_browser(browser, labelstudio, ls_client, ls_project, tmp_path):
    """Open tasks, most suspect first, only readable columns; the editor starts from the sentence as it
    stands with the note under it, Submit is enabled, and one click on it is a "kept" verdict."""
    from selenium.webdriver.common.by import By

    from ner.labelstudio.review import ReviewItem, Version, push_queue, read_queue

    title = ls_project(load_schema(), prefix="browser")
    calm = ReviewItem("a", Sentence(("Мы", "обучили", "Llama", "3"), ("O", "O", "B-Model", "I-Model")), 0.2,
                      "x.conll:1", "«Llama 3»: Model?")
    hot = ReviewItem("b", Sentence(("Команда", "Яндекса", "выпустила", "YaLM"), ("O", "B-Model", "O", "B-Model")),
                     0.9, "x.conll:6", "«Яндекса»: Model или Organization?",
                     (Version("critic", ("O", "B-Organization", "O", "B-Model")),))
    assert push_queue(ls_client, title, [calm, hot], ["Model", "Organization"]) == 2
    project = ls_client.project(title)
    lines = body_lines(browser, f"{labelstudio.url}/projects/{project['id']}/data", "Команда Яндекса", "x.conll:6")
    browser.save_screenshot(str(tmp_path / "review-queue.png"))
    assert "Review queue" in lines[:lines.index("Actions")]                   # the tab the project opens on
    head = [h for h in lines[lines.index("ID"):] if h != "str"]
    assert head[:5] == ["ID", "text", "note", "suspicion", "where"]            # the text first, the score beside it
    assert [h for h in INTERNAL + ("Completed", "Annotated by", "ner") if h in lines] == []
    rows = [line for line in lines if line.startswith(("Команда", "Мы обучили"))]
    assert rows == ["Команда Яндекса выпустила YaLM", "Мы обучили Llama 3"]           # most suspect first
    task_id = next(t["id"] for t in ls_client.iter_tasks(project["id"], with_results=False)
                   if t["data"]["where"] == "x.conll:6")
    url = f"{labelstudio.url}/projects/{project['id']}/data?task={task_id}"
    assert drawn_regions(browser, url, 2) == ["Яндекса", "YaLM"]
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "«Яндекса»: Model или Organization?" in page and "kept" in page and "fixed" in page
    # the suspicion (0.9) is the column's: shown on the versions' tabs and beside each region, it read as a
    # confidence in them ("critic · 90.00%", "0.90" beside an unrelated region: the trial)
    assert "%" not in page and "0.90" not in page
    browser.save_screenshot(str(tmp_path / "review-task.png"))
    if os.environ.get("NER_SHOTS"):
        for name in ("review-queue.png", "review-task.png"):
            shutil.copy(tmp_path / name, Path(os.environ["NER_SHOTS"]) / name)
    [verdict] = submit_open_task(browser, lambda: read_queue(ls_client, title))
    assert (verdict.key, verdict.verdict, verdict.ticked) == ("b", "kept", False)
    assert verdict.after.tags == hot.sentence.tags                     # the current version, not the suggestion
    # the other task: the reviewer ticks "fixed" (one click) and submits
    calm_id = next(t["id"] for t in ls_client.iter_tasks(project["id"], with_results=False)
                   if t["data"]["where"] == "x.conll:1")
    assert drawn_regions(browser, f"{labelstudio.url}/projects/{project['id']}/data?task={calm_id}", 1) == ["Llama 3"]
    browser.find_element(By.XPATH, "//*[normalize-space(text())='fixed']").click()
    (submit,) = [b for b in browser.find_elements(By.TAG_NAME, "button") if b.text.strip() == "Submit"]
    submit.click()
    deadline = time.monotonic() + 30
    while len(done := read_queue(ls_client, title)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert {(r.key, r.verdict, r.ticked) for r in done} == {("b", "kept", False), ("a", "fixed", True)}


def test_the_select_tab_shows_the_text_rank_and_score_first(browser, labelstudio, ls_client, ls_project, tmp_path):
    from ner.quality.select import Candidate, Choice
    from ner.quality.select_pool import mark_project

    doc = Document("astral", tuple(Sentence(w, t) for w, t in ASTRAL_DOC))
    title = ls_project(load_schema(), prefix="browser")
    project_id = push(ls_client, title, [doc], layout=Layout(sentences=1), tags_as=None).project_id
    tasks = sorted(ls_client.iter_tasks(project_id), key=lambda t: t["id"])
    choices = [Choice(Candidate(f"task {t['id']}", t["data"]["text"], (), task=t["id"]), k + 1, 0.9 - 0.1 * k,
                      None, None, None, None) for k, t in enumerate(reversed(tasks))]
    mark_project(ls_client, project_id, tasks, choices)
    lines = body_lines(browser, f"{labelstudio.url}/projects/{project_id}/data", "ner_select_score", "00001")
    browser.save_screenshot(str(tmp_path / "select-tab.png"))
    if os.environ.get("NER_SHOTS"):
        shutil.copy(tmp_path / "select-tab.png", Path(os.environ["NER_SHOTS"]) / "select-tab.png")
    assert lines[:lines.index("Actions")].index("ner select") < lines[:lines.index("Actions")].index("Default")
    head = [h for h in lines[lines.index("ID"):] if h != "str"]
    assert head[:4] == ["ID", "text", "ner_select", "ner_select_score"]
    assert [h for h in INTERNAL + ("Completed", "Annotated by", "ner") if h in lines] == []


def test_the_uncertain_first_tab_shows_the_score_beside_the_text(browser, labelstudio, ls_client, ls_project,
                                                                  tmp_path):
    from ner.labelstudio.views import uncertain_first

    doc = Document("astral", tuple(Sentence(w, t) for w, t in ASTRAL_DOC))
    title = ls_project(load_schema(), prefix="browser")
    project_id = push(ls_client, title, [doc], layout=Layout(sentences=1), tags_as="predictions",
                      model_version="v1").project_id
    uncertain_first(ls_client, project_id)
    (tab,) = [i for i, d in ls_client.list_views(project_id) if d["title"] == "Uncertain first"]
    lines = body_lines(browser, f"{labelstudio.url}/projects/{project_id}/data?tab={tab}", "Prediction score",
                       "Компания")
    browser.save_screenshot(str(tmp_path / "uncertain-tab.png"))
    head = [h for h in lines[lines.index("ID"):] if h != "str"]
    assert head[:3] == ["ID", "Prediction score", "text"]
    assert [h for h in INTERNAL + ("Completed", "Annotated by") if h in lines] == []


def test_a_pre_annotation_submitted_in_the_editor_as_it_stood_is_pulled_as_accepted(browser, labelstudio, ls_client,
                                                                                    ls_project):
    """What Label Studio's own editor records on a submit of a pre-annotated task, one click, nothing changed:
    the pull tells it from the annotator's own work (issue 23: unchecked pre-annotations hold the model's errors)."""
    from ner.labelstudio.sync import pull

    doc = Document("d", (Sentence(("Мы", "обучили", "Llama", "3", "."), ("O", "O", "B-Model", "I-Model", "O")),
                         Sentence(("Компания", "Яндекс", "."), ("O", "B-Organization", "O"))))
    title = ls_project(load_schema(), prefix="browser")
    project_id = push(ls_client, title, [doc], tags_as="predictions", model_version="navec-v1").project_id
    [task] = list(ls_client.iter_tasks(project_id, with_results=False))
    assert drawn_regions(browser, f"{labelstudio.url}/projects/{project_id}/data?task={task['id']}", 2) == [
        "Llama 3", "Яндекс"]
    result = submit_open_task(browser, lambda: (r := pull(ls_client, title)).documents and r)
    assert (result.accepted.pulled, list(result.accepted.lead_times)) == (1, ["navec-v1"])
    assert sorted(result.accepted.places.values()) == ["navec-v1", "navec-v1"]
