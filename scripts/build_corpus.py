#!/usr/bin/env python
"""Build ``corpora/ml_ru_written.conll`` from its hand-written sources ``corpora/src/ml_ru_written*.md``.

Sources are read in name order (``ml_ru_written.md`` first, then the register files
``ml_ru_written_chat.md``, ``..._markdown.md`` and so on) and become one corpus.
Source markup: one sentence per line; a line ``@@ <title>`` opens a document;
entities are marked inline as ``[text](Label)`` with a label of the schema
(``annotation/labels.toml``). Everything else on a line is the text itself,
markdown included (``## heading``, ``**bold**``, ``| table |``, ``[link](https://...)``):
only a bracket pair followed by ``(Word)`` is entity markup, and a ``Word`` that is not
a label is an error. Lines before the first ``@@`` line (the preamble) and blank
lines are ignored.

Each sentence is tokenized with razdel (``ner.text.tokenize``) and every marked
span is mapped onto whole tokens. A span that does not start and end on token
boundaries, an unknown label, a stray bracket or an empty document is an error
reported as ``SOURCE:LINE: ...``; nothing is dropped or stretched. The output
has ``-DOCSTART-`` before each document, one tab-separated ``word tag`` per line.

Usage: ``.venv/bin/python scripts/build_corpus.py [--src SRC ...] [--out OUT]``.
Left out: nested spans (the markup has no way to write them; the guidelines keep the outermost).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = ROOT / "corpora" / "src"
SOURCES = tuple(sorted(SRC_DIR.glob("ml_ru_written*.md")))
OUT = ROOT / "corpora" / "ml_ru_written.conll"

_ENTITY = re.compile(r"\[([^\[\]]+)\]\(([A-Za-z_]+)\)")


def parse_line(line: str, labels) -> tuple[str, list[tuple[int, int, str]], list[str]]:
    """Plain text of a marked-up line, its character spans ``(start, end, label)`` and its problems."""
    problems = []
    parts, spans, pos, last = [], [], 0, 0
    for m in _ENTITY.finditer(line):
        text, label = m.group(1), m.group(2)
        if label not in labels:
            problems.append(f"unknown label {label!r} on [{text}] (labels: {', '.join(labels)})")
        if text != text.strip():
            problems.append(f"span [{text}] ({label}) starts or ends with a space")
        parts.append(line[last:m.start()])
        pos += m.start() - last
        spans.append((pos, pos + len(text), label))
        parts.append(text)
        pos += len(text)
        last = m.end()
    parts.append(line[last:])
    plain = "".join(parts)
    # markdown stays; what looks like half of an entity mark is a typo ('[x](Model' or '[[x]](Model)')
    stray = re.search(r"\]\((?:%s)\b" % "|".join(map(re.escape, labels)), plain)
    if stray:
        problems.append(f"stray entity markup {plain[stray.start():stray.end()]!r} left in the text: {plain!r}")
    return plain, spans, problems


def align(text: str, spans, tokens) -> tuple[list[tuple[int, int, str]], list[str]]:
    """Token-index spans for character spans; a problem for each span off the token boundaries."""
    starts = {start: i for i, (start, _, _) in enumerate(tokens)}
    ends = {end: i + 1 for i, (_, end, _) in enumerate(tokens)}
    out, problems = [], []
    for start, end, label in spans:
        if start not in starts or end not in ends:
            near = [w for s, e, w in tokens if s < end and e > start]
            problems.append(f"span [{text[start:end]}] ({label}) is not on razdel token boundaries "
                            f"(tokens there: {near})")
            continue
        out.append((starts[start], ends[end], label))
    return out, problems


def parse_source(source: str, labels, name: str = "<source>", first: int = 1):
    """Documents of a marked-up source, numbered from ``first``; raises ValueError listing every
    problem as ``NAME:LINE: ...``."""
    from ner.bio import spans_tags
    from ner.records import Document, Sentence
    from ner.text import tokenize

    problems: list[str] = []
    docs: list[tuple[str, int, list]] = []
    for lineno, raw in enumerate(source.splitlines(), 1):
        line = raw.strip()
        if line.startswith("@@ "):
            docs.append((line[3:].strip(), lineno, []))
            continue
        if not line or not docs:
            continue
        text, spans, found = parse_line(line, labels)
        tokens = tokenize(text)
        token_spans, off = align(text, spans, tokens)
        found += off
        try:
            tags = spans_tags(len(tokens), token_spans)
        except ValueError as e:
            found.append(str(e))
        problems += [f"{name}:{lineno}: {p}" for p in found]
        if found:
            continue
        n = len(docs[-1][2]) + 1
        sentence = Sentence(tuple(w for _, _, w in tokens), tuple(tags), lineno,
                            f"w{first + len(docs) - 1:03d}-{n:02d}", text, tuple((s, e) for s, e, _ in tokens))
        docs[-1][2].append(sentence)
    for title, lineno, sentences in docs:
        if not sentences:
            problems.append(f"{name}:{lineno}: document {title!r} has no sentences")
    if problems:
        raise ValueError("\n".join(problems))
    return [Document(f"w{i:03d}", tuple(sentences), name, {"docstart": True, "title": title})
            for i, (title, _, sentences) in enumerate(docs, first)]


def parse_sources(sources, labels) -> list:
    """Documents of every source file in order; one ValueError with the problems of all of them."""
    documents, problems = [], []
    for src in sources:
        try:
            documents += parse_source(Path(src).read_text(encoding="utf-8"), labels, Path(src).name,
                                      first=len(documents) + 1)
        except ValueError as e:
            problems.append(str(e))
    if problems:
        raise ValueError("\n".join(problems))
    return documents


def sentence_texts(sources=SOURCES) -> list[tuple[tuple[str, ...], str]]:
    """``(tokens, original text)`` of every sentence of the sources: what a detokenizer is measured on."""
    from ner.schema import load_schema

    return [(s.words, s.source_text) for d in parse_sources(sources, load_schema().names) for s in d.sentences]


def build(sources=SOURCES, out: Path = OUT) -> int:
    """Parse ``sources`` and write ``out``; returns the number of sentences written."""
    from ner.formats.conll import write_conll
    from ner.schema import load_schema

    if not sources:
        raise ValueError(f"no sources: expected {SRC_DIR.relative_to(ROOT)}/ml_ru_written*.md")
    documents = parse_sources(sources, load_schema().names)
    return write_conll(documents, out, docstart=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, nargs="+", default=list(SOURCES),
                        help=f"marked-up sources, in order (default {SRC_DIR.relative_to(ROOT)}/ml_ru_written*.md)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"CoNLL to write (default {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    try:
        n = build(args.src, args.out)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 1
    print(f"{args.out}: {n} sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
