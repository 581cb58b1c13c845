"""The critic's review queue in Label Studio, learning from the verdicts, and the corrections put back.

``push_review(client, title, items, labels, suspects)`` sends one open task per suspect through the generic
queue (``labelstudio/review.py``): the sentence as it stands (pre-selected), the suggested correction as a
prediction of model version ``critic``, a note naming the suspect span and the suggestion, most suspect first.
A suspect already in the project is not sent again (an open one's suspicion and note are brought up to date).
``ensure_queue`` (re-exported) checks the project before the out-of-fold training starts.

``learn(client, title, critic, weight)`` reads what reviewers submitted (``verdicts.py``: a suspect the reviewer
changed, or ticked "fixed" leaving all as it was, is an error, any other kept) and refits the critic with them
(``Critic.refit``), as ``--push-review`` does before it pushes again.

``corrections(reviewed)`` turns the submitted sentences into ``Retag`` records at the
file and lines the suspect came from (``formats/retag.py`` writes them back).

Left out: Label Studio Enterprise's review stage; tokens flagged for their letters (a
word's spelling is not a span verdict).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from ...bio import spans_tags, tags_spans
from ...errors import UserError
from ...formats.retag import Retag
from ...labelstudio.review import (FIXED, KEPT, ReviewItem, Version, bring_up_to_date, ensure_queue,  # noqa: F401
                                   push_queue, read_queue)
from .model import held  # noqa: F401  (re-exported: what a critic holds)
from .report import where
from .reviewed import KEY, checked, merged, source_finder
from .verdicts import read_again, signals_key, verdicts, verdicts_or_refuse  # noqa: F401  (re-exported)

MODEL_VERSION = "critic"


def _suspect_id(item, s) -> str:
    words = "\x1f".join(item.sentence.words)
    key = f"{words}\x1e{'|'.join(item.sentence.tags)}\x1e{s.start}:{s.end}:{s.kind}:{s.label}"
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def corrected_tags(tags, s) -> list[str]:
    """The sentence's tags with the suspect's suggestion applied."""
    spans = [sp for sp in tags_spans(tags) if not (s.label and sp == (s.start, s.end, s.label))]
    if s.fix:
        a, b, _ = s.fix
        spans = [sp for sp in spans if not (sp[0] < b and a < sp[1])] + [s.fix]
    return spans_tags(len(tags), sorted(spans))


def note(sentence, s) -> str:
    """The note under the task's text: the suspect and the suggestion, quoted from that text («Llama-3-8B»), and
    every other annotated span the suggestion would replace (a span the model reads over two annotated ones)."""
    from ...labelstudio.tasks import sentence_layout

    text, at = sentence_layout(sentence)
    quote = lambda i, j: "«" + re.sub(r"[ \t\r\n\f\v]+", " ", text[at[i][0]:at[j - 1][1]]) + "»"  # noqa: E731
    if s.kind == "missing" and s.fix:
        body = f"{quote(s.fix[0], s.fix[1])} не размечено; может быть, {s.fix[2]}?"
    elif s.kind == "spurious" or not s.fix:
        body = f"{quote(s.start, s.end)} ({s.label}) может быть не сущностью?"
    elif s.kind == "type":
        body = f"{quote(s.start, s.end)}: {s.label} или {s.fix[2]}?"
    else:
        body = f"{quote(s.start, s.end)} ({s.label}): границы {quote(s.fix[0], s.fix[1])}?"
    gone = sorted(set(tags_spans(sentence.tags)) - set(tags_spans(corrected_tags(sentence.tags, s)))
                  - {(s.start, s.end, s.label)})
    taken = ", ".join(f"{quote(i, j)} ({label})" for i, j, label in gone)
    return f"Подозрение {s.score:.0%}: {body}" + f" Заменит {taken}." * bool(gone)


def review_items(items, suspects) -> list[ReviewItem]:
    """One queue item per suspect (flagged tokens left out); the suspect's record goes along in ``extra``."""
    out = []
    for s in suspects:
        if s.kind == "token":
            continue
        item = items[s.item]
        record = s.record(items)
        path = Path(item.path)
        extra = {"file": item.path, "abspath": str(path.resolve()) if path.exists() else "",
                 "line": item.sentence.line, "annotator": item.annotator, "per_line": item.per_line, "kind": s.kind,
                 "span": [s.start, s.end, s.label], "fix": list(s.fix) if s.fix else None,
                 "features": [float(x) for x in s.features], "signals": signals_key()}
        out.append(ReviewItem(_suspect_id(item, s), item.sentence, float(s.score),
                              where(record), note(item.sentence, s),
                              (Version(MODEL_VERSION, tuple(corrected_tags(item.sentence.tags, s))),), extra))
    return out


def unreviewed(client, title: str, items, suspects, top: int) -> list:
    """The first ``top`` suspects (flagged tokens left out) whose task in ``title`` no reviewer has submitted: one
    corrected there but not yet written by ``--apply`` heads the listing, and would take a place and send nothing."""
    from ...labelstudio.review import submitted_keys

    done = submitted_keys(client, title)
    return [s for s in suspects if s.kind != "token" and _suspect_id(items[s.item], s) not in done][:top]


def push_review(client, title: str, items, labels, suspects) -> int:
    """Send the suspects (not flagged tokens) as open review tasks; returns how many were created."""
    return push_queue(client, title, review_items(items, suspects), labels)


def retire_review(client, title: str, items, listed, candidates, places=()) -> int:
    """The queue's open tasks sent from these items' files: one ``listed`` again, or at the place (file, line,
    annotator, span, kind) of one of ``candidates`` (every one scored, before overlaps are suppressed: of two
    overlapping ones either may be listed), takes its new suspicion and note; the others go to the end of the tab,
    saying so (``bring_up_to_date``), those at a place reviewers checked (``places``) too."""
    from ...labelstudio.review import GONE
    from .reviewed import set_aside

    def source(path: str) -> str:
        return str(Path(path).resolve()) if Path(path).exists() else path

    def place(extra) -> tuple:   # as review_items writes it: the file, the line, the annotator, the span, the kind
        return (extra.get("abspath") or extra.get("file"), extra.get("line"), extra.get("annotator", ""),
                *(extra.get("span") or (None,) * 3), extra.get("kind"))

    sources = {source(p) for p in {it.path for it in items}}
    by_key = {it.key: it for it in review_items(items, listed)}
    live, _ = set_aside(items, candidates, places)
    by_place = {place(it.extra): it for it in reversed(review_items(items, live))}   # the best one last: kept

    def lookup(key, extra):
        here = place(extra)
        if "audit" in extra or here[0] not in sources:
            return None
        return by_key.get(key) or by_place.get(here, GONE)

    return bring_up_to_date(client, title, lookup)


def push_line(sent: int, suspects, title: str, retired: int = 0) -> str:
    """What ``push_review`` did, with how many of the suspects were in the project already."""
    queued = sum(s.kind != "token" for s in suspects)
    there = f"; {queued - sent} of the {queued} were there already" if sent < queued else ""
    gone = (f"; {retired} open task(s) of suspects this critic no longer finds go to its end (suspicion 0, a note "
            "saying so)" if retired else "")
    return (f"{sent} suspect(s) sent to project {title!r} as open tasks{there}; its tab 'Review queue' lists them "
            f"most suspect first{gone}")


def learn(client, title: str, critic, weight: float = 5.0, seed: int = 13, *, reviewed=None, corpus=None,
          pushed: bool = False, **_):
    """``(refitted critic, summary)`` from the reviewers' verdicts in project ``title`` (an audit sample's with
    ``corpus``: ``audit_learn.learn_audit``); ``pushed``: before a push, nothing refused, nothing learned twice."""
    from .model import FITTED, order_agreement
    from .upgrade import relearned

    reviewed = read_queue(client, title) if reviewed is None else reviewed
    if any("audit" in r.extra for r in reviewed):
        from .audit_learn import learn_audit

        return learn_audit(reviewed, title, critic, corpus, weight=weight, seed=seed)
    try:
        found, again, left = read_again(verdicts_or_refuse(reviewed, title), reviewed, title, corpus)
    except UserError as e:
        if not pushed:
            raise
        return critic, f"{title!r} is pushed again, its verdicts not learned: {e}"
    had = dict(zip(critic.own_keys().tolist(), critic.verdict_y.tolist()))
    places, now = ({p[0]: p for p in merged(group)} for group in (critic.info.get(KEY), checked(reviewed)))
    fresh = sum(had.get(k) != v or places.get(k) != now.get(k) for k, _, v, _ in found)   # new, or reviewed again
    if pushed and not fresh:
        return critic, f"{title!r} is pushed again: the critic holds its {len(found)} verdict(s) already, as they are"
    x = np.array([f for _, f, _, _ in found], dtype=np.float64)
    y = np.array([v for _, _, v, _ in found], dtype=np.float64)
    before = critic.score(x)
    new = critic.refit(x, y, weight, seed, keys=[k for k, *_ in found])
    new.info[KEY] = merged(new.info.get(KEY), checked(reviewed))
    after = new.score(x)
    counts = {k: sum(1 for *_, v in found if v == k) for k in ("kept", "corrected", "deleted")}
    lines = [f"{title!r} is pushed again: first the critic learns what reviewers submitted there (as --learn "
             f"does)"] * pushed
    lines.append(f"{len(found)} verdict{'s' * (len(found) != 1)} from {title!r}: {counts['kept']} kept, "
                 f"{counts['corrected']} corrected, {counts['deleted']} deleted; the critic now holds "
                 f"{held(new, weight)}"
                 + (f"; {len(found) - fresh} of these it held already, as they are" if fresh < len(found) else ""))
    for name, mask in (("errors", y == 1), ("kept", y == 0)):
        if mask.any():
            lines.append(f"  {name}: mean score {before[mask].mean():.3f} -> {after[mask].mean():.3f}")
    order = (order_agreement(before, y), order_agreement(after, y))
    if order[0] is None:
        lines.append(f"  errors ranked above kept spans: needs both kinds of verdict (all {len(found)} "
                     f"are {'errors' if y.all() else 'kept'})")
    else:
        lines.append(f"  errors ranked above kept spans: {order[0]:.1%} -> {order[1]:.1%}")
    lines.append(FITTED)
    if again:
        lines.append(f"  {again} of them sent by another version of ner (other signals): read again in the corpus")
    if left:
        lines.append(f"  not learned ({len(left)}, sent by another version of ner and not read again): "
                     + "; ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else ""))
    again_line = relearned(new, title, len(critic.verdict_y))
    if again_line and left:
        again_line += f" ({len(left)} of its tasks not learned: above)"
    return new, "\n".join(lines + [again_line] * bool(again_line))


def corrections(reviewed, files) -> tuple[list[Retag], list[str]]:
    """``(retags, left)``: a ``Retag`` for each reviewed sentence whose submitted tags differ from the
    pushed ones and whose suspect came from one of ``files`` (the same file, or one of the same name),
    at its lines; ``left`` names the other corrections (another file, or not one word per line)."""
    from ...formats.retag import describe

    find = source_finder(files)
    retags, left = [], []
    for r in reviewed:
        if r.after.tags == r.before.tags or "file" not in r.extra:
            continue
        src = r.extra["file"]
        path = find(r.extra)
        where = f"task {r.task}, {r.reviewer}" if r.reviewer else f"task {r.task}"
        change = f"{src}:{r.extra.get('line', '?')} ({where}): {describe(r.before.words, r.before.tags, r.after.tags)}"
        if path is None:
            left.append(f"{change} [not in the files given to --apply: give it {r.extra.get('abspath') or src}, "
                        f"or a copy named {Path(src).name}]")
        elif not r.extra.get("per_line", True):
            left.append(f"{change} [not one word per line: edit it by hand]")
        else:
            retags.append(Retag(path, int(r.extra["line"]), r.before.words, r.before.tags, r.after.tags, where))
    return retags, left
