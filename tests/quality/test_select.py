"""ner select: the uncertainty measures, the diversity penalty against a plain reference, pools,
a really trained model, and the real Label Studio server (the chosen tasks come first)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ner.cli import main
from ner.errors import UserError
from ner.quality.select import Candidate, greedy, ngram_vectors, priorities, select, uncertainty
from ner.quality.select_pool import looks_like_conll, pool_from_path
from tests.conftest import SEED


def cand(text, where=None):
    return Candidate(where or text, text, (tuple(text.split()),))


def test_uncertainty_values():
    confident = [np.array([[0.99, 0.01], [0.98, 0.02]])]
    unsure = [np.array([[0.99, 0.01]]), np.array([[0.4, 0.35, 0.25]])]
    m, least, errors = uncertainty(confident)
    assert m == pytest.approx((np.log(0.99) + np.log(0.98)) / 2) and least == 0.98 and errors == pytest.approx(0.03)
    m, least, errors = uncertainty(unsure)
    assert m == pytest.approx((np.log(0.99) + np.log(0.4)) / 2) and least == 0.4 and errors == pytest.approx(0.61)
    assert uncertainty([np.zeros((0, 3))]) == (0.0, 1.0, 0.0)


def test_priorities_rank_the_chosen_measures():
    # (mnlp, least, errors): b is the least sure on average, c has one very unsure word, a is long
    scores = [(-0.1, 0.9, 3.0), (-0.9, 0.3, 0.9), (-0.2, 0.2, 0.4)]
    assert priorities(scores, ("mnlp", "least")) == [0.0, 0.75, 0.75]
    assert priorities(scores, ("errors", "least")) == [0.5, 0.5, 0.5]
    assert priorities(scores, ("errors",)) == [1.0, 0.5, 0.0]
    assert priorities([(-0.5, 0.5, 1.0)] * 2) == [0.5, 0.5]
    with pytest.raises(ValueError, match="choose from"):
        priorities(scores, ("entropy",))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.integers(1, 40))
def test_greedy_without_diversity_is_a_plain_sort(prio, n):
    picks = [i for i, _, _ in greedy(prio, None, n, diversity=0.0)]
    reference = sorted(range(len(prio)), key=lambda i: (-prio[i], i))[:n]
    assert picks == reference


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["модель BERT", "датасет SQuAD", "метод LoRA", "GPT-4 вышла", "код на GitHub"]),
                min_size=2, max_size=12), st.integers(1, 12))
def test_greedy_never_takes_a_duplicate_while_a_distinct_text_is_left(texts, n):
    candidates = [cand(t, f"{k}") for k, t in enumerate(texts)]
    prio = [1.0 - k / 100 for k in range(len(texts))]
    picks = [candidates[i].text for i, _, _ in greedy(prio, ngram_vectors(candidates), n)]
    distinct = len(set(texts))
    assert len(picks) == min(n, len(texts))
    assert len(set(picks[:distinct])) == min(len(picks), distinct)


def test_near_duplicates_are_not_chosen_together():
    texts = ["GPT-4 и LLaMA обучены на Common Crawl", "GPT-4 и LLaMA обучены на Common Crawl .",
             "Модель BERT дообучили на SQuAD", "Яндекс выпустил YaLM"]
    candidates = [cand(t) for t in texts]
    prio = [1.0, 0.99, 0.5, 0.4]
    assert [i for i, _, _ in greedy(prio, ngram_vectors(candidates), 2, diversity=0.0)] == [0, 1]
    picks = greedy(prio, ngram_vectors(candidates), 2)
    assert [i for i, _, _ in picks] == [0, 2]
    assert picks[1][1] == pytest.approx(0.5 * (1 - picks[1][2]))


def test_random_strategy_is_seeded_and_needs_no_model():
    pool = [cand(f"текст {k}") for k in range(20)]
    a = [c.candidate.where for c in select(pool, 5, strategy="random", seed=3)]
    assert a == [c.candidate.where for c in select(pool, 5, strategy="random", seed=3)]
    assert a != [c.candidate.where for c in select(pool, 5, strategy="random", seed=4)]
    with pytest.raises(ValueError, match="needs a model"):
        select(pool, 5)


def test_pools_from_text_and_corpus(tmp_path):
    text = tmp_path / "pool.txt"
    text.write_text("Яндекс выпустил YaLM. Её обучили на GPU.\n\nBERT вышел в 2018 году\n", encoding="utf-8")
    pool = pool_from_path(text)
    assert [(c.where, len(c.sentences)) for c in pool] == [(f"{text}:1", 2), (f"{text}:3", 1)]
    assert not looks_like_conll(text) and looks_like_conll(SEED)
    corpus = pool_from_path(SEED)
    assert corpus[0].where == f"{SEED}:1" and corpus[0].source.words == corpus[0].sentences[0]
    with pytest.raises(UserError, match="no such file"):
        pool_from_path(tmp_path / "absent.txt")


def test_select_with_a_trained_model_cli(navec_model_dir, tmp_path, capsys):
    from ner.formats.conll import read_conll

    pool = tmp_path / "pool.conll"
    pool.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "chosen.conll"
    assert main(["select", str(pool), "--model", str(navec_model_dir), "-n", "3", "--out", str(out), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert rows[0]["priority"] >= rows[1]["priority"] >= rows[2]["priority"] > 0
    chosen = [s for d in read_conll(out) for s in d.sentences]
    by_where = {c.where: c.source for c in pool_from_path(pool)}
    assert [s.words for s in chosen] == [by_where[r["where"]].words for r in rows]
    assert [s.tags for s in chosen] == [by_where[r["where"]].tags for r in rows]  # written as the pool holds them


def test_a_text_pool_written_as_a_corpus_is_a_corpus(tmp_path, capsys):
    """--out x.conll / x.jsonl from a text pool: the chosen texts' words with tag O (the raw lines
    were written into the .conll, which then read as tokens 'Яндекс выпустил YaLM.' with tag errors)."""
    from ner.formats.conll import read_conll
    from ner.formats.jsonl import load_jsonl as read_jsonl

    pool = tmp_path / "pool.txt"
    pool.write_text("Яндекс выпустил YaLM. Её обучили на GPU.\nBERT вышел в 2018 году\n", encoding="utf-8")
    for suffix, reader in ((".conll", read_conll), (".jsonl", read_jsonl)):
        out = tmp_path / f"chosen{suffix}"
        assert main(["select", str(pool), "--strategy", "random", "-n", "2", "--out", str(out)]) == 0
        capsys.readouterr()
        sentences = [s for d in reader(out) for s in d.sentences]
        assert sorted(s.words for s in sentences) == sorted(
            [("Яндекс", "выпустил", "YaLM", "."), ("Её", "обучили", "на", "GPU", "."),
             ("BERT", "вышел", "в", "2018", "году")])
        assert all(set(s.tags) == {"O"} for s in sentences)
    assert sorted(s.text for d in read_jsonl(out) for s in d.sentences) == [
        "BERT вышел в 2018 году", "Её обучили на GPU.", "Яндекс выпустил YaLM."]


def test_select_usage_errors(capsys, tmp_path):
    assert main(["select", str(SEED), "-n", "3"]) == 2
    assert "needs --model" in capsys.readouterr().err
    pool = tmp_path / "pool.txt"
    pool.write_text("BERT вышел\nYaLM вышла\nGPT-4 вышла\n", encoding="utf-8")
    assert main(["select", str(pool), "--strategy", "random", "-n", "1", "--out", str(pool)]) == 2
    assert "is the pool itself" in capsys.readouterr().err
    assert pool.read_text(encoding="utf-8") == "BERT вышел\nYaLM вышла\nGPT-4 вышла\n"  # not cut to the one chosen
    assert main(["select", "-n", "3", "--strategy", "random"]) == 2
    assert "POOL file or --project" in capsys.readouterr().err


@pytest.mark.labelstudio
def test_chosen_tasks_come_first_in_the_data_manager(labelstudio, ls_client, ls_project, navec_model_dir,
                                                     monkeypatch, capsys):
    from ner.formats.conll import parse_conll_string, read_conll
    from ner.labelstudio.sync import push
    from ner.schema import load_schema

    sentences = [s for d in read_conll(SEED) for s in d.sentences]
    docs = parse_conll_string("".join(f"-DOCSTART-\n\n" + "".join(f"{w}\t{t}\n" for w, t in zip(s.words, s.tags))
                                      + "\n" for s in sentences))
    assert len(docs) == len(sentences) >= 8
    title = ls_project(load_schema())
    project_id = push(ls_client, title, docs, tags_as=None).project_id
    sdk = ls_client._sdk
    tasks = sorted(ls_client.iter_tasks(project_id), key=lambda t: t["id"])
    done = tasks[0]["id"]
    sdk.annotations.create(id=done, result=[])  # one annotated task: not in the pool
    from ner.check import Report
    from ner.quality.select_pool import project_pool

    _, _, pool, labelled = project_pool(ls_client, title, Report())
    assert [c.task for c in labelled] == [done] and done not in [c.task for c in pool]  # what select keeps away from
    assert labelled[0].sentences == (tuple(sentences[0].words),)
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", labelstudio.api_key)

    def chosen_and_view(n):
        assert main(["select", "--project", title, "--model", str(navec_model_dir), "-n", str(n), "--json"]) == 0
        captured = capsys.readouterr()
        ids = [json.loads(line)["task"] for line in captured.out.splitlines()]
        (view,) = [v for v in sdk.views.list(project=project_id) if v.data.get("title") == "ner select"]
        listed = [t.id for t in sdk.tasks.list(project=project_id, view=view.id, fields="task_only")]
        return ids, listed, captured.err

    ids, listed, err = chosen_and_view(4)
    assert done not in ids and len(set(ids)) == 4
    assert listed[:4] == ids and sorted(listed) == [t["id"] for t in tasks]
    assert "4 task(s) ranked in data.ner_select (4 changed, 0 earlier mark(s) cleared)" in err and "'ner select'" in err
    ids2, listed2, err = chosen_and_view(2)  # a second run: the earlier marks go, the new order holds
    assert listed2[:2] == ids2 and "cleared" in err
    ids3, _, err = chosen_and_view(2)  # the same choice again: still two ranked, nothing to change
    assert ids3 == ids2 and "2 task(s) ranked in data.ner_select (0 changed, 0 earlier mark(s) cleared)" in err
    marked = [t.id for t in sdk.tasks.list(project=project_id, fields="all") if "ner_select" in (t.data or {})]
    assert sorted(marked) == sorted(ids2)


def test_select_prints_one_row_per_text_even_for_texts_with_line_breaks(tmp_path, capsys):
    from ner.cli import main

    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in
                            ["| Модель | Данные |\n|---|---|\n| GigaChat | ru_alpaca |", "Вторая\r\nстрока", "Третья"]),
                    encoding="utf-8")
    assert main(["select", str(pool), "--strategy", "random", "-n", "3"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 4 and "| Модель | Данные | |---|---| | GigaChat | ru_alpaca |" in "\n".join(rows)


def test_curve_help_prints_a_plain_percent_sign(capsys):
    from ner.cli import main

    with pytest.raises(SystemExit):
        main(["curve", "--help"])
    out = capsys.readouterr().out
    assert "95% bootstrap" in " ".join(out.split()) and "%%" not in out
