"""``ner curve TRAIN --dev DEV [--test TEST]``: does more data help? A learning curve with verdicts.

Trains on growing nested subsets of TRAIN (several seeds per point), scores each run
on TEST (or DEV), and prints micro and per-label F1 with 95% bootstrap intervals, a
verdict per label and an estimate for the next point; ``--json`` and ``--plot`` too.
Progress goes to stderr. Exit 0, or 2 on unusable input.
"""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("curve", help="learning curve: F1 on growing subsets of the training data, per label",
                       description="Train on growing nested subsets of TRAIN (by document when it has documents), "
                                   "several seeds per point, and score every run on --test (or --dev): micro "
                                   "and per-label F1 with 95% bootstrap intervals, a verdict per label (still "
                                   "rising? flat since when?) and the labels needed for the next point.")
    p.add_argument("train", metavar="TRAIN", help="training corpus (CoNLL, JSONL, ...)")
    p.add_argument("--dev", default=None, help="development corpus: early stopping, and scoring when no --test")
    p.add_argument("--test", default=None, help="corpus to score on (default: --dev)")
    p.add_argument("--fractions", default="10,25,50,75,100", metavar="P,P,...",
                   help="points as percentages of the training sentences (default 10,25,50,75,100)")
    p.add_argument("--start", type=int, default=0, metavar="N",
                   help="a first point of N sentences (e.g. 50, where annotation guides start); smaller "
                        "percentages are dropped")
    p.add_argument("--seeds", type=int, default=3, help="training runs per point (default 3)")
    p.add_argument("--by", choices=("auto", "document", "sentence"), default="auto",
                   help="subset unit (default: documents when the corpus has 10 or more)")
    p.add_argument("--budget", type=float, default=0, metavar="MINUTES",
                   help="stop starting runs that would not fit in this many minutes (the curve gets fewer seeds)")
    p.add_argument("--config", metavar="FILE", help="training settings (TOML, as for ner train)")
    p.add_argument("--backbone", default=None, help="navec (default) or transformer")
    p.add_argument("--base-model", default=None, metavar="NAME_OR_DIR",
                   help="transformer only: the Hugging Face encoder to fine-tune (a hub name or local directory)")
    p.add_argument("--epochs", type=int, default=None, help="maximum epochs per run")
    p.add_argument("--labels", default=None, metavar="FILE|auto",
                   help="label schema for training (default: the labels found in TRAIN)")
    p.add_argument("--tolerance", type=float, default=0.01, help="an F1 change below this is flat (default 0.01)")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates (default 1000)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--plot", metavar="FILE.png", default=None, help="write the curve as a PNG")
    p.add_argument("--verbose", action="store_true", help="also show every training epoch")
    p.set_defaults(func=run)


def _read(path: str, what: str) -> list:
    from ..check import Report
    from ..errors import UserError
    from ..formats.registry import load

    report = Report()
    docs = list(load(path, schema=None, report=report))
    if report.errors:
        raise UserError(f"{report.errors[0]} ({what}: {len(report.errors)} error(s); 'ner validate --fix' "
                        f"repairs what it can)")
    return docs


def _f(e) -> str:
    return f"{e.mean:.3f} [{e.low:.3f}, {e.high:.3f}]"


def format_curve(curve, tolerance: float = 0.01) -> str:
    """Table (one row per point: micro, then each label, mean [95% interval]), verdicts, next point."""
    pts = curve.done
    header = ["", *(p.name + "*" * bool(p.flag) for p in pts), "support"]
    rows = [["sentences", *(f"{p.size:.0f}" for p in pts), ""], ["runs", *(str(len(p.counts)) for p in pts), ""],
            ["micro", *(_f(p.micro) for p in pts), str(sum(curve.support.values()))]]
    rows += [[lab, *(_f(p.labels[lab]) for p in pts), str(curve.support[lab])] for lab in curve.labels]
    table = [header, *rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    out = [f"Learning curve: nested subsets by {curve.unit}, strict F1 mean over seeds [95% bootstrap interval], "
           f"{curve.seconds / 60:.1f} min"]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in table]
    flagged = [f"{p.name}: {p.flag}" for p in pts if p.flag]
    if flagged:
        out += [f"* undertrained ({'; '.join(flagged)}): its F1 says little about the data; raise --epochs "
                f"(or --budget)"]
    out += ["", "Verdicts"] + [f"  {line}" for line in curve.verdicts(tolerance)]
    nxt = curve.next_step()
    if nxt:
        ents = ", ".join(f"{lab} {n}" for lab, n in sorted(nxt["add_entities"].items(), key=lambda x: -x[1]) if n)
        out += ["", f"Next point: about {nxt['sentences']} sentences, i.e. {nxt['add_sentences']} more to label "
                    f"(~{sum(nxt['add_entities'].values())} entities at this corpus's rate: {ents}); expected "
                    f"micro F1 {pts[-1].micro.mean:.3f} -> {nxt['micro']:.3f} (F1 against log size, last 3 points)"]
    if curve.skipped:
        out += ["", f"Skipped for the budget: {', '.join(curve.skipped)}"]
    return "\n".join(out)


def run(args) -> int:
    from ..errors import UserError
    from ..quality.curve import CurveOptions, learning_curve, plot_curve
    from ..train.config import TrainConfig, load_config

    if not (args.dev or args.test):
        raise UserError("give --dev DEV (early stopping and scoring) or --test TEST (scoring), or both")
    try:
        fractions = tuple(float(x) / 100 for x in args.fractions.split(",") if x.strip())
    except ValueError:
        raise UserError(f"--fractions {args.fractions!r}: give percentages like 10,25,50,75,100") from None
    if args.seeds < 1:
        raise UserError("--seeds must be 1 or more")
    for flag, value in (("--budget", args.budget), ("--start", args.start), ("--bootstrap", args.bootstrap),
                        ("--tolerance", args.tolerance)):
        if value < 0:  # --budget -1 skipped every run after the first, --bootstrap -5 gave no interval
            raise UserError(f"{flag} {value:g}: must be 0 or more")
    base = load_config(args.config) if args.config else TrainConfig()
    base = base.replace(backbone=args.backbone, base_model=args.base_model, epochs=args.epochs, labels=args.labels)
    train_docs = _read(args.train, "TRAIN")
    dev = [s for d in _read(args.dev, "--dev") for s in d.sentences] if args.dev else None
    evaluation = [s for d in _read(args.test, "--test") for s in d.sentences] if args.test else dev
    options = CurveOptions(fractions=fractions, start=args.start, seeds=args.seeds, by=args.by,
                           budget_minutes=args.budget, bootstrap=args.bootstrap, tolerance=args.tolerance)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    curve = learning_curve(train_docs, evaluation, base=base, dev=dev, options=options, progress=say,
                           train_progress=(lambda line: say(f"    {line}")) if args.verbose else None)
    if not curve.done:
        raise UserError(f"no run fitted the {args.budget:g}-minute budget; raise --budget")
    if args.json:
        print(json.dumps(curve.as_dict(args.tolerance), ensure_ascii=False, indent=2))
    else:
        print(format_curve(curve, args.tolerance))
    if args.plot:
        say(f"wrote {plot_curve(curve, args.plot)}")
    return 0
