"""The places reviewers have checked, kept with the critic so that its listing does not ask about them again.

A reviewer who submits a review queue task has read the suspect: its span, its suggestion, and whatever
they changed, in the sentence as they submitted it. A reviewed audit sentence was read whole. ``checked``
turns reviewed tasks into places ``(sentence key, first token, end token)``, the key naming the sentence's
words and tags as the reviewer left them; the critic keeps them (``Critic.info["checked"]``, carried on
by every refit and replay) and ``set_aside`` leaves out of the listing, the queue and the quality estimate
the suspects that fall in one while their sentence stands as the reviewer left it. A kept suspect is not
asked again; a correction is listed until it is written into the file (``--apply``), and once it is there
the critic does not propose to undo it. A sentence changed since by hand is read afresh; a word flagged for
its letters stays listed (a reviewer cannot change words in the queue).
"""

from __future__ import annotations

import hashlib

from ...labelstudio.review import FIXED

KEY = "checked"


def sentence_key(words, tags) -> str:
    """The sentence's words and tags as a short hash: a place is checked only while both stand."""
    text = "\x1f".join(words) + "\x1e" + "|".join(tags)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def checked(reviewed) -> list[list]:
    """``[key, start, end]`` per reviewed task: an audited sentence whole; a queue suspect's span with the
    tokens its suggestion and the reviewer's changes touch (``extra["span"]``, ``extra["fix"]``). A task
    ticked "fixed" and left unchanged checks nothing (the reviewer says there is an error and did not mend it)."""
    out = []
    for r in reviewed:
        words, tags = r.after.words, r.after.tags
        if r.verdict == FIXED and tags == r.before.tags:    # ticked fixed, nothing changed: the error stands
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
        out.append([sentence_key(words, tags), int(lo), int(hi)])
    return out


def merged(*groups) -> list[list]:
    """The places of all ``groups``, each once, in the order first seen."""
    seen, out = set(), []
    for group in groups:
        for key, lo, hi in group or ():
            if (key, lo, hi) not in seen:
                seen.add((key, lo, hi))
                out.append([key, lo, hi])
    return out


def set_aside(items, suspects, places) -> tuple[list, int]:
    """``(suspects left, how many set aside)``: a suspect is set aside where its tokens (span and suggested
    span) meet a checked place of its sentence as it stands; a word flagged for its letters never is (the
    queue changes labels, not words)."""
    by_key: dict[str, list[tuple[int, int]]] = {}
    for key, lo, hi in places or ():
        by_key.setdefault(key, []).append((lo, hi))
    if not by_key:
        return list(suspects), 0
    keys: dict[int, str] = {}
    left = []
    for s in suspects:
        if s.item not in keys:
            keys[s.item] = sentence_key(items[s.item].sentence.words, items[s.item].sentence.tags)
        lo, hi = (min(s.start, s.fix[0]), max(s.end, s.fix[1])) if s.fix else (s.start, s.end)
        if s.kind == "token" or not any(a < hi and lo < b for a, b in by_key.get(keys[s.item], ())):
            left.append(s)
    return left, len(suspects) - len(left)
