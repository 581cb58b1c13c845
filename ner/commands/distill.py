"""``ner distill --teacher DIR[,DIR...] --texts FILE --train GOLD [--dev DEV] --out DIR``: teacher to student.

``ner distill --silver MERGED.jsonl --train GOLD --out DIR``: the student learns from a scored
corpus instead (``ner consensus``'s merge), each span weighted by its score.

The teacher (one model directory, or several averaged) labels the texts; the student
(``--backbone navec`` or ``navec-cnn``) learns from the gold corpus and the teacher's
soft targets (``ner/train/distill.py``). Every ``ner train`` setting is a flag here
too (``--epochs``, ``--seed``, ``--map``, ``--config`` ...), with the same defaults.
"""

from __future__ import annotations

import sys

from . import add_train_flags, config_from_args


def register(sub) -> None:
    from ..train.distill import DEFAULT_WEIGHT

    p = sub.add_parser("distill", help="train a fast student from a teacher's labels of unlabelled texts",
                       description="The teacher (a model directory, or several averaged) labels each line of "
                                   "--texts; the student learns from the gold --train corpus plus the teacher's "
                                   "per-word probabilities. Progress goes to stderr.")
    p.add_argument("--teacher", metavar="DIR[,DIR...]",
                   help="teacher model directory; several, comma-separated, are averaged as an ensemble")
    p.add_argument("--texts", metavar="FILE", help="unlabelled texts, one per line (UTF-8); with --teacher")
    p.add_argument("--silver", metavar="FILE.jsonl", default="",
                   help="with --teacher: also write the teacher's labels as JSONL with scores; without: learn from "
                        "this scored JSONL (e.g. 'ner consensus' output), each span weighted by its score")
    p.add_argument("--weight", type=float, default=DEFAULT_WEIGHT, metavar="W",
                   help=f"weight of the teacher's soft targets against the gold likelihood (default: {DEFAULT_WEIGHT})")
    p.add_argument("--temperature", type=float, default=1.0, metavar="T",
                   help="soften (T > 1) or sharpen (T < 1) the teacher's distributions (default: 1.0)")
    add_train_flags(p, skip=("base_model", "lora"),  # the student is never a transformer
                    helps={"backbone": "the student: navec (BiLSTM-CRF) or navec-cnn (CNN-CRF, faster) "
                                       "(default: navec)"})
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import UserError
    from ..train.distill import distill, distill_scored

    if not args.teacher and not args.silver:
        raise UserError("give --teacher DIR --texts FILE (a teacher labels the texts), or --silver FILE.jsonl "
                        "(a scored corpus such as 'ner consensus' output)")
    if args.teacher and not args.texts:
        raise UserError("--teacher needs --texts FILE (the unlabelled texts it labels)")
    if args.texts and not args.teacher:
        raise UserError("--texts needs --teacher DIR (who labels them); --silver alone learns from a scored corpus")
    config, notes = config_from_args(args)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if not args.teacher:
        out = distill_scored(config, args.silver, weight=args.weight, temperature=args.temperature, progress=progress)
    else:
        out = distill(config, args.teacher, args.texts, weight=args.weight, temperature=args.temperature,
                      silver=args.silver, progress=progress)
    print(out)
    return 0
