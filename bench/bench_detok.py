"""Detokenization: the share of the written corpus's sentences whose text comes back exactly from their tokens.

``corpora/src/ml_ru_written*.md`` hold the original sentences of ``corpora/ml_ru_written.conll``
(``scripts/build_corpus.py`` tokenizes them with razdel). Each sentence's tokens are joined again and
compared with the original, character for character. Printed side by side: ``ner.detok.detokenize``
(what Label Studio tasks show for a CoNLL corpus), sacremoses' Moses detokenizer (``lang="ru"``, the
usual peer), the rule the toolkit had before (one space, none before closing punctuation or after an
opening bracket, numbers and file names joined) and a plain join with spaces; then the most frequent
differences left.

    .venv/bin/python bench/bench_detok.py [--show 20]
"""

from __future__ import annotations

import argparse
import collections
import difflib
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CLOSING = frozenset(".,:;!?)]}»…%”") | {"...", "?!", "!?", "!!", "??"}
_OPENING = frozenset("([{«„“")


def sentences():
    """(tokens, original text) of every sentence of the written corpus's sources."""
    spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "scripts" / "build_corpus.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build.sentence_texts()


def before_rule(words) -> str:
    """The toolkit's detokenizer before ``ner/detok.py`` (labelstudio/layout.py), for the 'before' figure."""
    out, before, prev, quote = [], "", None, False
    for word in words:
        if prev is not None:
            if word in "\"'":
                space = not quote
            elif word in _CLOSING or prev in _OPENING:
                space = False
            elif prev in "\"'":
                space = not quote
            elif prev == "." and before.isdigit() and word.isdigit():
                space = False
            elif prev == "." and before[-1:].isalnum() and re.match(r"(?=[0-9]*[a-z])[a-z0-9]{1,4}\Z", word):
                space = False
            else:
                space = True
            out.append(" " if space else "")
        if word in "\"'":
            quote = not quote
        out.append(word)
        before, prev = prev or "", word
    return "".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", type=int, default=20, help="differences of ner's detokenizer to list")
    args = parser.parse_args(argv)
    from ner.detok import detokenize

    data = sentences()
    joiners = {"ner.detok.detokenize": lambda w: detokenize(w)[0]}
    try:
        from sacremoses import MosesDetokenizer

        moses = MosesDetokenizer(lang="ru")
        joiners["sacremoses (Moses, ru)"] = lambda w: moses.detokenize(list(w))
    except ImportError:
        print("sacremoses is not installed (pip install sacremoses): its column is left out")
    joiners["before (layout.py rule)"] = before_rule
    joiners["plain join with spaces"] = " ".join
    print(f"{len(data)} sentences of corpora/src/ml_ru_written*.md, text given back exactly:")
    for name, join in joiners.items():
        exact = sum(join(words) == text for words, text in data)
        print(f"  {name:<26} {exact / len(data):7.2%}  ({exact})")
    diffs = collections.Counter()
    for words, text in data:
        got = detokenize(words)[0]
        if got != text:
            for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, got, text, autojunk=False).get_opcodes():
                if op != "equal":
                    diffs[(got[max(0, i1 - 6):i2 + 6], text[max(0, j1 - 6):j2 + 6])] += 1
    for (got, want), n in diffs.most_common(args.show):
        print(f"  {n:3d}  {got!r} (written {want!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
