"""The critic refitted on a reviewed audit sample (``ner critic FILES --learn P``).

The critic learns what an error looks like from synthetic corruptions whose mix of kinds is a guess: on
the team's written corpus readers found the real errors were nearly all entities left out, and where a
corpus holds many errors of one kind (close labels swapped) those sit among the critic's negatives and cap
its scores for that kind (``bench/NOTES.md``). An audit is a random sample that people read whole, so
every candidate of a reviewed sentence is a verdict: ``audit_rows`` reads the candidates of those
sentences with the tags they were sent with, 1 where the reviewer changed what one points at
(``corrupt.truth``, as for the synthetic copies), each weighing the sentences of its stratum per reviewed
one there, so that the sample speaks for the corpus as a census would; ``learn_audit`` refits the critic
with them (``Critic.refit``), beside the synthetic rows.

Left out: a reviewer's correction that changes the words (the queue changes labels only).
"""

from __future__ import annotations

from collections import Counter

from ...errors import UserError
from ...labelstudio.review import FIXED
from .audit import is_error


def audit_rows(reviewed, items, labels, probs):
    """``(candidates, y, weights, used, skipped)`` from the reviewed audit sentences found in ``items`` (by their
    words, the file and line they were sent from first): every candidate of those sentences read with the tags
    they were sent with (a correction already written into the file changes nothing), 1 where ``truth`` says the
    reviewer's version changed what it points at, each weighing its stratum's sentences per reviewed one used
    there; ``used``: item -> reviewed task. ``skipped``: the reviewed sentences left out (not in ``items``; or
    ticked "fixed" and left unchanged, which says no span), named."""
    import numpy as np

    from .corrupt import truth
    from .signals import candidates

    by_words: dict[tuple, list[int]] = {}
    for n, it in enumerate(items):
        by_words.setdefault(tuple(it.sentence.words), []).append(n)
    sent = [list(it.sentence.tags) for it in items]
    right = list(sent)
    used: dict[int, object] = {}
    skipped = []
    for r in (r for r in reviewed if "audit" in r.extra):
        where = f"{r.extra.get('file', '?')}:{r.extra.get('line', '?')} (task {r.task})"
        if r.verdict == FIXED and r.after.tags == r.before.tags:
            skipped.append(f"{where}: ticked fixed, left unchanged")
            continue
        free = [n for n in by_words.get(tuple(r.before.words), []) if n not in used]
        same = [n for n in free if (items[n].path, items[n].sentence.line) == (r.extra.get("file"), r.extra.get("line"))]
        if not free:
            skipped.append(f"{where}: not in the corpus given")
            continue
        n = (same or free)[0]
        used[n] = r
        sent[n], right[n] = list(r.before.tags), list(r.after.tags)
    if not used:
        return [], np.zeros(0), np.zeros(0), used, skipped
    per = Counter((r.extra.get("sample", ""), r.extra["audit"]) for r in used.values())
    cands = [c for c in candidates([it.sentence.words for it in items], sent, probs, labels) if c.item in used]
    y = np.array(truth(cands, right, sent), dtype=np.float64)
    w = [used[c.item].extra["size"] / per[(used[c.item].extra.get("sample", ""), used[c.item].extra["audit"])]
         for c in cands]
    return cands, y, np.array(w), used, skipped


def learn_audit(reviewed, title: str, critic, corpus, seed: int = 13):
    """``(refitted critic, summary)`` from the reviewed audit sentences of project ``title``; ``corpus``:
    ``(items, labels, out-of-fold marginals)`` of the files the sample was drawn from."""
    import numpy as np

    from .model import order_agreement

    if corpus is None:
        raise UserError(f"project {title!r} holds an audit sample: the critic learns from it with the corpus it was "
                        f"drawn from (its candidates are read there): ner critic FILES --learn \"{title}\"")
    cands, y, w, used, skipped = audit_rows(reviewed, *corpus)
    x = np.array([c.features for c in cands], dtype=np.float64)
    if not len(y):
        raise UserError(f"project {title!r}: no reviewed audit sentence of the corpus given has a candidate to "
                        "learn from" + (f" ({'; '.join(skipped[:5])})" if skipped else "; review some in its tab "
                                        "'Review queue' first"))
    before = critic.score(x)
    new = critic.refit(x, y, seed=seed, weights=w, keys=[used[c.item].key for c in cands])
    after = new.score(x)
    changed = sum(is_error(r) for r in used.values())
    lines = [f"{len(used)} audited sentences from {title!r} ({changed} changed): {len(y)} candidates, "
             f"{int(y.sum())} of them pointing at a change; each weighs its stratum's sentences per reviewed one "
             f"({min(w):.0f}-{max(w):.0f})"]
    for name, mask in (("changed", y == 1), ("kept", y == 0)):
        if mask.any():
            lines.append(f"  {name}: mean score {before[mask].mean():.3f} -> {after[mask].mean():.3f}")
    order = (order_agreement(before, y), order_agreement(after, y))
    if order[0] is not None:
        lines.append(f"  changed ranked above kept: {order[0]:.1%} -> {order[1]:.1%}")
    if skipped:
        lines.append(f"  left out: {'; '.join(skipped[:10])}" + (f" and {len(skipped) - 10} more"
                                                                 if len(skipped) > 10 else ""))
    return new, "\n".join(lines)
