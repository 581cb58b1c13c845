"""``ner train [--config FILE] [flags]``: train a navec or transformer model into a directory."""

from __future__ import annotations

import sys

# flag -> help; every flag overrides the config key of the same name (dashes become underscores)
_FLAGS = {
    "--train": ("FILE", str), "--dev": ("FILE", str), "--backbone": ("navec|transformer", str),
    "--model": ("NAME_OR_DIR", str), "--out": ("DIR", str), "--name": ("NAME", str),
    "--labels": ("FILE|auto", str), "--map": ("A=B,...", str), "--epochs": ("N", int),
    "--patience": ("N", int), "--batch-size": ("N", int), "--lr": ("RATE", float), "--window": ("N", int),
    "--stride": ("N", int), "--seed": ("N", int), "--device": ("DEVICE", str), "--max-minutes": ("M", float),
}


def register(sub) -> None:
    from ..train.config import FIELDS

    p = sub.add_parser("train", help="train a model (navec offline, or any Hugging Face encoder)",
                       description="Train a model on a CoNLL corpus. Settings come from --config (TOML) and "
                                   "are overridden by flags; the final configuration is saved in the model "
                                   "directory. Progress goes to stderr.")
    p.add_argument("--config", metavar="FILE", help="TOML file with training settings (see configs/train.toml)")
    for flag, (metavar, kind) in _FLAGS.items():
        key = flag[2:].replace("-", "_")
        p.add_argument(flag, metavar=metavar, type=kind, default=None, help=FIELDS[key].metadata["help"])
    p.add_argument("--resume", action="store_true", help="continue the interrupted run that writes --out")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..train.config import TrainConfig, load_config
    from ..train.distributed import processes_from_env
    from ..train.loop import train

    config = load_config(args.config) if args.config else TrainConfig()
    config = config.replace(**{flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
                               for flag in _FLAGS})
    out = train(config, progress=lambda line: print(line, file=sys.stderr, flush=True), resume=args.resume)
    if processes_from_env().main:  # under torchrun only rank 0 speaks
        print(out)
    return 0
