"""What annotate reads: text lines kept verbatim (CRLF, BOM, odd separators), corpora with their own tokens."""

from __future__ import annotations

from ner.llm.inputs import read_items


def test_text_lines_end_at_newlines_only_and_keep_everything_else(tmp_path):
    path = tmp_path / "t.txt"
    lines = ["Яндекс\u2028и BERT", "  😀 ё\u00a0й\x0cконец  ", "", "последняя"]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    items = read_items(str(path))
    assert [(i.text, i.line, i.id) for i in items] == [(lines[0], 1, "t:1"), (lines[1], 2, "t:2"),
                                                       (lines[3], 4, "t:4")]
    for item in items:
        assert all(item.text[s:e] == w for w, (s, e) in zip(item.words, item.offsets))


def test_a_corpus_keeps_its_own_words_and_documents(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("-DOCSTART-\tO\n\nBERT-а\tB-Model\nвышел\tO\n\nGPT\tB-Model\n", encoding="utf-8")
    items = read_items(str(path), "conll")
    assert [i.words for i in items] == [("BERT-а", "вышел"), ("GPT",)]
    assert [i.docstart for i in items] == [True, False] and [s.text for s in items[0].spans] == ["BERT-а"]
