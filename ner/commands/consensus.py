"""``ner consensus A B C ... --out MERGED``: several annotators' versions merged by a learned model of who is right.

Reads two or more versions of the same texts (any corpus format, ``ner tag`` or ``ner llm
annotate`` JSONL, ``ner ls pull --all`` files), matches texts by content, estimates each
annotator's precision and recall per label without gold (Dawid-Skene EM over candidate
spans), writes the merged corpus with a score on every span and sentence, and prints the
annotators ranked (``--json REPORT``: the same as JSON). ``--gold G`` anchors the merge and
prints the true figures beside the estimates, with majority vote and the merge.
``--push-review --project P --share K | --top N`` sends the least sure sentences to Label
Studio; ``--learn P`` brings the reviewed ones back as anchors.
Exit codes: 0 merged, every text matched; 1 merged, with texts missing or differing (listed
on stderr); 2 usage or unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import add_connection_args, client_from_args


def register(sub) -> None:
    p = sub.add_parser("consensus", help="merge several annotators' versions; rank annotators without gold",
                       description=__doc__.split("\n\n")[1].replace("``", ""))
    p.add_argument("paths", nargs="+", metavar="FILE", help="one file per annotator (two or more)")
    p.add_argument("--out", required=True, metavar="MERGED", help="the merged corpus (.jsonl keeps the scores)")
    p.add_argument("--names", default="", metavar="A,B,...", help="annotators' names (default: the file names)")
    p.add_argument("--gold", default="", metavar="G", help="gold corpus of (some of) the texts: anchors the merge "
                                                            "and gives the true figures beside the estimates")
    p.add_argument("--anchor", action=argparse.BooleanOptionalAction, default=True,
                   help="let --gold fix the merge on its texts (default); --no-anchor: gold only scores")
    p.add_argument("--json", metavar="REPORT", help="write the report as JSON")
    p.add_argument("--from", dest="fmt", default=None, metavar="FMT", help="input format (default: from suffix)")
    p.add_argument("--map", default="", help="rename labels in every input, e.g. Person=PER,Org=ORG (others become O)")
    p.add_argument("--redundancy", action="store_true",
                   help="annotators that agree with each other more than the rest (trained on the same data) "
                        "count less than one voice each")
    p.add_argument("--smoothing", type=float, default=1.0, help="pseudo-counts of the EM's confusions (default 1)")
    p.add_argument("--push-review", action="store_true", help="send the least sure sentences to --project")
    p.add_argument("--project", help="Label Studio project of the review queue")
    p.add_argument("--share", type=float, default=0.0, metavar="K", help="review the least sure share K (0-1)")
    p.add_argument("--top", type=int, default=0, metavar="N", help="review the N least sure sentences")
    p.add_argument("--learn", metavar="PROJECT", help="anchor the merge on the sentences reviewed in PROJECT")
    add_connection_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..corpus import parse_map
    from ..errors import UserError
    from ..formats.registry import guess_format
    from ..quality.consensus import output, review
    from ..quality.consensus.pipeline import consensus

    if args.push_review and not args.project:
        raise UserError("--push-review needs --project P (the review queue)")
    if args.push_review and not (args.top > 0 or 0 < args.share <= 1):
        raise UserError("--push-review needs --top N (1 or more) or --share K (above 0, at most 1)")
    if args.smoothing <= 0:
        raise UserError(f"--smoothing {args.smoothing}: must be above 0")
    guess_format(args.out)  # an unknown suffix is refused before any work
    mapping = parse_map(args.map) if args.map else None
    common = dict(names=args.names, fmt=args.fmt, mapping=mapping, gold=args.gold, anchor=args.anchor,
                  smoothing=args.smoothing, redundancy=args.redundancy)
    reviewed = review.answers(client_from_args(args), args.learn) if args.learn else None
    outcome = consensus(args.paths, reviewed=reviewed, **common)
    if args.learn:
        before = consensus(args.paths, **common)
        print(f"{len(reviewed)} reviewed sentence(s) from {args.learn!r} anchor the merge; estimated F1 "
              + ", ".join(f"{b.who} {b.micro.f1:.3f} -> {a.micro.f1:.3f}"
                          for b, a in zip(before.result.estimates, outcome.result.estimates)), file=sys.stderr)
    written = output.dump_merged(outcome.texts, outcome.result, args.out, None)
    report = output.report_dict(outcome.result, outcome.files, outcome.truth, outcome.notes, len(outcome.texts),
                                outcome.info)
    print(output.format_report(report))
    if guess_format(args.out) != "jsonl":
        print(f"note: {args.out} holds no scores ({guess_format(args.out)}); a .jsonl output keeps them",
              file=sys.stderr)
    print(f"{written} merged sentences written to {args.out}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for line in (*outcome.info, *outcome.notes):
        print(line, file=sys.stderr)
    if args.push_review:
        picks = review.least_sure(outcome.result, share=args.share, top=args.top)
        sent = review.push_review(client_from_args(args), args.project, outcome.texts, outcome.result, picks)
        print(f"{sent} sentence(s) sent to project {args.project!r} for review (of {len(picks)} least sure)",
              file=sys.stderr)
    return 1 if outcome.notes else 0
