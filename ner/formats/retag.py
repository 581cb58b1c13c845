"""Corrections written back into a CoNLL file at their lines, every other byte unchanged.

A ``Retag`` says: the sentence whose first word is on ``line`` of ``path`` has ``words``
tagged ``before``; tag it ``after``. ``retag_text`` (pure) checks every line still holds
that word with that tag (the file may have changed since the sentence was read: then the
sentence is left alone and named in the problems) and replaces only the tag field of the
lines whose tag changes: the separator, other columns, trailing spaces, CRLF and BOM stay.
Each change comes back as one line naming the lines whose tag changed
(``x.conll:13 (task 7): «Яндексе» LOC -> ORG``).
``retag_file`` reads and writes the file (UTF-8 only: other encodings are refused).

Left out: sentences that are not one word per line (JSONL, CSV): the caller lists those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..bio import tags_spans
from ..errors import UserError

_LAST = re.compile(r"(\S+)(\s*)$")


@dataclass(frozen=True, slots=True)
class Retag:
    path: str
    line: int                   # 1-based line of the first word; word i on line + i
    words: tuple[str, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    where: str = ""             # what asked for it: "task 7"


def describe(words, before, after) -> str:
    """The span changes of one sentence, e.g. ``«Яндексе» LOC -> ORG; «Иван» PER added``."""
    old, new = set(tags_spans(before)), set(tags_spans(after))
    text = lambda i, j: "«" + " ".join(words[i:j]) + "»"  # noqa: E731
    out = []
    relabelled = {(i, j) for i, j, _ in old - new} & {(i, j) for i, j, _ in new - old}
    for i, j, lab in sorted(old - new):
        if (i, j) in relabelled:
            out.append(f"{text(i, j)} {lab} -> {next(b for a, c, b in new if (a, c) == (i, j))}")
        else:
            out.append(f"{text(i, j)} {lab} removed")
    out += [f"{text(i, j)} {lab} added" for i, j, lab in sorted(new - old) if (i, j) not in relabelled]
    return "; ".join(out)


def retag_text(text: str, retags, name: str = "") -> tuple[str, list[str], list[str]]:
    """``(new text, changes, problems)``: ``retags`` applied to ``text`` (one ``\\n``-separated line per
    word), each change and each sentence left alone as one line naming ``name:line``."""
    lines = text.split("\n")
    changes, problems = [], []
    for r in sorted(retags, key=lambda r: r.line):
        where = f" ({r.where})" if r.where else ""
        if r.before == r.after:
            continue
        moved = [r.line + k for k, (a, b) in enumerate(zip(r.before, r.after)) if a != b]
        span = f"{name}:{moved[0]}" + (f"-{moved[-1]}" if moved[-1] != moved[0] else "")
        rows = []
        for k, (word, tag) in enumerate(zip(r.words, r.before)):
            n = r.line - 1 + k
            body = lines[n].rstrip("\r") if 0 <= n < len(lines) else ""
            core = body.lstrip("\ufeff").strip()
            fields = core.split("\t" if "\t" in core else None)
            m = _LAST.search(body)
            if len(fields) < 2 or fields[0].strip() != word or m is None or m.group(1) != tag:
                found = " ".join(fields) or "nothing"
                problems.append(f"{span}{where}: line {n + 1} holds {found!r}, not {word!r} tagged {tag}; the "
                                f"file changed since the review was pushed: edit it by hand "
                                f"({describe(r.words, r.before, r.after)})")
                break
            rows.append((n, m))
        else:
            for (n, m), old, new in zip(rows, r.before, r.after):
                if old != new:
                    lines[n] = lines[n][:m.start(1)] + new + lines[n][m.end(1):]
            changes.append(f"{span}{where}: {describe(r.words, r.before, r.after)}")
    return "\n".join(lines), changes, problems


def retag_file(path, retags) -> tuple[list[str], list[str]]:
    """``retag_text`` on the file at ``path``, written back in place when anything changed."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise UserError(f"{path}: cannot read it ({e.strerror})") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8; convert it first (ner validate {path} --fix fixed.conll), "
                        f"then apply the corrections to the fixed file") from None
    new, changes, problems = retag_text(text, retags, str(path))
    if new != text:
        path.write_bytes(new.encode("utf-8"))
    return changes, problems
