"""Corrections written back into a CoNLL file at their lines, every other byte unchanged.

A ``Retag`` says: the sentence whose first word is on ``line`` of ``path`` has ``words``
tagged ``before``; tag it ``after``. ``retag_text`` (pure) checks every line still holds
that word with that tag (the file may have changed since the sentence was read: then the
sentence is left alone and named in the problems; a sentence that holds ``after`` already,
applied before, is named as such and counts as no problem) and replaces only the tag field of the
lines whose tag changes: the separator, other columns, trailing spaces, CRLF and BOM stay.
The sentence must also end where it did (a word added by hand after it makes it another sentence): at a
blank line, or, in a file without blank lines, where ``ner`` infers a break (W101). Each change comes back as one
line naming the lines whose tag changed
(``x.conll:13 (task 7): «Яндексе» LOC -> ORG``). A file written in IOB1, BIOES or BILOU (read
as IOB2, ``check.py``) gets its corrections in its own scheme (``file_scheme``, ``sentence_scheme``,
``respell``), and only the lines whose spelling the correction changes are touched (a tolerated slip
elsewhere in the sentence, ``B_PER`` or an IOB2 name opening with ``I-``, stays as written): ``S-ORG`` stays ``S-``, an
IOB1 entity opens with ``I-``.
``retag_file`` reads and writes the file (UTF-8 only: other encodings are refused).

Left out: sentences that are not one word per line (JSONL, CSV): the caller lists those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..bio import parse_tag, spans_tags, tags_spans
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


def as_iob2(tags) -> tuple[str, ...]:
    """IOB2 spelling of IOB1, BIOES or BILOU tags (S-/U- open and close a name, E-/L- close one)."""
    plain = []
    for i, tag in enumerate(tags):
        parsed = parse_tag(tag) if tag != "O" else None
        if parsed is None or parsed.prefix not in "SEUL":
            plain.append(tag)
        elif parsed.prefix in "SU":
            plain.append(f"B-{parsed.label}")
        else:
            plain.append(f"I-{parsed.label}")
    return tuple(spans_tags(len(plain), tags_spans(plain)))


def file_scheme(lines) -> str:
    """``bioes``, ``bilou``, ``iob1`` or ``iob2``: the scheme a CoNLL file's tags are written in (``iob2``
    where nothing tells: no S/E/U/L tag, and no name opening with I- unless some open with B- after O too,
    which is IOB2 with slips)."""
    prefixes, i_opens, b_opens = set(), 0, 0
    before = "O"
    for line in lines:
        core = line.lstrip("\ufeff").strip()
        fields = core.split()
        if len(fields) < 2 or core.startswith("#"):  # a comment, even after a BOM or spaces, as the reader has it
            before = "O"
            continue
        tag = fields[-1]
        parsed = parse_tag(tag)
        prefixes.add(parsed.prefix)
        if parsed.prefix == "I" and parse_tag(before).label != parsed.label:
            i_opens += 1
        if parsed.prefix == "B" and before == "O":
            b_opens += 1
        before = tag if parsed.prefix not in ("", "O") else "O"
    if prefixes & set("SE"):
        return "bioes"
    if prefixes & set("UL"):
        return "bilou"
    return "iob1" if i_opens and not b_opens else "iob2"


def sentence_scheme(written, file: str) -> str:
    """The scheme one sentence's tags are written in: its own S/E or U/L tags say BIOES or BILOU; names
    spelled with B-/I- alone follow the file's IOB1 or IOB2 (IOB2 in a file whose other sentences are
    BIOES); a sentence without names takes the file's scheme."""
    prefixes = {parse_tag(t).prefix for t in written if t != "O"} - {"", "O"}
    if prefixes & set("SE"):
        return "bioes"
    if prefixes & set("UL"):
        return "bilou"
    if not prefixes or file in ("iob1", "iob2"):
        return file
    return "iob2"


def respell(iob2, scheme: str) -> tuple[str, ...]:
    """IOB2 tags written in ``scheme`` (the inverse of ``as_iob2`` for that scheme)."""
    out = ["O"] * len(iob2)
    single, first, last = {"bioes": ("S", "B", "E"), "bilou": ("U", "B", "L")}.get(scheme, ("B", "B", "I"))
    previous = None  # (end, label) of the name before
    for i, j, label in tags_spans(iob2):
        for k in range(i, j):
            out[k] = f"I-{label}"
        if scheme == "iob1":
            if previous == (i, label):  # IOB1 writes B- only where a name follows one of its own label
                out[i] = f"B-{label}"
        elif j - i == 1:
            out[i] = f"{single}-{label}"
        else:
            out[i], out[j - 1] = f"{first}-{label}", f"{last}-{label}"
        previous = (j, label)
    return tuple(out)


def retag_text(text: str, retags, name: str = "") -> tuple[str, list[str], list[str], list[str]]:
    """``(new text, changes, problems, already)``: ``retags`` applied to ``text`` (one ``\\n``-separated line
    per word), each change, each sentence left alone and each correction the file holds already (applied
    before: nothing to do) as one line naming ``name:line``."""
    lines = text.split("\n")
    scheme = file_scheme(lines)
    changes, problems, already = [], [], []
    ends = None                    # (first line, words) of each sentence as ner reads the text, once needed
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
            if len(fields) < 2 or fields[0].strip() != word or m is None:
                found = " ".join(fields) or "nothing"
                problems.append(f"{span}{where}: line {n + 1} holds {found!r}, not {word!r} tagged {tag}; the "
                                f"file changed since the review was pushed: edit it by hand "
                                f"({describe(r.words, r.before, r.after)})")
                break
            rows.append((n, m))
        else:
            end = r.line - 1 + len(r.words)   # the sentence must end where it did: a word added by hand after it
            following = lines[end].rstrip("\r").strip() if end < len(lines) else ""  # is no sentence it saw
            if following and ends is None:     # a file without blank lines: ner infers where sentences end
                ends = _sentences(text)
            if following and (r.line, len(r.words)) not in ends:
                problems.append(f"{span}{where}: line {end + 1} holds {following!r} after the sentence's last word; "
                                f"the file changed since the review was pushed: edit it by hand "
                                f"({describe(r.words, r.before, r.after)})")
                continue
            written = tuple(m.group(1) for _, m in rows)
            if as_iob2(written) == as_iob2(r.after):
                already.append(f"{span}{where}: {describe(r.words, r.before, r.after)}")
                continue
            if as_iob2(written) != as_iob2(r.before):
                k = next(k for k, (a, b) in enumerate(zip(as_iob2(written), as_iob2(r.before))) if a != b)
                problems.append(f"{span}{where}: line {r.line + k} holds {r.words[k] + ' ' + written[k]!r}, not "
                                f"{r.words[k]!r} tagged {r.before[k]}; the file changed since the review was pushed: "
                                f"edit it by hand ({describe(r.words, r.before, r.after)})")
                continue
            own = sentence_scheme(written, scheme)  # the correction in the sentence's own spelling, and only
            was, now = respell(as_iob2(r.before), own), respell(as_iob2(r.after), own)  # the lines it changes
            for (n, m), old, new in zip(rows, was, now):
                if old != new:
                    lines[n] = lines[n][:m.start(1)] + new + lines[n][m.end(1):]
            changes.append(f"{span}{where}: {describe(r.words, r.before, r.after)}")
    return "\n".join(lines), changes, problems, already


def _sentences(text: str) -> set[tuple[int, int]]:
    """``(first line, number of words)`` of each sentence of CoNLL ``text`` as ``ner`` reads it (breaks inferred at
    sentence-final punctuation where a document has no blank line, W101)."""
    from .conll import parse_conll_string

    text = text[1:] if text.startswith("\ufeff") else text    # the corpus reader drops a BOM (utf-8-sig)
    return {(s.line, len(s.words)) for doc in parse_conll_string(text) for s in doc.sentences}


def retag_file(path, retags) -> tuple[list[str], list[str], list[str]]:
    """``retag_text`` on the file at ``path``, written back in place when anything changed."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise UserError(f"{path}: cannot read it ({e.strerror})") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8; convert it first (ner validate {path} --fix fixed.conll), "
                        f"then apply the corrections to the fixed file") from None
    new, changes, problems, already = retag_text(text, retags, str(path))
    if new != text:
        path.write_bytes(new.encode("utf-8"))
    return changes, problems, already
