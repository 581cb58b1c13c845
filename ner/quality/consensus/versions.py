"""Several annotators' versions of the same texts, matched by content: one ``Text`` per text.

``load_versions(path)`` reads one annotator's file in any corpus format the toolkit
reads (``ner.formats.registry``), or ``ner tag`` output (JSONL records with ``text`` and
``entities``, tokenized with razdel). ``align(versions)`` matches the sentences of all
annotators by their characters (whitespace ignored; the n-th copy of a repeated text
matches the n-th copy elsewhere) and returns the texts in the first annotator's order,
then those the first lacks, and a ``Note`` for everything that is not a clean match:

- the same characters, other words (another tokenizer): the annotator's spans are moved
  onto the first version's words by character position; a span whose edge falls inside a
  word is widened to whole words (noted); one that then overlaps another is left out (noted);
- a text an annotator lacks: it counts as absent there (no vote), noted once per text;
- a text close to one of the first annotator's but with other words (similarity >= 0.7):
  noted with both places and the first differing word; that version is left out of the
  merge and its annotator counts as absent on the first annotator's text;
- a text no other annotator has: kept, with the versions that have it.

Left out: matching texts split into sentences differently (a text file for ``ner tag``
should hold one sentence per line, or the same texts as the corpora).
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ...bio import spans_tags, tags_spans
from ...errors import UserError
from ...records import Sentence

NEAR = 0.7  # a text this similar to an unmatched one of the first annotator's is "the same text, other words"


@dataclass(frozen=True, slots=True)
class Version:
    """One annotator's sentence: its words and IOB2 tags, and where it stands (``path:line``)."""

    who: str
    sentence: Sentence
    where: str
    per_word: bool = False                # a word per line (CoNLL): word i is ``line + i``

    def place(self, word: int) -> str:
        """Where word ``word`` stands: its own line in CoNLL, the sentence's elsewhere."""
        if not self.per_word or not self.sentence.line:
            return self.where
        return f"{self.where.rsplit(':', 1)[0]}:{self.sentence.line + word}"


@dataclass(frozen=True, slots=True)
class Text:
    """One text with the tags each annotator who has it gave, over the first version's words."""

    key: str
    sentence: Sentence                    # the first version's words (its tags are not used)
    where: str                            # the first version's path:line
    tags: dict                            # annotator -> tuple of IOB2 tags over ``sentence.words``
    copy: int = 0                         # the n-th text with this content (repeated texts match in order)


@dataclass(frozen=True, slots=True)
class Note:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def content_key(words) -> str:
    return "".join("".join(w.split()) for w in words)


def _tagged_record(record: dict, where: str, line: int) -> list[Sentence]:
    """``ner tag`` output (``text`` + ``entities``) as one sentence over razdel's tokens."""
    from ...formats.jsonl import parse_record

    text = record.get("text")
    entities = record.get("entities")
    if not isinstance(text, str) or not isinstance(entities, list):
        raise UserError(f"{where}: a 'ner tag' record needs 'text' (a string) and 'entities' (a list)")
    spans = [{k: e[k] for k in ("start", "end", "label", "text") if k in e} for e in entities
             if isinstance(e, dict)]
    return [parse_record({"text": text, "spans": spans}, where, line, where)]


def _is_tag_output(path: Path) -> bool:
    if path.suffix.lower() != ".jsonl" or not path.is_file():
        return False
    with open(path, encoding="utf-8-sig") as f:
        for raw in f:
            if raw.strip():
                try:
                    first = json.loads(raw)
                except json.JSONDecodeError:
                    return False
                return isinstance(first, dict) and "entities" in first and "tags" not in first \
                    and "spans" not in first
    return False


def load_versions(path, who: str, *, fmt: str | None = None, schema=None, mapping=None) -> list[Version]:
    """Every non-empty sentence of one annotator's file, labels renamed by ``mapping`` (others become O,
    as ``--map`` does for training); a corpus error is a UserError naming it."""
    out = _read_versions(path, who, fmt=fmt, schema=None if mapping else schema)
    if not mapping:
        return out
    from ...corpus import map_tags

    return [Version(v.who, v.sentence.with_tags(map_tags(v.sentence.tags, mapping)[0]), v.where) for v in out]


def _read_versions(path, who: str, *, fmt: str | None = None, schema=None) -> list[Version]:
    from ...check import Report
    from ...formats.registry import load, require

    require(path)
    path = Path(path)
    out = []
    if fmt is None and _is_tag_output(path):
        with open(path, encoding="utf-8-sig") as f:
            for number, raw in enumerate(f, 1):
                if raw.strip():
                    where = f"{path}:{number}"
                    try:
                        record = json.loads(raw)
                    except json.JSONDecodeError as e:
                        raise UserError(f"{where}: not valid JSON ({e.msg}); each line must hold one object") from None
                    line = record.get("line", number) if isinstance(record, dict) else number
                    out += [Version(who, s, f"{path}:{number}") for s in _tagged_record(record, where, line) if len(s)]
        return out
    from ...formats.registry import guess_format

    report = Report()
    per_word = guess_format(path, fmt) == "conll"
    for doc in load(path, fmt, schema=schema, report=report):
        for n, s in enumerate(doc.sentences, 1):
            if len(s):
                out.append(Version(who, s, f"{path}:{s.line}" if s.line else f"{path} sentence {n}", per_word))
    if report.errors:
        first = report.errors[0]
        raise UserError(f"{first} ({len(report.errors)} error(s); 'ner validate {path}' lists them)")
    return out


def _char_starts(words) -> tuple[list[int], list[int]]:
    """Each word's first and one-past-last character in the whitespace-free content."""
    starts, ends, pos = [], [], 0
    for w in words:
        n = len("".join(w.split()))
        starts.append(pos)
        ends.append(pos + n)
        pos += n
    return starts, ends


def project_tags(version: Version, target_words, notes: list) -> tuple[str, ...]:
    """``version``'s spans moved onto ``target_words`` (the same characters, other words)."""
    source = version.sentence
    s_starts, s_ends = _char_starts(source.words)
    t_starts, t_ends = _char_starts(target_words)
    spans = []
    for i, j, label in tags_spans(source.tags):
        a, b = s_starts[i], s_ends[j - 1]
        first = max(k for k, x in enumerate(t_starts) if x <= a)
        last = min(k for k, x in enumerate(t_ends) if x >= b)
        if t_starts[first] != a or t_ends[last] != b:
            said = " ".join(source.words[i:j])
            notes.append(Note(version.place(i), f"{label} {said!r} does not start and end on the first version's "
                                                f"words; widened to {' '.join(target_words[first:last + 1])!r}"))
        if spans and first < spans[-1][1]:
            notes.append(Note(version.place(i), f"{label} {' '.join(source.words[i:j])!r} overlaps the span before "
                                                f"it once moved onto the first version's words; left out"))
            continue
        spans.append((first, last + 1, label))
    return tuple(spans_tags(len(target_words), spans))


def _first_difference(a, b) -> tuple[int, str]:
    """The index of the first word where ``b`` differs from ``a``, and the difference in words."""
    k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    x = repr(a[k]) if k < len(a) else "the end"
    y = repr(b[k]) if k < len(b) else "the end"
    return k, f"word {k + 1}: {y} where the other has {x}"


def align(versions: dict[str, list[Version]], silent=()) -> tuple[list[Text], list[Note]]:
    """Texts matched by content across annotators (``{annotator: versions}``, the first is the reference);
    a text that an annotator named in ``silent`` lacks is not noted (the gold covers only some texts)."""
    names = list(versions)
    notes: list[Note] = []
    order: list[tuple[str, int]] = []                 # (key, copy) in output order
    found: dict[tuple[str, int], dict[str, Version]] = defaultdict(dict)
    for who in names:
        seen: dict[str, int] = defaultdict(int)
        for v in versions[who]:
            key = content_key(v.sentence.words)
            slot = (key, seen[key])
            seen[key] += 1
            if slot not in found:
                order.append(slot)
            found[slot][who] = v
    reference = names[0]
    lone = [slot for slot in order if reference not in found[slot]]
    open_ref = [slot for slot in order if reference in found[slot] and len(found[slot]) < len(names)]
    dropped: set[tuple[str, int]] = set()
    if lone and open_ref:
        keys = [slot[0] for slot in open_ref[:2000]]
        for slot in lone:
            close = difflib.get_close_matches(slot[0], keys, n=1, cutoff=NEAR)
            if not close:
                continue
            target = open_ref[keys.index(close[0])]
            for who, v in list(found[slot].items()):
                if who in found[target]:
                    continue
                ref = found[target][reference]
                k, differs = _first_difference(ref.sentence.words, v.sentence.words)
                notes.append(Note(v.place(min(k, len(v.sentence) - 1)),
                                  f"the text of {ref.where} with other words ({differs}); this version is left out "
                                  f"of the merge and {who} counts as absent there"))
                del found[slot][who]
            if not found[slot]:
                dropped.add(slot)
    texts = []
    for slot in order:
        if slot in dropped:
            continue
        have = found[slot]
        first = next(have[who] for who in names if who in have)
        tags = {}
        for who in names:
            v = have.get(who)
            if v is None:
                continue
            if v.sentence.words == first.sentence.words:
                tags[who] = tuple(v.sentence.tags)
            else:
                tags[who] = project_tags(v, first.sentence.words, notes)
        missing = [who for who in names if who not in have and who not in silent]
        if missing:
            text = first.sentence.text
            notes.append(Note(first.where, f"{', '.join(missing)} lack{'s' if len(missing) == 1 else ''} this text "
                                           f"({text[:60]!r}{'…' if len(text) > 60 else ''}); counted as absent "
                                           f"there (no vote)"))
        texts.append(Text(slot[0], first.sentence, first.where, tags, slot[1]))
    return texts, notes


def annotator_names(paths, names: str = "") -> list[str]:
    """Each file's annotator: ``--names a,b,c`` when given, else the file name (its stem when those differ)."""
    if names:
        given = [n.strip() for n in names.split(",")]
        if len(given) != len(paths) or not all(given):
            raise UserError(f"--names {names}: give one name per file ({len(paths)}), comma-separated")
        out = given
    else:
        stems = [Path(p).stem for p in paths]
        out = stems if len(set(stems)) == len(stems) else [str(p) for p in paths]
    if len(set(out)) != len(out):
        twice = next(n for n in out if out.count(n) > 1)
        raise UserError(f"{twice} is given twice; one file per annotator (or --names)")
    return out
