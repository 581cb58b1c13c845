"""A random check of the corpus: how many of its sentences hold an error, with an interval.

The share the critic's probabilities expect clean counts only the errors it can see: an entity that
neither the annotators nor its model marked is no suspect (on the team's written corpus readers put 7.5%
of the sentences wrong where it expected 2.8%: ``bench/critic_error_rate.py``). Only people reading a
random sample can say how clean a corpus is. ``audit_items(items, suspects, n, seed)`` draws ``n``
sentences for them, stratified by the critic's probability that a sentence holds an error
(``sentence_errors``): its top 2%, the next 8% and the other 90% (``STRATA``), which get a fifth, a
quarter and the rest of ``n``, so that the few likely errors are read closely and the other 90% still
speak for themselves. Each goes to the review queue (``labelstudio/review.py``), shuffled, with no
suggestion, no score and the same note for all: nothing on the labeling page or in the queue's columns
says which stratum it came from (the task's meta does, for the report: let someone other than the one
who ran the critic, and read its suspects, do the review). One project holds one sample, and no scored
suspects beside it (``ensure_queue_project``). ``audit_report(reviewed)`` reads the submitted ones back: a
sentence changed, or ticked "fixed", holds an error; each stratum's share is weighted by its size
(``weighted``); ``audit_learn`` refits the critic on them.

Left out: what kind of error each was (the review queue's suspects say that).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from pathlib import Path

from ...errors import UserError
from ...labelstudio.review import FIXED, META, ReviewItem, ensure_queue, push_queue
from .reviewed import sentence_key
from .suspects import clean_chances

STRATA = (("top 2%", 0.02, 0.20), ("next 8%", 0.08, 0.25), ("other 90%", 0.90, 0.55))  # name, share, draws
NOTE = ("Выборочная проверка: прочтите всю разметку предложения. Всё верно - Submit; "
        "ошибка (пропущенная сущность, лишняя, не та метка или границы) - исправьте и Submit")
DESCRIPTION = "a random check of the corpus: read each sentence whole"


def sentence_errors(n_items: int, suspects) -> list[float]:
    """Per sentence, the critic's probability that it holds an error: 1 - prod(1 - score) over its suspects."""
    return [1 - k for k in clean_chances(n_items, suspects)]


def strata(p: list[float]) -> list[list[int]]:
    """The sentence indexes of each of ``STRATA``, by the critic's probability, highest first (ties by index)."""
    order = sorted(range(len(p)), key=lambda i: (-p[i], i))
    out, start = [], 0
    for n, (_, share, _) in enumerate(STRATA):
        end = len(order) if n == len(STRATA) - 1 else start + round(share * len(order))
        out.append(order[start:end])
        start = end
    return out


def allocation(sizes: list[int], n: int) -> list[int]:
    """Draws per stratum: ``STRATA``'s parts of ``n`` (at most the corpus), none over a stratum's size; what
    the rounding or a small stratum leaves goes to the last strata first, and every stratum with sentences
    is read at least once where ``n`` allows."""
    n = min(n, sum(sizes))
    want = [min(size, round(part * n)) for size, (_, _, part) in zip(sizes, STRATA)]
    order = list(reversed(range(len(sizes))))
    while sum(want) > n:
        want[next(k for k in order if want[k])] -= 1
    while sum(want) < n:
        want[next(k for k in order if want[k] < sizes[k])] += 1
    if n >= sum(1 for size in sizes if size):
        for k, size in enumerate(sizes):
            if size and not want[k]:
                want[max(range(len(want)), key=want.__getitem__)] -= 1
                want[k] += 1
    return want


def weighted(sizes: list[int], found: list[int], drawn: list[int]) -> tuple[float, float, float]:
    """The corpus's share from stratified draws (each stratum's share weighted by its size; a stratum nobody
    read is left out) and a 95% interval: Wilson's at the effective sample size, p(1 - p) over the stratified
    variance (each stratum's sample variance, k / d shrunk half a sentence off 0 and 1 so that a stratum of
    all errors or none still has a spread, with the finite-population correction). Zero wide only where
    every stratum read was read whole."""
    total = sum(n for n, d in zip(sizes, drawn) if d)
    share = sum(n * k / d for n, k, d in zip(sizes, found, drawn) if d) / total
    if all(d >= n for n, d in zip(sizes, drawn) if d):
        return share, share, share
    var = 0.0
    for n, k, d in zip(sizes, found, drawn):
        if d:
            p = min(max(k, 0.5), d - 0.5) / d if d > 1 else 0.5
            var += (n / total) ** 2 * (1 - min(d, n) / n) * p * (1 - p) / max(d - 1, 1)
    q = min(max(share, 0.5 / sum(drawn)), 1 - 0.5 / sum(drawn))
    n_eff, z = q * (1 - q) / var, 1.96
    mid = (share + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z * math.sqrt(share * (1 - share) / n_eff + z * z / (4 * n_eff * n_eff)) / (1 + z * z / n_eff)
    return share, min(max(0.0, mid - half), share), max(min(1.0, mid + half), share)   # rounding kept off the share


def _key(item) -> str:
    return "audit-" + sentence_key(item.sentence.words, item.sentence.tags)


def audit_items(items, suspects, n: int, seed: int | str = 13) -> list[ReviewItem]:
    """``n`` sentences drawn at random from the critic's strata, shuffled, as review queue items."""
    if n < 1:
        raise UserError("--audit N: N must be 1 or more sentences")
    p = sentence_errors(len(items), suspects)
    groups = strata(p)
    rng = random.Random(seed)
    drawn = []
    for (name, _, _), members, k in zip(STRATA, groups, allocation([len(g) for g in groups], n)):
        expected = sum(p[i] for i in members) / len(members) if members else 0.0
        drawn += [(name, len(members), k, expected, i) for i in rng.sample(members, k)]
    rng.shuffle(drawn)
    sample = hashlib.sha1(" ".join(_key(items[i]) for *_, i in drawn).encode()).hexdigest()[:8]
    out = []
    for name, size, k, expected, i in drawn:
        item = items[i]
        path = Path(item.path)
        extra = {"audit": name, "sample": sample, "size": size, "drawn": k, "expected": expected,
                 "sentences": len(items),
                 "file": item.path, "abspath": str(path.resolve()) if path.exists() else "",
                 "line": item.sentence.line, "per_line": item.per_line}
        out.append(ReviewItem(_key(item), item.sentence, None, f"{item.path}:{item.sentence.line}", NOTE, (), extra))
    return out


def _queue_extras(client, project: dict):
    """The ``extra`` of each review queue task of the project (audit or suspect), reviewed or not."""
    for t in client.iter_tasks(project["id"], with_results=False):
        mine = (t.get("meta") or {}).get(META)
        if isinstance(mine, dict):
            yield mine.get("extra") or {}


def sent_counts(client, project: dict) -> Counter:
    """How many audit tasks of each ``(sample, stratum)`` the project holds, reviewed or not."""
    return Counter((x.get("sample", ""), x["audit"]) for x in _queue_extras(client, project) if "audit" in x)


def check_audit_args(n: int, paths, with_others) -> None:
    """Refuse an ``--audit N`` that cannot give a blind sample of the corpus, before anything runs."""
    if not paths:
        raise UserError("--audit N draws its sample from corpus FILES: give them (the sample goes to --project P)")
    if n < 1:
        raise UserError("--audit N: N must be 1 or more sentences")
    if with_others:
        raise UserError("--audit N sends a blind sample: give it without --push-review or --learn, and keep the "
                        "audit in a project of its own (its reviewer should not see the critic's suspects)")


def ensure_queue_project(client, title: str, labels, audit: bool) -> None:
    """Make the review project, or check it, before the training: one audit sample a project, and never beside
    the critic's suspects (a sample there is no longer blind, and ``--apply`` would write both kinds of
    corrections)."""
    project = client.find_project(title)
    kinds = Counter()
    if project is not None:
        kinds.update("audit" if "audit" in x else "queue" for x in _queue_extras(client, project))
    if audit and kinds["audit"]:
        raise UserError(f"project {title!r} holds an audit sample already ({kinds['audit']} sentences): report it "
                        f"with ner critic --audit-report \"{title}\", or send a new sample to a new project")
    if audit and kinds["queue"]:
        raise UserError(f"project {title!r} holds the critic's suspects ({kinds['queue']} tasks): send the audit "
                        "to a project of its own, where nothing is scored")
    if not audit and kinds["audit"]:
        raise UserError(f"project {title!r} holds an audit sample ({kinds['audit']} sentences): send the suspects to "
                        "another project, so that the sample stays blind")
    ensure_queue(client, title, labels, *((DESCRIPTION,) if audit else ()))


def send_audit(client, title: str, items, labels, suspects, n: int, seed: int = 13) -> str:
    """Push the sample, drawn with a seed of ``seed`` and the project's title (a sample sent to a new project
    is a new one); what to tell the user."""
    sent = push_queue(client, title, audit_items(items, suspects, n, f"{seed}:{title}"), labels)
    whole = f" (the whole corpus: it has {len(items)})" if n > len(items) else ""
    return (f"{sent} sentence(s) sent to project {title!r} for a full check{whole}; when they are reviewed, "
            f"ner critic --audit-report \"{title}\" says how many hold an error")


def project_report(client, title: str, read_queue) -> tuple[list, str]:
    """``(reviewed tasks, report)`` of project ``title``; ``read_queue(client, title)`` reads its reviews."""
    project = client.find_project(title)
    if project is None:
        raise UserError(f"no Label Studio project titled {title!r} at {client.conn.url}: give the title the "
                        "sample was sent to with --audit")
    reviewed = read_queue(client, title)
    return reviewed, audit_report(reviewed, sent_counts(client, project), title)


def is_error(r) -> bool:
    """A reviewed sentence holds an error when the reviewer changed it or ticked "fixed"."""
    return r.verdict == FIXED or r.after.tags != r.before.tags


def audit_report(reviewed, sent: dict | None = None, title: str = "") -> str:
    """What the reviewed audit tasks say of the corpus, one block per sample (``sent``: how many tasks each
    ``(sample, stratum)`` has in project ``title``): per stratum and over the corpus, with the critic's
    expectation over the same strata beside it, and the sentences counted as errors."""
    mine = [r for r in reviewed if "audit" in r.extra]
    project = f"project {title!r}" if title else "the project"
    if not mine and sent:
        raise UserError(f"none of the {sum(sent.values())} audit sentences in {project} is reviewed yet: submit "
                        "them in its tab 'Review queue' (unchanged: Submit; wrong: fix, then Submit)")
    if not mine:
        raise UserError(f"{project} holds no audit sample: send one with 'ner critic FILES --audit N --project P' "
                        "and review it in the project's tab 'Review queue'")
    samples: dict[str, list] = {}
    for r in sorted(mine, key=lambda r: r.task):
        samples.setdefault(r.extra.get("sample", ""), []).append(r)
    return "\n".join(_sample_report(sample, done, {k[1]: n for k, n in (sent or {}).items() if k[0] == sample})
                     for sample, done in samples.items())


def _sample_report(sample: str, mine: list, sent: dict) -> str:
    of = f"of the {sum(sent.values())} sent " if sent else ""
    lines = [f"audit{' ' + sample if sample else ''}: {len(mine)} sentence(s) reviewed {of}(drawn from "
             f"{mine[0].extra['sentences']})"]
    sizes, found, drawn, expected = [], [], [], []
    for name, _, _ in STRATA:
        done = [r for r in mine if r.extra["audit"] == name]
        size = done[0].extra["size"] if done else 0
        k = sum(map(is_error, done))
        sizes.append(size)
        found.append(k)
        drawn.append(len(done))
        expected.append(done[0].extra.get("expected", 0.0) if done else 0.0)
        if done:
            out_of = f" (of {sent[name]} sent)" if name in sent else ""
            lines.append(f"  {name} by the critic's suspicion ({size} sentences): {k} of {len(done)} reviewed"
                         f"{out_of} hold an error (it expected {expected[-1]:.0%})")
    share, lo, hi = weighted(sizes, found, drawn)
    unseen = [name for (name, _, _), d in zip(STRATA, drawn) if not d]
    waiting = [name for name in unseen if sent.get(name)]
    why = ("none reviewed there yet" if not sent or waiting == unseen else "none drawn there" if not waiting else
           f"none drawn from the {' and '.join(n for n in unseen if n not in waiting)}, none reviewed yet from "
           f"the {' and '.join(waiting)}")
    outside = f" outside the {' and '.join(unseen)} ({why})" if unseen else ""
    theirs = sum(n * e for n, e, d in zip(sizes, expected, drawn) if d) / sum(n for n, d in zip(sizes, drawn) if d)
    lines.append(f"  about {share:.1%} of the sentences{outside} hold an error (95% interval {lo:.1%}-{hi:.1%}); "
                 f"the critic's probabilities expected {theirs:.1%}")
    wrong = [f"{r.extra.get('file', '?')}:{r.extra.get('line', '?')} (task {r.task}"
             + (", ticked fixed, unchanged)" if r.after.tags == r.before.tags else
                ", changed, ticked kept)" if r.verdict != FIXED else ")")
             for r in mine if is_error(r)]
    if wrong:
        lines.append(f"  counted as errors: {', '.join(wrong[:20])}" + (f" and {len(wrong) - 20} more"
                                                                         if len(wrong) > 20 else ""))
    return "\n".join(lines)
