"""``ner train [--config FILE] [flags]``: train a navec or transformer model into a directory.

Every setting of ``TrainConfig`` (``ner/train/config.py``) is a flag of the same
name (``batch_size`` -> ``--batch-size``); the dataclass holds the one set of
defaults, which ``--help`` shows and ``configs/train.toml`` repeats. A flag that
is not given leaves the config file's value alone.
"""

from __future__ import annotations

import argparse
import sys

# metavars of the flags that are not plain numbers
_METAVARS = {"train": "FILE", "dev": "FILE", "backbone": "navec|navec-cnn|transformer",
             "base_model": "NAME_OR_DIR", "out": "DIR", "name": "NAME", "labels": "FILE|auto", "map": "A=B,...",
             "keep": "L1,L2,...", "device": "DEVICE", "lr": "RATE", "max_minutes": "M",
             "lexicon": "DIR|none"}


def flag_of(key: str) -> str:
    return "--" + key.replace("_", "-")


def register(sub) -> None:
    from ..train.config import FIELDS

    p = sub.add_parser("train", help="train a model (navec offline, or any Hugging Face encoder)",
                       description="Train a model on a corpus (any format, by extension). Settings come from "
                                   "--config (TOML) and are overridden by flags; the final configuration is saved "
                                   "in the model directory (train_config.toml). Progress goes to stderr.")
    p.add_argument("--config", metavar="FILE", help="TOML file with training settings (see configs/train.toml)")
    for key, field in FIELDS.items():
        default = field.default
        shown = f"{default!r}" if isinstance(default, str) else str(default).lower() if isinstance(default, bool) \
            else str(default)
        help_text = field.metadata["help"]
        if "default" not in help_text:  # some helps say what the empty default means
            help_text += f" (default: {shown})"
        if isinstance(default, bool):
            p.add_argument(flag_of(key), dest=key, action=argparse.BooleanOptionalAction, default=None,
                           help=help_text)
        else:
            p.add_argument(flag_of(key), dest=key, type=type(default), default=None,
                           metavar=_METAVARS.get(key, "N" if isinstance(default, int) else "X"), help=help_text)
    p.add_argument("--resume", action="store_true", help="continue the interrupted run that writes --out")
    p.add_argument("--folds", type=int, default=0, metavar="K",
                   help="train K models, each without one K-th of the corpus, into OUT/fold-1..K; OUT is their "
                        "ensemble (averaged probabilities), usable as a model and as a distillation teacher")
    p.set_defaults(func=run)


def config_from_args(args):
    """The ``TrainConfig`` that ``--config`` and the flags describe, and notes about old key names."""
    from ..train.config import FIELDS, TrainConfig, load_config

    notes: list[str] = []
    config = load_config(args.config, notes) if args.config else TrainConfig()
    return config.replace(**{key: getattr(args, key) for key in FIELDS}), notes


def run(args) -> int:
    from ..train.distributed import processes_from_env
    from ..train.loop import train

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
