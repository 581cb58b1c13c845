"""Plain texts, one per line: the raw material a team pushes to Label Studio before anything is tagged.

``load_texts`` reads a UTF-8 (or cp1251/koi8-r/UTF-16, as ``textfile`` detects) file and makes each
non-blank line one sentence record whose ``source_text`` is the line exactly as written (spaces, markup
and all) and whose words are razdel's tokens of it, every tag ``O``; all lines are one document named
after the file, as a JSONL file without document ids is. ``looks_like_conll`` tells such a file from a
CoNLL one with a ``.txt`` suffix (both are common).

Left out: texts that span several lines (a paragraph per line is what this reads); tags (texts have none).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..check import Report
from ..records import Document, Sentence

_TAG = re.compile(r"^(O|[BIESLU][-_].+)$")


def looks_like_conll(path: str | Path, sample: int = 20) -> bool:
    """Whether the first non-blank lines read as ``token ... tag`` rows (a .txt may be either)."""
    rows = []
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", "-DOCSTART-")):
                rows.append(line)
                if len(rows) >= sample:
                    break
    return bool(rows) and all(len(r.split()) >= 2 and _TAG.match(r.split()[-1]) for r in rows)


def load_texts(path: str | Path, *, schema=None, report: Report | None = None) -> Iterator[Document]:
    """One document of the file's non-blank lines, each a sentence with the line as its text.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
    ...     _ = f.write("Берём  Qwen2.5-7B  и **LoRA**\\n\\nВторой текст.\\n")
    >>> [(s.line, s.source_text, s.words[:3]) for s in next(load_texts(f.name)).sentences]
    [(1, 'Берём  Qwen2.5-7B  и **LoRA**', ('Берём', 'Qwen', '2.5-7')), (3, 'Второй текст.', ('Второй', 'текст', '.'))]
    >>> os.unlink(f.name)
    """
    from ..text import text_lines, tokenize
    from .textfile import open_text

    report = report if report is not None else Report()
    stream = open_text(str(path), report)
    if stream is None:
        return
    sentences = []
    with stream:
        for n, line in enumerate(text_lines(stream.read()), 1):
            if not line.strip():
                continue
            words = tokenize(line)
            sentences.append(Sentence(tuple(w for _, _, w in words), ("O",) * len(words), n, f"{Path(path).stem}:{n}",
                                      line, tuple((s, e) for s, e, _ in words)))
    if sentences:
        yield Document(Path(path).stem, tuple(sentences), str(path), {"docstart": False})
