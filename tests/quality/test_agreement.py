"""ner agreement: exact values on known inputs, properties against seqeval, files, the CLI and
the real Label Studio server with two annotator accounts."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given, settings, strategies as st

from ner.bio import spans_tags
from ner.cli import main
from ner.errors import UserError
from ner.quality.agreement import F1, Unit, agreement, align, units_from_files

WORDS = ("Яндекс", "выпустил", "YaLM", "в", "2022", "году")
ALICE = ("B-Organization", "O", "B-Model", "O", "B-Date", "I-Date")
BOB = ("B-Organization", "O", "B-Application", "O", "B-Date", "O")


def conll(path, rows):
    path.write_text("\n\n".join("\n".join(f"{w}\t{t}" for w, t in zip(WORDS, tags)) for tags in rows) + "\n",
                    encoding="utf-8")
    return path


def test_known_pair_exact_values():
    result = agreement([Unit("s1", WORDS, {"alice": ALICE, "bob": BOB})])
    (pair,) = result.pairs
    assert (pair.a, pair.b, pair.units) == ("alice", "bob", 1)
    assert pair.micro == F1(n_a=3, n_b=3, exact=1, overlap_a=2, overlap_b=2)
    assert pair.micro.strict == pytest.approx(1 / 3) and pair.micro.overlap == pytest.approx(2 / 3)
    assert {k: (v.strict, v.overlap) for k, v in pair.labels.items()} == {
        "Organization": (1.0, 1.0), "Model": (0.0, 0.0), "Application": (0.0, 0.0), "Date": (0.0, 1.0)}
    assert dict(result.confusion) == {("Organization", "Organization"): 1, ("Model", "Application"): 1,
                                      ("Date", "Date"): 1}
    assert [(d.where, d.said) for d in result.disagreements] == [
        ("s1", {"alice": (("Model", "YaLM"),), "bob": (("Application", "YaLM"),)}),
        ("s1", {"alice": (("Date", "2022 году"),), "bob": (("Date", "2022"),)})]


def test_three_annotators_mean_and_missing_spans():
    carol = ("B-Organization",) + ("O",) * 5
    result = agreement([Unit("s1", WORDS, {"alice": ALICE, "bob": BOB, "carol": carol})])
    strict = {(p.a, p.b): p.micro.strict for p in result.pairs}
    assert strict == pytest.approx({("alice", "bob"): 1 / 3, ("alice", "carol"): 2 / 4, ("bob", "carol"): 2 / 4})
    assert result.mean("strict") == pytest.approx((1 / 3 + 1 / 2 + 1 / 2) / 3)
    assert result.mean("strict", "Organization") == 1.0
    assert result.confusion["Model", "—"] == 1 and result.confusion["—", "Application"] == 0
    assert result.confusion["Application", "—"] == 1  # bob / carol: bob is the first of that pair
    assert result.disagreements[0].said["carol"] == ()


def test_units_only_one_annotator_saw_do_not_count_for_pairs():
    units = [Unit("s1", WORDS, {"alice": ALICE, "bob": ALICE}), Unit("s2", WORDS, {"alice": ALICE})]
    (pair,) = agreement(units).pairs
    assert pair.units == 1 and pair.micro.strict == 1.0


def test_no_spans_at_all_is_undefined_not_perfect():
    result = agreement([Unit("s1", WORDS, {"a": ("O",) * 6, "b": ("O",) * 6})])
    assert result.pairs[0].micro.strict is None and result.mean() is None


def test_one_annotator_is_a_user_error():
    with pytest.raises(UserError, match="two annotators or more"):
        agreement([Unit("s1", WORDS, {"alice": ALICE})])


def test_align_prefers_same_words_then_largest_overlap():
    a = [(0, 3, "X"), (5, 6, "Y")]
    b = [(1, 3, "X"), (0, 1, "Z"), (5, 6, "W")]
    assert align(a, b) == [((5, 6, "Y"), (5, 6, "W")), ((0, 3, "X"), (1, 3, "X")), (None, (0, 1, "Z"))]


spans = st.lists(st.tuples(st.integers(0, 11), st.integers(1, 3), st.sampled_from("XYZ")), max_size=5)


def to_tags(n, raw):
    taken, out = set(), []
    for start, length, label in raw:
        cells = set(range(start, min(n, start + length)))
        if cells and not cells & taken:
            taken |= cells
            out.append((start, min(n, start + length), label))
    return tuple(spans_tags(n, out))


@settings(max_examples=200, deadline=None)
@given(spans, spans)
def test_strict_f1_is_seqeval_micro_f1_and_symmetric(raw_a, raw_b):
    from ner.evaluate import score

    a, b = to_tags(12, raw_a), to_tags(12, raw_b)
    words = tuple("w" * (i + 1) for i in range(12))
    ab = agreement([Unit("s", words, {"a": a, "b": b})]).pairs[0].micro
    ba = agreement([Unit("s", words, {"a": b, "b": a})]).pairs[0].micro
    assert (ab.strict, ab.overlap) == (ba.strict, ba.overlap)
    if ab.strict is None:
        assert a == b == ("O",) * 12
        return
    assert ab.strict == pytest.approx(score([a], [b]).micro.f1)
    assert ab.strict <= ab.overlap + 1e-12
    if a == b:
        assert ab.strict == ab.overlap == 1.0


def test_files_cli_table_json_and_places(tmp_path, capsys):
    a = conll(tmp_path / "alice.conll", [ALICE, ALICE])
    b = conll(tmp_path / "bob.conll", [BOB, ALICE])
    assert main(["agreement", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "2 annotators (alice, bob), 2 sentences; mean pairwise F1: strict 0.667, overlap 0.833" in out
    assert f"{a}:3: alice: Model 'YaLM'; bob: Application 'YaLM'" in out  # file:line of the word
    assert f"{a}:5: alice: Date '2022 году'; bob: Date '2022'" in out
    assert main(["agreement", str(a), str(b), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pairs"][0]["micro"] == {"strict": 4 / 6, "overlap": 5 / 6, "spans_a": 6, "spans_b": 6, "exact": 4}
    assert len(data["disagreements"]) == 2


def test_files_with_other_words_say_where(tmp_path, capsys):
    a = conll(tmp_path / "alice.conll", [ALICE])
    b = tmp_path / "bob.conll"
    b.write_text(conll(tmp_path / "x.conll", [BOB]).read_text(encoding="utf-8").replace("YaLM", "YaLM-2"),
                 encoding="utf-8")
    assert main(["agreement", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert f"{b}:3: 'YaLM-2' where {a}:3 has 'YaLM'" in err and "Traceback" not in err
    with pytest.raises(UserError, match="two or more files"):
        units_from_files([str(a)])
    c = conll(tmp_path / "carol.conll", [BOB])
    assert main(["agreement", str(a), str(c), "--top", "-1"]) == 2  # printed all but the last, "... 3 more" of 2
    assert "--top -1: give 0 or more" in capsys.readouterr().err


def test_jsonl_files_name_the_record_line_not_line_plus_word(tmp_path, capsys):
    """A JSONL sentence is one line: its disagreements and word mismatches are at that line
    (the CoNLL rule, line + word, named lines the file does not have)."""
    a = tmp_path / "alice.jsonl"
    b = tmp_path / "bob.jsonl"
    assert main(["convert", str(conll(tmp_path / "a.conll", [ALICE, ALICE])), str(a)]) == 0
    assert main(["convert", str(conll(tmp_path / "b.conll", [BOB, ALICE])), str(b)]) == 0
    capsys.readouterr()
    assert main(["agreement", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert f"{a}:1: alice: Model 'YaLM'; bob: Application 'YaLM'" in out
    assert f"{a}:1: alice: Date '2022 году'; bob: Date '2022'" in out
    other = [w.replace("YaLM", "YaLM-2") for w in WORDS]
    b.write_text(json.dumps({"tokens": other, "tags": list(BOB)}, ensure_ascii=False) + "\n"
                 + json.dumps({"tokens": list(WORDS), "tags": list(ALICE)}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["agreement", str(a), str(b)]) == 2
    assert f"{b}:1: 'YaLM-2' where {a}:1 has 'YaLM'" in capsys.readouterr().err


@pytest.mark.labelstudio
def test_two_annotator_accounts_on_the_real_server(labelstudio, ls_client, ls_project, monkeypatch, capsys):
    from ner.formats.conll import parse_conll_string
    from ner.labelstudio.sync import push
    from ner.labelstudio.tasks import spans_to_results
    from ner.records import Span
    from ner.schema import load_schema

    sdk = ls_client._sdk
    tag = uuid.uuid4().hex[:8]
    users = [sdk.users.create(username=f"{who}-{tag}", email=f"{who}-{tag}@ner.local", password="ner-annotator-1")
             for who in ("alice", "bob")]
    title = ls_project(load_schema())
    words2 = ("Сбер", "представил", "GigaChat", "в", "2023", "году")
    both = ("B-Organization", "O", "B-Model", "O", "B-Date", "I-Date")
    docs = parse_conll_string("".join("-DOCSTART-\n\n" + "".join(f"{w}\t{t}\n" for w, t in zip(words, tags)) + "\n"
                                      for words, tags in ((WORDS, ALICE), (words2, both))))
    result = push(ls_client, title, docs, tags_as=None)
    tasks = {t["data"]["text"]: t for t in ls_client.iter_tasks(result.project_id)}
    assert sorted(tasks) == ["Сбер представил GigaChat в 2023 году", "Яндекс выпустил YaLM в 2022 году"]

    def results(text, words, tags):
        from ner.bio import tags_spans

        starts = [text.index(w) for w in words]
        return spans_to_results(text, [Span.at(text, starts[i], starts[j - 1] + len(words[j - 1]), lab)
                                       for i, j, lab in tags_spans(tags)], "label", "text")

    # alice and bob disagree on the first task and agree on the second
    first = tasks["Яндекс выпустил YaLM в 2022 году"]
    for task, words, pair in ((first, WORDS, (ALICE, BOB)), (tasks["Сбер представил GigaChat в 2023 году"], words2,
                                                               (both, both))):
        for user, tags in zip(users, pair):
            sdk.annotations.create(id=task["id"], result=results(task["data"]["text"], words, tags),
                                   completed_by=user.id)
    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", labelstudio.api_key)
    assert main(["agreement", "--project", title, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["annotators"] == [f"alice-{tag}@ner.local", f"bob-{tag}@ner.local"]
    assert data["pairs"][0]["micro"]["strict"] == pytest.approx(4 / 6)
    assert data["pairs"][0]["micro"]["overlap"] == pytest.approx(5 / 6)
    assert [d["where"] for d in data["disagreements"]] == [f"task {first['id']}"] * 2
    assert data["disagreements"][0]["said"] == {f"alice-{tag}@ner.local": [["Model", "YaLM"]],
                                                f"bob-{tag}@ner.local": [["Application", "YaLM"]]}
