"""``ner critic FILES...``: suspected annotation errors, ranked, with a quality estimate per file, label, annotator.

Out-of-fold navec models (``--folds``, ``--epochs``) score every sentence, a critic learned from
synthetic corruptions of the corpus (plus reviewers' verdicts, once ``--learn`` has pulled some) scores
every span, and the top ``--top`` suspects are printed; ``--json``/``--html`` write all of them over
``--threshold`` (at least ``--top``). ``--push-review --project P`` sends the top suspects to Label Studio
as open tasks, most suspect first (the project is checked, or made, before the training starts; pushed
again, the critic first learns the verdicts submitted there); ``--learn P`` pulls the verdicts and refits,
and ``--apply FILE`` writes the reviewers' corrections into FILE at their lines, listing each change.
``--audit N --project P`` sends N sentences drawn at random (more from the most suspect) to P for a full
check, and ``--audit-report P`` says what share of the corpus's sentences hold an error, with an interval
(``--apply`` writes the audit's corrections as well); ``FILES --learn P`` refits the critic on it.
Without FILES, ``--project P`` reads the project's annotations (per annotator).
Exit codes: 0 nothing over the threshold (or an --audit sample sent: it prints no
suspects), 1 suspects found, 2 usage or unusable input.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import add_labels_arg


def register(sub) -> None:
    p = sub.add_parser("critic", help="find annotation errors: ranked suspects and estimated quality",
                       description=__doc__.split("\n\n")[1].replace("``", ""))
    p.add_argument("paths", nargs="*", metavar="FILE", help="corpus files (.conll, .jsonl, ...)")
    p.add_argument("--from", dest="fmt", default=None, metavar="FMT", help="input format (default: from suffix)")
    add_labels_arg(p)
    p.add_argument("--map", default="", help="rename corpus labels, e.g. Person=PER,Org=ORG (others become O)")
    p.add_argument("--json", metavar="OUT", help="write suspects as JSON lines, best first")
    p.add_argument("--html", metavar="OUT", help="write suspects highlighted in their sentences")
    p.add_argument("--top", type=int, default=30, metavar="N", help="suspects to print and push (default 30)")
    p.add_argument("--threshold", type=float, default=0.5, help="score that makes a suspect count (default 0.5)")
    p.add_argument("--folds", type=int, default=5, help="out-of-fold models (default 5)")
    p.add_argument("--epochs", type=int, default=10, help="epochs per fold model (default 10)")
    p.add_argument("--hidden", type=int, default=128, help="BiLSTM size of the fold models (default 128)")
    p.add_argument("--workers", type=int, default=2, help="fold models trained at once (default 2)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--work", default="out/critic", metavar="DIR", help="fold models, cached probabilities and the "
                   "critic, with the places reviewers checked (default out/critic)")
    p.add_argument("--verdict-weight", type=float, default=5.0, help="how many synthetic examples one reviewer's "
                   "verdict weighs (default 5; an audit's weigh their strata)")
    p.add_argument("--push-review", action="store_true", help="send the top suspects to --project for review")
    p.add_argument("--recheck", action="store_true", help="list the places reviewers checked as well")
    p.add_argument("--project", help="Label Studio project: review queue target, or the input without FILES")
    p.add_argument("--learn", metavar="PROJECT", help="pull reviewers' verdicts (or a reviewed audit, with FILES) "
                                                     "from PROJECT and refit the critic")
    p.add_argument("--apply", action="append", default=[], metavar="FILE",
                   help="with --learn or --audit-report: write the reviewers' corrections into FILE (the source "
                        "corpus, or a file of the same name) at "
                        "their lines, every other byte unchanged; repeat for several files")
    p.add_argument("--audit", type=int, metavar="N",
                   help="send N sentences drawn at random (stratified by suspicion) to --project for a full check")
    p.add_argument("--audit-report", metavar="PROJECT",
                   help="the share of sentences that hold an error, from PROJECT's reviewed audit sentences")
    p.add_argument("--url", default=None, help="Label Studio URL (default: $LABEL_STUDIO_URL)")
    p.add_argument("--api-key", default=None, help="Label Studio API key (default: $LABEL_STUDIO_API_KEY)")
    p.set_defaults(func=run)


def _client(args):
    from ..labelstudio.client import Client, connection_from

    return Client(connection_from(args.url, args.api_key))


def _read_queue(review, client, title: str):
    """The reviewed tasks of ``title``; tasks that cannot be read back are printed, not dropped silently."""
    from ..check import Report

    report = Report()
    found = review.read_queue(client, title, report)
    for issue in report.issues:
        print(issue, file=sys.stderr)
    return found


def run(args) -> int:
    from ..errors import UserError
    from ..quality.critic import audit, review
    from ..quality.critic.suspects import (CriticConfig, fitted_critic, listing, load_items, probabilities,
                                           project_items, quality, scored)
    from ..quality.critic.model import Critic
    from ..quality.critic.reviewed import KEY
    from ..quality.critic.report import (WEAK_READING, fold_reading, format_html, format_jsonl, format_quality,
                                         format_table, reading_line)
    from ..quality.critic.folds import FoldConfig
    from ..train.config import parse_map

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if args.top < 1 or not 0 < args.threshold < 1:
        raise UserError("--top must be 1 or more and --threshold between 0 and 1")
    work = Path(args.work)
    critic_dir = work / "critic"
    if args.apply and not (args.learn or args.audit_report):
        raise UserError("--apply needs --learn PROJECT or --audit-report PROJECT (the project whose corrections "
                        "to write)")
    if missing := [path for path in args.apply if not Path(path).is_file()]:
        raise UserError(f"--apply {missing[0]}: no such file")
    if args.audit_report:
        if args.paths or args.learn or args.push_review or args.audit is not None:
            raise UserError("--audit-report PROJECT reads the project's reviewed sample: give it without corpus "
                            "FILES, --learn, --push-review or --audit")
        reviewed, report = audit.project_report(_client(args), args.audit_report,
                                                lambda c, t: _read_queue(review, c, t))
        print(report)
        return _apply(reviewed, args.apply)
    if args.audit is not None:
        audit.check_audit_args(args.audit, args.paths, args.push_review or args.learn)
    if args.learn and not args.paths and not args.project:
        reviewed = _read_queue(review, _client(args), args.learn)
        review.verdicts_or_refuse(reviewed, args.learn)     # an audit needs FILES: said before the critic is read
        old = Critic.load(critic_dir)
        new, summary = review.learn(None, args.learn, old, args.verdict_weight, args.seed, reviewed=reviewed)
        new.save(critic_dir)
        print(summary)
        return _apply(reviewed, args.apply)
    mapping = parse_map(args.map) if args.map else None
    config = CriticConfig(FoldConfig(folds=args.folds, epochs=args.epochs, seed=args.seed, workers=args.workers,
                                     hidden=args.hidden), seed=args.seed)
    if args.paths:
        if missing := [path for path in args.paths if not Path(path).exists()]:
            raise UserError(f"{missing[0]}: no such file")
        items, labels = load_items(args.paths, args.labels or "auto", mapping, args.fmt)
    elif args.project:
        items, labels = project_items(_client(args), args.project, args.labels or "auto", mapping)
    else:
        raise UserError("give corpus FILES, or --project P to read a Label Studio project, or --learn P")
    if args.push_review or args.audit is not None:
        if not args.project:
            raise UserError("--push-review and --audit need --project P (the review queue)")
        # before the training: made or checked, an audit's sample and the critic's suspects kept apart
        audit.ensure_queue_project(_client(args), args.project, labels, args.audit is not None)
    titles = dict.fromkeys(t for t in (args.learn, args.push_review and args.project) if t)  # a queue pushed again
    learns = {t: _read_queue(review, _client(args), t) for t in titles}   # is learned first, after --learn's
    if (reviewed := learns.get(args.learn)) is not None:   # verdicts to learn from, checked before the training too
        review.verdicts_or_refuse(reviewed, args.learn, items)
    learns = {t: found for t, found in learns.items() if t == args.learn or review.verdicts(found)}
    probs = probabilities(items, labels, config.folds, work, say)
    say(reading_line(reading := fold_reading(items, probs, labels, config.folds)))
    critic = fitted_critic(items, labels, probs, config, work, args.verdict_weight, say, tuple(learns))
    for title, found in learns.items():
        critic, summary = review.learn(None, title, critic, args.verdict_weight, args.seed, reviewed=found,
                                       corpus=(items, labels, probs), pushed=title != args.learn)
        say(summary)
    critic.save(critic_dir)
    every = scored(items, labels, probs, critic)
    suspects, note = listing(items, every, [] if args.recheck else critic.info.get(KEY), args.top, args.threshold,
                             bool(args.apply), numbered=not args.push_review and args.audit is None)
    if note:   # kept suspects, corrections written: not asked again
        say(note)
    over = [s for s in suspects if s.score >= args.threshold]
    listed = suspects[: max(args.top, len(over))]
    groups = quality(items, suspects, args.threshold)   # a push lists what it sends: the first --top nobody reviewed
    queue = (review.unreviewed(_client(args), args.project, items, suspects, args.top) if args.push_review
             else suspects[: args.top])
    if args.audit is None:   # an audit's reviewer should not have read the suspects; a warning comes first
        print("\n".join([reading_line(reading, warn=True)] * (reading["f1"] < WEAK_READING)
                        + [format_table(items, queue), "", format_quality(groups)]))
    else:
        print(format_quality(groups, reading))
    if args.json:
        Path(args.json).write_text(format_jsonl(items, listed), encoding="utf-8")
    if args.html:
        Path(args.html).write_text(format_html(items, listed, groups, reading), encoding="utf-8")
    if args.push_review:
        sent = review.push_review(_client(args), args.project, items, labels, queue)
        retired = review.retire_review(_client(args), args.project, items, suspects, every,
                                       [] if args.recheck else critic.info.get(KEY))
        say(review.push_line(sent, queue, args.project, retired))
    if args.audit is not None:
        say(audit.send_audit(_client(args), args.project, items, labels, suspects, args.audit, args.seed))
        return 0
    applied = _apply([r for found in learns.values() for r in found], args.apply) if args.apply else 0   # both
    return 1 if over or applied else 0


def _apply(reviewed, files) -> int:
    """Write the reviewers' corrections into ``files``; print each change; 1 when some were not written."""
    from ..formats.retag import retag_file
    from ..quality.critic.review import corrections

    if not files:
        return 0
    retags, left = corrections(reviewed, files)
    problems = []
    for path in files:
        changes, trouble, already = retag_file(path, [r for r in retags if r.path == path])
        print(f"{path}: {len(changes)} correction(s) written" + (f", {len(already)} there already" if already else ""))
        for line in changes + [f"{x} (there already)" for x in already]:
            print(f"  {line}")
        problems += trouble
    for line in problems + left:
        print(f"not written: {line}", file=sys.stderr)
    return 1 if problems or left else 0
