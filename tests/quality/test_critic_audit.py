"""``ner critic --audit``: a stratified random sample for people to check, and the error rate it gives.

The strata, draws and estimate are checked against plain definitions; the queue against the real local
Label Studio (a reviewer's answers given through its API)."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace as S

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ner.errors import UserError
from ner.labelstudio.review import FIXED, KEPT, ReviewItem, Reviewed, push_queue, read_queue
from ner.quality.critic.audit import (NOTE, STRATA, allocation, audit_items, audit_report, check_audit_args,
                                      ensure_queue_project, sentence_errors, strata, weighted)
from ner.quality.critic.suspects import Item
from ner.records import Sentence
from ner.schema import Schema
from tests.quality.test_critic import LABELS, tags_of, templated


def test_a_sentence_is_wrong_unless_every_suspect_is_right():
    suspects = [S(item=1, score=0.5), S(item=1, score=0.5), S(item=2, score=0.1)]
    assert sentence_errors(3, suspects) == pytest.approx([0.0, 0.75, 0.1])


def test_the_strata_are_the_critics_top_2_next_8_and_other_90_percent():
    p = [0.0] * 50 + [0.9, 0.5, 0.5, 0.2] + [0.01] * 46          # 100 sentences; the two 0.5 tie: index first
    top, nxt, rest = strata(p)
    assert top == [50, 51] and nxt == [52, 53] + list(range(54, 60))
    assert rest == list(range(60, 100)) + list(range(50))


def test_the_estimate_weighs_each_stratum_by_its_size():
    # drawn in proportion to the sizes, the weighted share is the plain share of the sample
    share, lo, hi = weighted([20, 80], [2, 4], [10, 40])
    assert share == pytest.approx(6 / 50) and lo < share < hi
    # out of proportion it is not: 1 of 2 in a stratum of 10, 1 of 10 in one of 90 -> (5 + 9) / 100
    assert weighted([10, 90], [1, 1], [2, 10])[0] == pytest.approx(0.14)
    # a census has no sampling error; a stratum with no error found still leaves its interval open
    assert weighted([20, 80], [2, 4], [20, 80]) == pytest.approx((0.06, 0.06, 0.06))
    share, lo, hi = weighted([20, 80], [0, 0], [5, 5])
    assert share == 0.0 and lo == 0.0 and hi > 0.1
    # a stratum nobody reviewed yet is left out: the share is of the others
    assert weighted([10, 90, 900], [1, 0, 3], [2, 0, 30])[0] == pytest.approx((5 + 90) / 910)


def wilson(p, n, z=1.96):
    """Wilson's score interval of a share p seen in n."""
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    return mid - half, mid + half


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 200).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))))
def test_one_stratum_of_a_large_corpus_gives_wilsons_interval(kn):
    """A sample of a stratum of a billion: Wilson's interval at n - 1, the sample variance's divisor."""
    k, n = kn
    share, lo, hi = weighted([10**9], [k], [n])
    assert share == pytest.approx(k / n) and (lo, hi) == pytest.approx(wilson(k / n, n - 1), abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.integers(0, 40), st.integers(0, 40)), min_size=3, max_size=3))
def test_the_interval_holds_the_share_and_closes_only_on_a_census(strata_):
    sizes = [n for n, _, _ in strata_]
    drawn = [min(d, n) for n, d, _ in strata_]
    found = [min(k, d) for (_, _, k), d in zip(strata_, drawn)]
    assume(any(drawn))
    share, lo, hi = weighted(sizes, found, drawn)
    assert 0.0 <= lo and hi <= 1.0
    census = all(d == n for n, d in zip(sizes, drawn) if d)
    assert (lo == hi) == census


def test_errors_found_keep_the_interval_off_zero_and_all_errors_off_one():
    # the trial's report: 3 errors in 9 read, most of them from the other 90%; the normal interval began at 0
    share, lo, hi = weighted([88, 353, 3968], [1, 0, 2], [2, 3, 7])
    assert 0.02 < lo < share < hi
    # a first review that found an error: 1 of 1 (the interval was 100%-100% before)
    share, lo, hi = weighted([88, 353, 3968], [0, 0, 1], [0, 0, 1])
    assert share == 1.0 and lo < 0.5 and hi == 1.0
    share, lo, hi = weighted([88, 353, 3968], [2, 2, 0], [2, 2, 0])
    assert share == 1.0 and lo < 0.8


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=3, max_size=3), st.integers(1, 200))
def test_the_draws_fill_n_without_overdrawing_a_stratum(sizes, n):
    want = allocation(sizes, n)
    assert all(0 <= w <= size for w, size in zip(want, sizes))
    assert sum(want) == min(n, sum(sizes))
    if n >= 3:      # every stratum that has sentences is read
        assert all(w >= 1 for w, size in zip(want, sizes) if size)


def test_the_draws_follow_the_parts_where_the_strata_are_large():
    assert allocation([88, 353, 3968], 160) == [32, 40, 88]
    assert allocation([88, 353, 3968], 100) == [20, 25, 55]
    assert [part for _, _, part in STRATA] == [0.20, 0.25, 0.55]


def corpus(n=300):
    words, tags, _ = templated(n, seed=4)
    return [Item("x.conll", Sentence(w, t, 1 + 8 * k), "x") for k, (w, t) in enumerate(zip(words, tags))]


def test_the_sample_is_drawn_from_each_stratum_and_tells_the_reviewer_nothing_of_it():
    items = corpus()
    rng = random.Random(1)
    suspects = [S(item=i, score=rng.random() * 0.9) for i in range(0, 300, 3)]
    p = sentence_errors(len(items), suspects)
    groups = strata(p)
    sample = audit_items(items, suspects, 40, seed=5)
    assert len(sample) == 40 and len({it.key for it in sample}) == 40
    by = {name: [it for it in sample if it.extra["audit"] == name] for name, _, _ in STRATA}
    assert [len(v) for v in by.values()] == allocation([len(g) for g in groups], 40) == [6, 10, 24]
    for (name, _, _), members in zip(STRATA, groups):
        lines = {items[i].sentence.line for i in members}
        assert {it.sentence.line for it in by[name]} <= lines
        assert {it.extra["size"] for it in by[name]} == {len(members)}
    # the reviewer sees the sentence as it stands, the same note and no score for every one, in a shuffled order
    assert {it.note for it in sample} == {NOTE} and {it.score for it in sample} == {None}
    assert len({it.extra["sample"] for it in sample}) == 1
    assert all(it.versions == () for it in sample)
    assert [it.extra["audit"] for it in sample] != sorted(it.extra["audit"] for it in sample)
    for (name, _, _), members in zip(STRATA, groups):   # each task carries its stratum's expectation
        assert [it.extra["expected"] for it in by[name]] == [pytest.approx(sum(p[i] for i in members) / len(members))
                                                             ] * len(by[name])
    assert sample[0].where.startswith("x.conll:")
    assert [it.key for it in audit_items(items, suspects, 40, seed=5)] == [it.key for it in sample]
    with pytest.raises(UserError, match="--audit N"):
        audit_items(items, suspects, 0)


def reviewed_as(sample, fixed_keys):
    return [Reviewed(it.key, n, FIXED if it.key in fixed_keys else KEPT, False, it.sentence, it.sentence, "r",
                     dict(it.extra)) for n, it in enumerate(sample)]


def test_the_report_reads_the_share_of_wrong_sentences_per_stratum_and_over_the_corpus():
    items = corpus()
    suspects = [S(item=i, score=0.6) for i in range(0, 300, 7)]
    sample = audit_items(items, suspects, 20, seed=2)
    top = [it.key for it in sample if it.extra["audit"] == "top 2%"]
    rest = [it.key for it in sample if it.extra["audit"] == "other 90%"]
    report = audit_report(reviewed_as(sample, {*top, rest[0]}))
    assert [len([it for it in sample if it.extra["audit"] == n]) for n, _, _ in STRATA] == [4, 5, 11]
    share = weighted([6, 24, 270], [4, 0, 1], [4, 5, 11])
    sample_id = sample[0].extra["sample"]
    assert report.splitlines()[0] == f"audit {sample_id}: 20 sentence(s) reviewed (drawn from 300)"
    e = {it.extra["audit"]: it.extra["expected"] for it in sample}
    assert f"top 2% by the critic's suspicion (6 sentences): 4 of 4 reviewed hold an error (it expected " \
           f"{e['top 2%']:.0%})" in report and e["top 2%"] == pytest.approx(0.6)
    assert f"other 90% by the critic's suspicion (270 sentences): 1 of 11 reviewed hold an error (it expected " \
           f"{e['other 90%']:.0%})" in report
    assert f"about {share[0]:.1%} of the sentences hold an error (95% interval {share[1]:.1%}-{share[2]:.1%})" in report
    expected = sum(sentence_errors(300, suspects)) / 300
    assert report.splitlines()[-2].endswith(f"the critic's probabilities expected {expected:.1%}")
    # the sentences counted as errors are named, so that a reviewer's slip can be found
    assert report.splitlines()[-1].startswith("  counted as errors: x.conll:") and report.count("(task ") == 5
    # the number sent is said when known; a second sample in the project is reported on its own
    other = audit_items(corpus(200), [], 10, seed=2)
    sent = {(sample_id, "top 2%"): 6, (sample_id, "next 8%"): 8, (sample_id, "other 90%"): 16}
    both = audit_report(reviewed_as(sample, set()) + reviewed_as(other, set()), sent)
    assert f"audit {sample_id}: 20 sentence(s) reviewed of the 30 sent (drawn from 300)" in both
    assert "(6 sentences): 0 of 4 reviewed (of 6 sent) hold an error" in both
    assert f"audit {other[0].extra['sample']}: 10 sentence(s) reviewed (drawn from 200)" in both
    # half reviewed: the strata not yet read are named, not silently counted clean
    part = audit_report(reviewed_as([it for it in sample if it.extra["audit"] != "next 8%"], set(top)))
    half = weighted([6, 24, 270], [4, 0, 0], [4, 0, 11])[0]
    assert half == pytest.approx(6 / 276)
    assert f"about {half:.1%} of the sentences outside the next 8% (none reviewed there yet) hold an error" in part
    # a stratum nothing was drawn from (a small corpus, a small N) is said to be so, not awaited
    rest_only = reviewed_as([it for it in sample if it.extra["audit"] == "other 90%"], set())
    sid = sample_id
    assert "outside the top 2% and next 8% (none drawn there)" in audit_report(rest_only, {(sid, "other 90%"): 11})
    assert ("outside the top 2% and next 8% (none drawn from the next 8%, none reviewed yet from the top 2%)"
            in audit_report(rest_only, {(sid, "top 2%"): 4, (sid, "other 90%"): 11}))
    # ... and the critic's expectation beside it is over the same strata
    theirs = (6 * e["top 2%"] + 270 * e["other 90%"]) / 276
    assert part.splitlines()[-2].endswith(f"the critic's probabilities expected {theirs:.1%}")
    assert f"{theirs:.1%}" != f"{expected:.1%}"
    suspect = Reviewed("k", 1, FIXED, False, sample[0].sentence, sample[0].sentence, "r", {"span": [0, 1, "PER"]})
    with pytest.raises(UserError, match="holds no audit sample"):     # a review queue's suspect is no audit
        audit_report([suspect])
    with pytest.raises(UserError, match="none of the 20 audit sentences in the project is reviewed yet"):
        audit_report([suspect], {(sample_id, "top 2%"): 4, (sample_id, "other 90%"): 16})
    # a tick on "fixed" with nothing changed counts, and says so
    ticked = [Reviewed(r.key, r.task, r.verdict, True, r.before, r.after, "r", r.extra)
              for r in reviewed_as(sample, {sample[0].key})]
    assert f"{sample[0].where} (task 0, ticked fixed, unchanged)" in audit_report(ticked)
    # a changed sentence ticked "kept" is an error too (--apply writes its change)
    changed = Sentence(sample[1].sentence.words, ("O",) * len(sample[1].sentence.words))
    slip = [Reviewed(r.key, r.task, KEPT, True, r.before, changed, "r", r.extra) if r.task == 1 else r
            for r in reviewed_as(sample, set())]
    assert f"{sample[1].where} (task 1, changed, ticked kept)" in (text := audit_report(slip))
    assert "hold an error" in text and text.count("(task ") == 1


@pytest.mark.labelstudio
def test_an_audit_goes_to_label_studio_and_its_report_reads_the_reviewers_answers(ls_client, ls_project, tmp_path,
                                                                                 monkeypatch, capsys):
    from ner.cli import main
    from ner.quality.critic.review import learn

    items = corpus(60)
    items[5] = Item("x.conll", Sentence(items[5].sentence.words, tags_of(7, (3, 4, "ORG")), items[5].sentence.line),
                    "x")
    suspects = [S(item=5, score=0.9), S(item=9, score=0.2)]
    title = ls_project(Schema.auto(LABELS))
    sample = audit_items(items, suspects, 6, seed=3)
    assert push_queue(ls_client, title, sample, LABELS) == 6
    assert push_queue(ls_client, title, sample, LABELS) == 0          # nothing twice
    project = ls_client.project(title)
    tasks = {t["meta"]["ner_review"]["key"]: t for t in ls_client.iter_tasks(project["id"])}
    assert set(tasks) == {it.key for it in sample}
    for task in tasks.values():
        assert task["annotations"] == [] and [p["model_version"] for p in task["predictions"]] == ["current"]
        assert task["data"]["note"] == NOTE and task["data"]["suspicion"] == ""     # no score to read as one
        assert task["predictions"][0].get("score") is None
    # the reviewer fixes the planted sentence (its PER was dropped), submits another unchanged
    planted = next(it for it in sample if it.sentence.line == items[5].sentence.line)
    other = next(it for it in sample if it.key != planted.key)
    sdk = ls_client._sdk
    wrong = tasks[planted.key]
    person = {**wrong["predictions"][0]["result"][0]}
    text = wrong["data"]["text"]
    person = {"from_name": person["from_name"], "to_name": person["to_name"], "type": "labels",
              "value": {"start": 0, "end": text.index(" "), "text": text[: text.index(" ")], "labels": ["PER"]}}
    sdk.annotations.create(id=wrong["id"], result=wrong["predictions"][0]["result"] + [person])
    sdk.annotations.create(id=tasks[other.key]["id"], result=tasks[other.key]["predictions"][0]["result"])
    found = {r.key: r.verdict for r in read_queue(ls_client, title)}
    assert found == {planted.key: FIXED, other.key: KEPT}
    with pytest.raises(UserError, match="holds an audit sample: the critic learns from it with the corpus"):
        learn(ls_client, title, None)                               # its candidates are read in the corpus
    # the sample and the critic's scored suspects never share a project, whichever comes first
    with pytest.raises(UserError, match="holds an audit sample .6 sentences.: send the suspects to another"):
        ensure_queue_project(ls_client, title, LABELS, False)
    queue = ls_project(Schema.auto(LABELS))
    suspect = ReviewItem("s1", items[9].sentence, 0.7, "x.conll:73", "Подозрение", (), {"kind": "type"})
    assert push_queue(ls_client, queue, [suspect], LABELS) == 1
    with pytest.raises(UserError, match="holds the critic's suspects .1 tasks.: send the audit to a project of its"):
        ensure_queue_project(ls_client, queue, LABELS, True)
    monkeypatch.setenv("LABEL_STUDIO_URL", ls_client.conn.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_client.conn.api_key)
    assert main(["critic", "--audit-report", title]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"audit {planted.extra['sample']}: 2 sentence(s) reviewed of the 6 sent (drawn from 60)\n")
    assert f"({planted.extra['size']} sentences): 1 of 1 reviewed (of 1 sent) hold an error" in out
    assert main(["critic", "x.conll", "--audit-report", title]) == 2
    assert "give it without corpus FILES" in capsys.readouterr().err
    # the reviewer's correction goes into the corpus file at its line, as --learn --apply writes the queue's
    monkeypatch.chdir(tmp_path)
    lines = [f"{w}\t{t}" for it in items for w, t in [*zip(it.sentence.words, it.sentence.tags), ("", "")]]
    (tmp_path / "x.conll").write_text("\n".join(x.rstrip("\t") for x in lines) + "\n", encoding="utf-8")
    assert main(["critic", "--audit-report", title, "--apply", "x.conll"]) == 0
    assert "x.conll: 1 correction(s) written" in capsys.readouterr().out
    first = (tmp_path / "x.conll").read_text(encoding="utf-8").splitlines()[items[5].sentence.line - 1]
    assert first == f"{items[5].sentence.words[0]}\tB-PER"


@pytest.mark.labelstudio
@pytest.mark.slow
def test_the_command_trains_the_critic_then_sends_the_sample(ls_client, ls_project, tmp_path, monkeypatch, capsys):
    from ner.cli import main

    monkeypatch.setenv("LABEL_STUDIO_URL", ls_client.conn.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_client.conn.api_key)
    path = tmp_path / "c.conll"
    items = corpus(40)
    words = list(items[3].sentence.words)
    words[5] = "Мoскве"                          # a Latin o: a look-alike, a suspect at 0.9
    items[3] = Item("c.conll", Sentence(tuple(words), items[3].sentence.tags, items[3].sentence.line), "x")
    path.write_text("".join("".join(f"{w}\t{t}\n" for w, t in zip(it.sentence.words, it.sentence.tags)) + "\n"
                            for it in items), encoding="utf-8")
    title = ls_project(Schema.auto(LABELS))
    args = ["critic", str(path), "--folds", "2", "--epochs", "1", "--hidden", "8", "--work", str(tmp_path / "w"),
            "--project", title]
    assert main(args + ["--audit", "0"]) == 2 and not (tmp_path / "w").exists()    # refused before the training
    assert "--audit N: N must be 1 or more sentences" in capsys.readouterr().err
    assert main(args[:1] + args[2:] + ["--audit", "5"]) == 2       # no FILES: the project would be read and fed
    assert "--audit N draws its sample from corpus FILES" in capsys.readouterr().err
    assert not (tmp_path / "w").exists()
    assert main(args + ["--audit", "5", "--push-review"]) == 2 and not (tmp_path / "w").exists()   # not blind
    assert "sends a blind sample: give it without --push-review" in capsys.readouterr().err
    # sent, it exits 0 and prints no suspect (the one who reviews the sample should not have read them)
    assert main(args + ["--audit", "5"]) == 0
    out, err = capsys.readouterr()
    assert "Мoскве" not in out and "sentences without a suspected error" in out
    assert "5 sentence(s) sent to project" in err and f'ner critic --audit-report "{title}" says' in err
    # one project, one sample: a second --audit is refused before the training, with what to do instead
    assert main(args + ["--audit", "5", "--work", str(tmp_path / "w2")]) == 2 and not (tmp_path / "w2").exists()
    assert f'holds an audit sample already (5 sentences): report it with ner critic --audit-report "{title}"' in (
        capsys.readouterr().err)
    # ... and --learn on it (nothing to learn from) is refused before the training as well (it trained first)
    assert main(args[:-2] + ["--learn", title, "--work", str(tmp_path / "w2")]) == 2
    assert "has no reviewed critic tasks yet" in capsys.readouterr().err
    assert not (tmp_path / "w2").exists()
    tasks = list(ls_client.iter_tasks(ls_client.project(title)["id"]))
    first = {t["meta"]["ner_review"]["key"] for t in tasks}
    assert len(first) == 5
    # the reviewer deletes one sentence's last entity and submits the others as they are; --learn with the
    # corpus refits the critic on every candidate of the five, and the next run keeps those verdicts
    sdk = ls_client._sdk
    for n, task in enumerate(tasks):
        result = task["predictions"][0]["result"]
        sdk.annotations.create(id=task["id"], result=result[:-1] if n == 0 else result)
    assert main(args[:-2] + ["--learn", title]) == 1
    err = capsys.readouterr().err
    assert f"5 audited sentences from {title!r} (1 changed): " in err and "1 of them pointing at a change" in err
    saved = json.loads((tmp_path / "w" / "critic" / "critic.json").read_text(encoding="utf-8"))
    assert saved["verdicts"] > 5
    assert main(args[:-2] + ["--top", "1000", "--json", str(tmp_path / "s.jsonl")]) == 1
    # trained on the file again (the learn's critic was fitted on the reviewer's version), the verdicts replayed
    assert f"critic refitted with the verdicts learned before ({tmp_path / 'w' / 'critic'}): " \
        f"{saved['verdicts']} rows of 5 audited sentences (weighing their strata)" in (err := capsys.readouterr().err)
    # the four sentences submitted unchanged were read whole: none of their candidates is listed again (the
    # one changed is, until its correction is written into the file)
    lines = {task["meta"]["ner_review"]["extra"]["line"]: n for n, task in enumerate(tasks)}
    records = [json.loads(r) for r in (tmp_path / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    listed = {r["first_line"] for r in records if r["kind"] != "token"}     # a look-alike stays: words are not read
    starts = sorted({it.sentence.line for it in items} | {10**9})
    firsts = {next(a for a, b in zip(starts, starts[1:]) if a <= line < b) for line in listed}
    assert firsts & set(lines) == {line for line, n in lines.items() if n == 0}
    assert "suspect(s) left out: reviewers checked them, and their places are as the reviewers left them" in err
    assert main(args[:-2] + ["--learn", title]) == 1                 # learned again: held once
    assert f"critic from {tmp_path / 'w' / 'critic'}: fitted on this corpus" in capsys.readouterr().err   # reused
    assert json.loads((tmp_path / "w" / "critic" / "critic.json").read_text(encoding="utf-8"))["verdicts"] == (
        saved["verdicts"])
    # a new project gets a new sample (the draw's seed holds the title); N over the corpus sends it whole
    second, whole = ls_project(Schema.auto(LABELS)), ls_project(Schema.auto(LABELS))
    assert main(args[:-1] + [second, "--audit", "5"]) == 0
    again = {t["meta"]["ner_review"]["key"] for t in ls_client.iter_tasks(ls_client.project(second)["id"])}
    assert len(again) == 5 and again != first
    capsys.readouterr()
    assert main(args[:-1] + [whole, "--audit", "100"]) == 0
    assert "40 sentence(s) sent to project" in (err := capsys.readouterr().err) and "(the whole corpus: it has 40)" in err
    tasks = list(ls_client.iter_tasks(ls_client.project(whole)["id"]))
    assert len(tasks) == 40 and {t["meta"]["ner_review"]["extra"]["file"] for t in tasks} == {str(path)}


def test_an_audit_is_refused_before_anything_runs_where_it_could_not_be_blind():
    with pytest.raises(UserError, match="draws its sample from corpus FILES"):
        check_audit_args(5, [], False)
    with pytest.raises(UserError, match="N must be 1 or more"):
        check_audit_args(0, ["x.conll"], False)
    with pytest.raises(UserError, match="without --push-review or --learn"):
        check_audit_args(5, ["x.conll"], True)
    assert check_audit_args(5, ["x.conll"], False) is None


def test_a_correction_for_another_file_says_which_file_apply_needs(tmp_path):
    """The trial applied to a renamed copy and read only "[not in the files given to --apply]"."""
    from ner.quality.critic.review import corrections

    sample = audit_items(corpus(), [], 3, seed=1)
    wrong = Sentence(sample[0].sentence.words, ("O",) * len(sample[0].sentence.words))
    reviewed = [Reviewed(sample[0].key, 7, FIXED, False, sample[0].sentence, wrong, "r", dict(sample[0].extra))]
    retags, left = corrections(reviewed, [str(tmp_path / "renamed.conll")])
    assert retags == [] and len(left) == 1
    assert left[0].endswith("[not in the files given to --apply: give it x.conll, or a copy named x.conll]")
