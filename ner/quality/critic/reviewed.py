"""The places reviewers have checked, kept with the critic so that its listing does not ask about them again.

A reviewer who submits a review queue task has read the suspect: its span, its suggestion, and whatever
they changed (every token from the first change to the last), in the sentence as they submitted it. A
reviewed audit sentence was read whole. ``checked`` turns each reviewed task into a place: the task's key,
the sentence's words (as a hash), the token range, and the reviewer's tags over it and one token either
side. The critic keeps them (``Critic.info["checked"]``, carried on by every refit and replay; a task
reviewed again replaces its place, as its verdict is replaced), and ``set_aside`` leaves out of the
listing, the queue and the quality estimate the suspects that meet a place whose words and tags stand as
the reviewer left them. So a kept suspect is not asked again, even after a correction elsewhere in its
sentence is written; a correction is listed until it is written into the file (``--apply``), and once it
is there the critic does not propose to undo it; a place changed since by hand is read afresh. A word
flagged for its letters stays listed (a reviewer cannot change words in the queue). ``--recheck`` lists
them all. ``match`` finds a reviewed task's sentence in the corpus given, in the file it was sent from
(``source_finder``: the same path, or a file of the same name), by its words, at its line first.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ...labelstudio.review import FIXED

KEY = "checked"


def sentence_key(words, tags=None) -> str:
    """The sentence's words (and tags, when given) as a short hash."""
    text = "\x1f".join(words) + ("" if tags is None else "\x1e" + "|".join(tags))
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _around(tags, lo: int, hi: int) -> list[str]:
    """The tags a place holds while they stand: its own and one token either side (an entity that grew into
    it, or out of it, changes them)."""
    return list(tags[max(lo - 1, 0):hi + 1])


def checked(reviewed) -> list[list]:
    """``[task key, words key, start, end, tags around, tags around as sent, line sent]`` per reviewed task (the last
    two say whether a correction is written yet: ``unwritten``): an audited sentence whole; a queue
    suspect's span with the tokens its suggestion and the reviewer's changes touch (``extra["span"]``,
    ``extra["fix"]``). A task ticked "fixed" and left unchanged checks nothing (the reviewer says there is an
    error and did not mend it): its place is empty, and ``merged`` drops the one it had."""
    out = []
    for r in reviewed:
        words, tags = r.after.words, r.after.tags
        if r.verdict == FIXED and tags == r.before.tags:
            out.append([r.key, "", 0, 0, []])    # an empty place: one this task had is dropped
            continue
        if "audit" in r.extra:
            lo, hi = 0, len(words)
        elif "span" in r.extra:
            lo, hi = r.extra["span"][:2]
            if r.extra.get("fix"):
                lo, hi = min(lo, r.extra["fix"][0]), max(hi, r.extra["fix"][1])
            changed = [i for i, (a, b) in enumerate(zip(r.before.tags, tags)) if a != b]
            lo, hi = min([lo, *changed]), max([hi, *(i + 1 for i in changed)])
        else:
            continue
        out.append([r.key, sentence_key(words), int(lo), int(hi), _around(tags, lo, hi), _around(r.before.tags, lo, hi),
                    r.extra.get("line") if r.extra.get("per_line", True) else None])
    return out


def _places(group) -> list:
    """The places of a group that have the form ``checked`` gives, or had (without the last two); others, of an
    earlier version, are dropped."""
    return [p for p in group or () if isinstance(p, list) and len(p) in (5, 7) and isinstance(p[4], list)]


def merged(*groups) -> list[list]:
    """The places of all ``groups``, one per task: a later group's place for a task replaces an earlier one."""
    by_task: dict[str, list] = {}
    for group in groups:
        for place in _places(group):
            by_task.pop(place[0], None)
            by_task[place[0]] = list(place)
    return [p for p in by_task.values() if p[1]]


def set_aside(items, suspects, places) -> tuple[list, int]:
    """``(suspects left, places met)``: a suspect is set aside where its tokens (span and suggested span) meet
    a checked place of its sentence whose words and tags stand as the reviewer left them; a word flagged for
    its letters never is (the queue changes labels, not words)."""
    by_words: dict[str, list[tuple]] = {}
    for _, words, lo, hi, tags, *_ in _places(places):
        by_words.setdefault(words, []).append((lo, hi, tags))
    if not by_words:
        return list(suspects), 0
    standing: dict[int, list[tuple[int, int]]] = {}
    left, met = [], set()
    for s in suspects:
        if s.item not in standing:
            sentence = items[s.item].sentence
            standing[s.item] = [(lo, hi) for lo, hi, tags in by_words.get(sentence_key(sentence.words), ())
                                if _around(sentence.tags, lo, hi) == tags]
        lo, hi = s.reach()
        hits = [] if s.kind == "token" else [(a, b) for a, b in standing[s.item] if a < hi and lo < b]
        met.update((s.item, a, b) for a, b in hits)
        if not hits:
            left.append(s)
    return left, len(met)


def unwritten(items, suspects, places) -> list[int]:
    """The positions of those of ``suspects`` that meet a place a reviewer corrected in a one-word-per-line file
    whose sentence, at the line it was sent from, still holds the tags it was sent with: ``--apply`` has not written
    the correction (the critic, having learned it is an error, lists it). A place kept as it was, or edited since by
    hand, or a sentence of the same words elsewhere, is none."""
    by_words: dict[str, list[tuple]] = {}
    for place in _places(places):
        if len(place) == 7 and place[6] is not None and place[4] != place[5]:
            by_words.setdefault(place[1], []).append((place[2], place[3], place[5], place[6]))
    out = []
    for n, s in enumerate(suspects):
        it = items[s.item]
        lo, hi = s.reach()
        if s.kind != "token" and it.per_line and any(
                a < hi and lo < b and line == it.sentence.line and _around(it.sentence.tags, a, b) == sent
                for a, b, sent, line in by_words.get(sentence_key(it.sentence.words), ())):
            out.append(n)
    return out


def _place(item) -> tuple[str, int]:
    return str(Path(item.path).resolve()), item.sentence.line


def source_finder(files):
    """A function from a queue task's ``extra`` to the one of ``files`` its sentence came from: the same file (by the
    path it was sent from, ``sent_path``), else, of the files of the same name (a copy, another checkout), the one
    whose path ends most like the one it was sent from (the first in order on a tie); None."""
    given = {str(Path(f).resolve()): f for f in files}
    by_name: dict[str, list] = {}
    for f in sorted(files):
        by_name.setdefault(Path(f).name, []).append(f)

    def find(extra):
        sent = sent_path(extra)
        if not sent:
            return None
        if str(Path(sent).resolve()) in given:
            return given[str(Path(sent).resolve())]
        tail = Path(sent).parts[::-1]
        return max(by_name.get(Path(sent).name, []), key=lambda f: _shared(Path(f).resolve().parts[::-1], tail),
                   default=None)

    return find


def sent_path(extra) -> str:
    """The path a task's sentence was sent from: absolute, or as given where the file was not found then."""
    return extra.get("abspath") or extra.get("file") or ""


def _shared(a, b) -> int:
    """How many leading elements ``a`` and ``b`` share."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def where_sent(r) -> str:
    return f"{r.extra.get('file', '?')}:{r.extra.get('line', '?')} (task {r.task})"


def match(reviewed, items, shared: bool = False) -> tuple[list, list[str]]:
    """``(pairs, skipped)``: ``(item, task)`` for each reviewed task whose sentence is in ``items``, by its words in
    the file it was sent from (the same path, or a file of the same name: ``source_finder``), at the line it
    was sent from first (all exact matches before any other); an item serves one task (an audit draws a sentence
    once), or several when ``shared`` (a queue's suspects of one sentence); ``skipped`` names those not found."""
    find = source_finder({it.path for it in items})
    by_words: dict[tuple, list[int]] = {}
    for n, it in enumerate(items):
        by_words.setdefault(tuple(it.sentence.words), []).append(n)
    pairs, taken, skipped, later = [], set(), [], []

    def free(r, where) -> list[int]:
        return [n for n in by_words.get(tuple(r.before.words), []) if (shared or n not in taken) and where(items[n])]

    for r in reviewed:
        sent_from = (str(Path(sent_path(r.extra) or "?").resolve()), r.extra.get("line"))
        exact = free(r, lambda it: _place(it) == sent_from)
        if exact:
            pairs.append((exact[0], r))
            taken.add(exact[0])
        else:
            later.append(r)
    for r in later:
        source = find(r.extra)
        there = free(r, lambda it: it.path == source)
        if there:
            pairs.append((there[0], r))
            taken.add(there[0])
        else:
            skipped.append(f"{where_sent(r)}: not in the corpus given")
    return pairs, skipped
