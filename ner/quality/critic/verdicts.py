"""Reading reviewers' verdicts on the critic's queue tasks: which suspects were errors, with the features to learn.

``verdicts(reviewed)`` decides per reviewed task: a suspect the reviewer changed (its span no longer there as it
was; for a missing name, a span added over its tokens or its suggestion's), or ticked "fixed" leaving the sentence
as it was, is an error; any other is kept (a change elsewhere in the sentence is about something else).
``verdicts_or_refuse`` says what to do when a project holds none. ``read_again`` reads, in the corpus, the features
of tasks sent by a version of ner whose signals differ (``signals_key`` names a version's signals).

Left out: the refit itself (``review.learn``, ``model.Critic.refit``); reading an audit's sentences
(``audit_learn``).
"""

from __future__ import annotations

import hashlib
import shlex

from ...bio import tags_spans
from ...errors import UserError
from ...labelstudio.review import KEPT
from .reviewed import match, source_finder, where_sent


def signals_key() -> str:
    """The names of the critic's signals as a short hash: a task's features are read by a version with the same."""
    from .signals import FEATURES

    return hashlib.sha1("|".join(FEATURES).encode()).hexdigest()[:12]


def verdicts(reviewed) -> list[tuple[str, list[float], int, str]]:
    """``(suspect id, features, 1 = an error / 0 = kept, verdict)`` per reviewed critic task: an error where the
    reviewer changed the suspect (its span no longer there as it was; a span added over a missing one's tokens or
    its suggestion's) or ticked "fixed" leaving all as it was; a change elsewhere in the sentence keeps it."""
    out = []
    for r in reviewed:
        if "span" not in r.extra or "features" not in r.extra:
            continue
        start, end, label = r.extra["span"]
        before, spans = tags_spans(r.before.tags), tags_spans(r.after.tags)
        fix = r.extra.get("fix") or (start, end)
        lo, hi = min(start, fix[0]), max(end, fix[1])
        changed = ((start, end, label) not in spans if label else
                   any(i < hi and lo < j and (i, j, lab) not in before for i, j, lab in spans))
        if r.verdict == KEPT or (not changed and r.after.tags != r.before.tags):
            verdict = "kept"
        elif label and changed and not any(i < end and start < j for i, j, _ in spans):
            verdict = "deleted"
        else:
            verdict = "corrected"
        out.append((r.key, r.extra["features"], int(verdict != "kept"), verdict))
    return out


def verdicts_or_refuse(reviewed, title: str, items=None) -> list:
    """``verdicts(reviewed)``, refused (with what to do) when there are none: cheap, so callers check first.
    Reviewed audit sentences pass where ``items`` of the corpus they were drawn from hold some (``audit_learn``)."""
    found = verdicts(reviewed)
    if not found and any("audit" in r.extra for r in reviewed):
        from .audit_learn import match_sample, sample_files

        files = sample_files(reviewed)
        if items is not None:
            find = source_finder({it.path for it in items})
            missing = sorted({r.extra.get("abspath") or r.extra.get("file", "?") for r in reviewed
                              if "audit" in r.extra and find(r.extra) is None})
            if missing:
                raise UserError(f"project {title!r}: its audit sample was drawn from {' '.join(files)}; the FILES "
                                f"given lack {' '.join(missing)}: give it, or a copy of the same name")
            used, skipped = match_sample(reviewed, items)
            if not used:
                raise UserError(f"project {title!r}: no reviewed audit sentence to learn from in the FILES given "
                                f"({'; '.join(skipped[:5])})")
            return found
        raise UserError(f"project {title!r} holds an audit sample: the critic learns from it with the corpus it was "
                        f"drawn from (its candidates are read there): ner critic {' '.join(files)} --learn \"{title}\" "
                        "(with the --work and fold settings of your runs)")
    if not found:
        raise UserError(f"project {title!r} has no reviewed critic tasks yet; open its tab 'Review queue', "
                        f"submit some tasks (unchanged: kept; corrected: fixed) and run --learn again")
    return found


def read_again(found, reviewed, title: str, corpus) -> tuple[list, int, list[str]]:
    """``(found, again, left)``: ``verdicts`` with features of this version's signals. A task sent by a version of ner
    with other signals carries features these cannot read: its suspect is read again (``again`` of them) in
    ``corpus`` (``(items, labels, marginals)``), in its sentence with the tags it was sent with; ``left`` names those
    not found there."""
    from .signals import FEATURES, candidates

    sent_with = {r.key: r.extra.get("signals") for r in reviewed}       # tasks sent before the key: by length
    stale = {k for k, f, *_ in found if len(f) != len(FEATURES) or sent_with.get(k) not in (None, signals_key())}
    if not stale:
        return found, 0, []
    if corpus is None:
        files = sorted({shlex.quote(r.extra.get("file", "?")) for r in reviewed if r.key in stale})
        raise UserError(f"project {title!r} holds {len(stale)} task(s) sent by another version of ner (their "
                        "signals differ from this one's): learn it with the corpus they came from, where they are "
                        f"read again: ner critic {' '.join(files)} --learn \"{title}\" (with the --work and fold "
                        "settings of your runs)")
    items, labels, probs = corpus
    pairs, left = match([r for r in reviewed if r.key in stale], items, shared=True)
    versions: dict[int, list] = {}      # per sentence, the tags its tasks were sent with (a correction between pushes)
    pairs.sort(key=lambda pair: pair[1].task or 0)   # in push order: a layer holds each sentence's versions of a time
    for n, r in pairs:
        seen = versions.setdefault(n, [])
        if r.before.tags not in seen:
            seen.append(r.before.tags)
    again = {}
    for layer in range(max(map(len, versions.values()), default=0)):
        sent = [list(it.sentence.tags) for it in items]
        for n, sent_as in versions.items():
            sent[n] = list(sent_as[min(layer, len(sent_as) - 1)])
        cands = {(c.item, c.start, c.end, c.label): c
                 for c in candidates([it.sentence.words for it in items], sent, probs, labels)}
        for n, r in pairs:
            if versions[n].index(r.before.tags) == layer:
                start, end, label = r.extra["span"]
                c = cands.get((n, start, end, label))   # its kind may have changed (type, boundary): not its features
                if c is None:
                    left.append(f"{where_sent(r)}: no longer a candidate there (the sentence or the out-of-fold "
                                "models changed since it was sent)")
                else:
                    again[r.key] = list(c.features)
    out = [(key, again.get(key, features), y, verdict) for key, features, y, verdict in found
           if key not in stale or key in again]
    if not out:
        raise UserError(f"project {title!r}: none of its verdicts could be read with this version of ner's signals "
                        f"({'; '.join(left[:5])}): give the files they came from, or push the suspects to a new "
                        "project (--push-review) and review them there")
    return out, len(again), left
