"""The critic refitted on a reviewed audit sample (``ner critic FILES --learn P``).

The critic learns what an error looks like from synthetic corruptions whose mix of kinds is a guess: on
the team's written corpus readers found the real errors were nearly all entities left out, and where a
corpus holds many errors of one kind (close labels swapped) those sit among the critic's negatives and cap
its scores for that kind (``bench/NOTES.md``). An audit is a random sample that people read whole, so
every candidate of a reviewed sentence is a verdict: ``audit_rows`` reads the candidates of those
sentences with the tags they were sent with, 1 where the reviewer changed what one points at
(``corrupt.truth``, as for the synthetic copies), each weighing the sentences of its stratum per reviewed
one there, so that the sample speaks for the corpus as a census would; ``learn_audit`` refits the critic
with them (``Critic.refit``) beside synthetic rows drawn from the corpus with the reviewers' versions of
those sentences (as it stands, their errors would also be "clean" rows of every corrupted copy and cancel
the verdicts where most errors are, in the top stratum). Two audits of one corpus each speak for all of it:
a critic holding n samples of the same files weighs each 1/n (a sentence drawn in two counts in each; a sample
learned again replaces its own rows; samples of other files keep theirs).

Left out: a reviewer's correction that changes the words (the queue changes labels only).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

from ...errors import UserError
from ...labelstudio.review import FIXED
from .audit import is_error
from .model import AUDIT_FILES, FITTED
from .reviewed import KEY, checked, match, merged, where_sent


def _samples(keys) -> list:
    """Per verdict key, the audit sample it came from (None: a review queue's verdict; "": not recorded)."""
    return [k.partition("@")[2] if k.startswith("audit-") else None for k in keys]


def _one_corpus(critic, keys, files) -> tuple:
    """``(critic, n)``: ``critic`` with its audit rows scaled for a new sample of ``files`` (file names) whose rows
    have ``keys``. Each sample speaks for its whole corpus, so the n samples held of the same files weigh 1/n
    each; samples of other files keep their weights (one of unrecorded files counts as the same corpus). A key
    saved without its sample (``audit-<sentence>``) is the new sample's where that sentence is in it."""
    import numpy as np

    mine = {k.partition("@")[0]: k for k in keys}
    own = [mine.get(k, k) if k.startswith("audit-") and "@" not in k else k for k in critic.own_keys()]
    held, seen = _samples(own), critic.info.get(AUDIT_FILES, {})
    group = {h for h in held if h is not None and (not seen.get(h) or set(seen[h]) & set(files))}
    n = len(group | {k.partition("@")[2] for k in keys})
    scaled = [w * len(group) / n if h in group else w for h, w in zip(held, critic.own_weights())]
    return replace(critic, verdict_w=np.array(scaled, dtype=np.float64), verdict_k=np.array(own, dtype=object)), n


def sample_files(reviewed) -> list[str]:
    """The files an audit's reviewed sentences were sent from, as the sample names them."""
    return sorted({r.extra.get("abspath") or r.extra.get("file", "?") for r in reviewed if "audit" in r.extra})


def match_sample(reviewed, items) -> tuple[dict, list[str]]:
    """``(used, skipped)``: each reviewed audit sentence's item in ``items`` (item -> reviewed task, ``match``);
    ``skipped`` names those left out (not in ``items``; or ticked "fixed" and left unchanged, which says no span)."""
    mine, skipped = [], []
    for r in reviewed:
        if "audit" not in r.extra:
            continue
        if r.verdict == FIXED and r.after.tags == r.before.tags:
            skipped.append(f"{where_sent(r)}: ticked fixed, left unchanged (open the task, correct it, or untick it if "
                           "the tick was a slip, Submit, learn again)")
        else:
            mine.append(r)
    pairs, missing = match(mine, items)
    return dict(pairs), skipped + missing


def audit_rows(reviewed, items, labels, probs):
    """``(candidates, y, weights, used, skipped)`` from the reviewed audit sentences ``match_sample`` finds: every
    candidate of those sentences read with the tags they were sent with (a correction already written into the
    file changes no row), 1 where ``truth`` says the reviewer's version changed what it points at, each
    weighing the sentences its stratum holds per sentence drawn there (per one reviewed, for samples sent
    before the draws were recorded)."""
    import numpy as np

    from .corrupt import truth
    from .signals import candidates

    used, skipped = match_sample(reviewed, items)
    if not used:
        return [], np.zeros(0), np.zeros(0), used, skipped
    sent = [list(it.sentence.tags) for it in items]
    right = list(sent)
    for n, r in used.items():
        sent[n], right[n] = list(r.before.tags), list(r.after.tags)
    per = Counter((r.extra.get("sample", ""), r.extra["audit"]) for r in used.values())
    share = {n: r.extra["size"] / (r.extra.get("drawn") or per[(r.extra.get("sample", ""), r.extra["audit"])])
             for n, r in used.items()}
    cands = [c for c in candidates([it.sentence.words for it in items], sent, probs, labels) if c.item in used]
    y = np.array(truth(cands, right, sent), dtype=np.float64)
    return cands, y, np.array([share[c.item] for c in cands]), used, skipped


def learn_audit(reviewed, title: str, critic, corpus, *, weight: float = 5.0, seed: int = 13):
    """``(refitted critic, summary)`` from the reviewed audit sentences of project ``title``; ``corpus``:
    ``(items, labels, out-of-fold marginals)`` of the files the sample was drawn from. The synthetic rows are
    drawn again from the corpus with the reviewers' versions of the audited sentences (``critic``'s settings),
    its verdicts replayed at ``weight`` (the review queue's), then the audit's added."""
    import numpy as np

    from .model import order_agreement, train_critic
    from .upgrade import relearned

    if corpus is None:
        raise UserError(f"project {title!r} holds an audit sample: the critic learns from it with the corpus it was "
                        f"drawn from (its candidates are read there): ner critic {' '.join(sample_files(reviewed))} "
                        f"--learn \"{title}\" (with the --work and fold settings of your runs)")
    items, labels, probs = corpus
    cands, y, w, used, skipped = audit_rows(reviewed, items, labels, probs)
    if not len(y):
        raise UserError(f"project {title!r}: no reviewed audit sentence of the corpus given has a candidate to "
                        "learn from" + (f" ({'; '.join(skipped[:5])})" if skipped else
                                        "; submit some in its tab 'Review queue' first"))
    x = np.array([c.features for c in cands], dtype=np.float64)
    info = critic.info
    tags = [used[n].after.tags if n in used else it.sentence.tags for n, it in enumerate(items)]
    # trained on the reviewers' versions: no file's corpus key, so the next run trains on the file and replays
    base = train_critic([it.sentence.words for it in items], tags, probs, labels, rounds=info.get("rounds", 3),
                        rate=info.get("rate", 0.08), seed=info.get("seed", seed),
                        info={k: v for k, v in info.items() if k not in ("verdicts", "verdict_weight", "corpus")},
                        fit=False)   # fitted once, with the verdicts held and the audit's
    keys = [f"{used[c.item].key}@{used[c.item].extra.get('sample', '')}" for c in cands]
    files = sorted({Path(f).name for f in sample_files(used.values())})
    old, n = _one_corpus(critic, keys, files)
    new = base.holding(old).refit(x, y, weight, seed, weights=w / n, keys=keys)
    new.info[KEY] = merged(new.info.get(KEY), checked(r for r in reviewed if "audit" in r.extra))
    new.info[AUDIT_FILES] = {**new.info.get(AUDIT_FILES, {}), **{k.partition("@")[2]: files for k in keys}}
    before, after = critic.score(x), new.score(x)
    changed = sum(is_error(r) for r in used.values())
    lines = [f"{len(used)} audited sentences from {title!r} ({changed} changed): {len(y)} candidates, "
             f"{int(y.sum())} of them pointing at a change; each weighs the sentences its stratum holds per one "
             f"drawn there ({min(w):.1f}-{max(w):.1f})"]
    for name, mask in (("changed", y == 1), ("kept", y == 0)):
        if mask.any():
            lines.append(f"  {name}: mean score {before[mask].mean():.3f} -> {after[mask].mean():.3f}")
    order = (order_agreement(before, y), order_agreement(after, y))
    if order[0] is not None:
        lines.append(f"  changed ranked above kept: {order[0]:.1%} -> {order[1]:.1%}")
    lines.append(FITTED)
    pointed = {c.item for c, v in zip(cands, y) if v}
    unseen = [where_sent(r) for n, r in used.items() if r.after.tags != r.before.tags and n not in pointed]
    if unseen:
        lines.append(f"  changed where no candidate points (nothing learned there): {'; '.join(unseen[:10])}")
    if n > 1:
        lines.append(f"  the critic holds {n} audit samples of {', '.join(files)}: each speaks for the whole corpus, "
                     f"so each weighs 1/{n} of it")
    if skipped:
        lines.append(f"  left out: {'; '.join(skipped[:10])}" + (f" and {len(skipped) - 10} more"
                                                                 if len(skipped) > 10 else ""))
    drawn_from = {r.extra.get("sentences") for r in used.values()} - {None, len(items)}
    if drawn_from:
        lines.append(f"  the sample was drawn from {', '.join(map(str, sorted(drawn_from)))} sentences, the corpus "
                     f"given has {len(items)}: the weights are the sample's strata's")
    return new, "\n".join(lines + [line for line in [relearned(new, title, len(critic.verdict_y))] if line])
