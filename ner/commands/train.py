"""``ner train [--config FILE] [flags]``: train a navec or transformer model into a directory.

Every setting of ``TrainConfig`` (``ner/train/config.py``) is a flag of the same
name (``batch_size`` -> ``--batch-size``); the dataclass holds the one set of
defaults, which ``--help`` shows and ``configs/train.toml`` repeats. A flag that
is not given leaves the config file's value alone.
"""

from __future__ import annotations

import sys

from . import add_train_flags, config_from_args

def register(sub) -> None:
    p = sub.add_parser("train", help="train a model (navec offline, or any Hugging Face encoder)",
                       description="Train a model on a corpus (any format, by extension). Settings come from "
                                   "--config (TOML) and are overridden by flags; the final configuration is saved "
                                   "in the model directory (train_config.toml). Progress goes to stderr.")
    add_train_flags(p)
    p.add_argument("--resume", action="store_true", help="continue the interrupted run that writes --out")
    p.add_argument("--folds", type=int, default=0, metavar="K",
                   help="train K models, each without one K-th of the corpus, into OUT/fold-1..K; OUT is their "
                        "ensemble (averaged probabilities), usable as a model and as a distillation teacher")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..train.distributed import processes_from_env
    from ..train import train

    config, notes = config_from_args(args)
    main = processes_from_env().main  # under torchrun only rank 0 speaks
    for note in notes if main else ():
        print(f"note: {note}", file=sys.stderr)
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if args.folds:
        from ..errors import UserError
        from ..train.folds import train_folds

        if args.resume:
            raise UserError("--resume and --folds: resume each fold's run by training it with --out OUT/fold-I")
        out = train_folds(config, args.folds, progress)
    else:
        out = train(config, progress=progress, resume=args.resume)
    if main:
        print(out)
    return 0
