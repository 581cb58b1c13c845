"""Splits: seeded and repeatable, whole documents, every label in every split where the corpus allows."""

from __future__ import annotations

from collections import Counter

import pytest

from ner.cli import main
from ner.errors import UserError
from ner.formats.conll import format_conll, read_conll
from ner.records import Document, Sentence
from ner.split import parse_ratios, split_corpus, split_counts

RARE = {3: "Date", 9: "Date", 15: "Date", 5: "Task", 12: "Task"}  # Date in 3 documents, Task in 2


def make_corpus(n_docs: int = 20) -> list[Document]:
    docs = []
    for i in range(n_docs):
        sentences = [Sentence(("Модель", f"BERT{i}", "."), ("O", "B-Model", "O"), 0, f"d{i}:0")]
        sentences += [Sentence(("Просто", "текст", str(k)), ("O",) * 3, 0, f"d{i}:{k + 1}") for k in range(i % 4 + 1)]
        if i in RARE:
            sentences.append(Sentence(("Редкое", "слово", "."), ("O", f"B-{RARE[i]}", "O"), 0, f"d{i}:r"))
        docs.append(Document(f"d{i}", tuple(sentences), "corpus.conll", {"docstart": True}))
    return docs


def assignment(split) -> dict[str, list[str]]:
    return {name: [d.id for d in docs] for name, docs in split}


def test_same_seed_same_split_and_whole_documents():
    docs = make_corpus()
    first, again = split_corpus(docs, seed=13), split_corpus(make_corpus(), seed=13)
    assert assignment(first) == assignment(again)
    assert first.by == "document"
    ids = [i for part in assignment(first).values() for i in part]
    assert sorted(ids) == sorted(d.id for d in docs)  # every document once, none split
    for _, part in first:
        for doc in part:
            assert doc.sentences == docs[int(doc.id[1:])].sentences
    assert assignment(split_corpus(docs, seed=14)) != assignment(first)


@pytest.mark.parametrize("seed", [0, 1, 13, 2024])
def test_every_label_in_every_split_where_possible(seed):
    split = split_corpus(make_corpus(), seed=seed)
    counts = split_counts(split)
    for name in ("train", "dev", "test"):
        assert set(counts[name]["entities"]) >= {"Model", "Date"}, name
    # Task is in two documents: train gets one, and the note names the split left without
    assert counts["train"]["entities"]["Task"] == 1
    missing = [name for name in ("dev", "test") if "Task" not in counts[name]["entities"]]
    assert split.notes == (f"{missing[0]} has no Task (too few documents carry them)",)
    tokens = [counts[name]["tokens"] for name in ("train", "dev", "test")]
    assert sum(tokens) == sum(d.n_tokens for d in make_corpus())
    assert 0.7 < tokens[0] / sum(tokens) < 0.9


def test_exact_counts_for_seed_13():
    counts = split_counts(split_corpus(make_corpus(), seed=13))
    assert {name: (c["documents"], c["sentences"], c["tokens"]) for name, c in counts.items()} == \
           {"train": (16, 57, 171), "dev": (2, 10, 30), "test": (2, 8, 24)}


def test_too_few_documents_split_by_sentence():
    doc = Document("one", tuple(Sentence((f"w{i}", "x"), ("O", "B-Model" if i % 2 else "O"), i * 3 + 1, f"s{i}")
                                for i in range(20)), "one.conll", {"docstart": False})
    split = split_corpus([doc], seed=13)
    assert split.by == "sentence"
    assert split.notes[0] == ("1 document(s) are too few for ratios 0.8,0.1,0.1; split by sentence instead "
                              "(sentences of one document may land in different splits)")
    counts = split_counts(split)
    assert [counts[n]["sentences"] for n in ("train", "dev", "test")] == [16, 2, 2]
    for name, part in split:
        assert [d.id for d in part] == ["one"]
        lines = [s.line for s in part[0].sentences]
        assert lines == sorted(lines)  # sentences keep their order
        assert "Model" in counts[name]["entities"]
    assert sorted(s.id for _, part in split for s in part[0].sentences) == sorted(s.id for s in doc.sentences)
    assert split_corpus([doc], seed=13) == split


def test_two_way_split_and_an_empty_share():
    docs = make_corpus()
    assert split_corpus(docs, (0.9, 0.1)).names == ("train", "dev")
    split = split_corpus(docs, (0.9, 0.0, 0.1))
    assert assignment(split)["dev"] == []
    assert sum(len(p) for _, p in split) == 20


@pytest.mark.parametrize("text, expected", [
    ("0.8,0.1,0.1", (0.8, 0.1, 0.1)), ("8,1,1", (0.8, 0.1, 0.1)), ("3,1", (0.75, 0.25)), ("1,0,1", (0.5, 0.0, 0.5)),
])
def test_parse_ratios(text, expected):
    assert parse_ratios(text) == expected


@pytest.mark.parametrize("text", ["a,b", "1", "1,1,1,1", "-1,2,0", "0,0,0", "nan,1"])
def test_bad_ratios(text):
    with pytest.raises(UserError, match="--ratios"):
        parse_ratios(text)


def test_split_command(tmp_path, capsys):
    source = tmp_path / "corpus.conll"
    source.write_text("".join(format_conll(make_corpus())), encoding="utf-8")
    assert main(["split", str(source), "--out", str(tmp_path / "out"), "--seed", "13"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "note: test has no Task (too few documents carry them)"
    assert out[1].split() == ["split", "docs", "sents", "tokens", "Date", "Model", "Task"]
    assert out[2].split() == ["train", "16", "57", "171", "1", "16", "1"]
    assert out[3].split() == ["dev", "2", "10", "30", "1", "2", "1"]
    assert out[4].split() == ["test", "2", "8", "24", "1", "2", "0"]
    back = {name: list(read_conll(tmp_path / "out" / f"{name}.conll")) for name in ("train", "dev", "test")}
    assert [len(back[n]) for n in ("train", "dev", "test")] == [16, 2, 2]
    sentences = Counter(s.words for docs in back.values() for d in docs for s in d.sentences)
    assert sentences == Counter(s.words for d in make_corpus() for s in d.sentences)


def test_split_command_refuses_errors(tmp_path, capsys):
    source = tmp_path / "bad.conll"
    source.write_text("a B-Model\nb X-Model\n", encoding="utf-8")
    assert main(["split", str(source), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "error E111: tag 'X-Model' has the wrong shape" in err and "nothing written" in err
    assert not (tmp_path / "out").exists()


def test_labels_outside_the_schema_are_one_line_naming_labels_auto(tmp_path, capsys):
    source = tmp_path / "nerel.conll"
    source.write_text("Иван B-PERSON\nв O\nМоскве B-CITY\n\n" * 500, encoding="utf-8")
    assert main(["split", str(source), "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"ner split: error: {source}: 1000 tag(s) with labels outside the schema (CITY, PERSON, "
                            f"first at {source}:1); pass --labels auto to take the labels found in the data, "
                            f"--labels FILE, or --map SOURCE=TARGET / --keep LABEL,...\n")
    assert not (tmp_path / "out").exists()


def test_split_maps_keeps_and_writes_train_and_dev_for_two_ratios(tmp_path, capsys):
    source = tmp_path / "nerel.conll"
    source.write_text("Иван B-PERSON\nв O\nМоскве B-CITY\n\n" * 20, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["split", str(source), "--out", str(out), "--ratios", "0.9,0.1", "--map", "PERSON=Organization",
                 "--labels", "auto"]) == 0
    assert "note: 20 entities with labels --map/--keep do not name became O" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["dev.conll", "train.conll"]
    tags = [s.tags for name in ("train", "dev") for d in read_conll(out / f"{name}.conll") for s in d.sentences]
    assert len(tags) == 20 and set(tags) == {("B-Organization", "O", "O")}
    assert main(["split", str(source), "--out", str(tmp_path / "o2"), "--keep", "PERSN", "--labels", "auto"]) == 2
    assert capsys.readouterr().err == (f"ner split: error: --map/--keep: label 'PERSN' never occurs in {source}; "
                                       f"did you mean 'PERSON'? labels there: CITY, PERSON\n")
    # as in ner train: with --map/--keep and no --labels, the labels they give are the schema
    assert main(["split", str(source), "--out", str(tmp_path / "o3"), "--keep", "PERSON"]) == 0
    tags = {s.tags for d in read_conll(tmp_path / "o3" / "train.conll") for s in d.sentences}
    assert tags == {("B-PERSON", "O", "O")}
    capsys.readouterr()
    labels = tmp_path / "labels.txt"
    labels.write_text("Organization\n", encoding="utf-8")
    assert main(["split", str(source), "--out", str(tmp_path / "o4"), "--keep", "PERSON", "--labels", str(labels)]) == 2
    assert "give labels outside the schema (PERSON)" in capsys.readouterr().err
