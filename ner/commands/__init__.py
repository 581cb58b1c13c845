"""One module per CLI command: ``register(subparsers)`` declares the arguments, a plain
function does the work. Shared argument helpers live here."""

from __future__ import annotations

import sys


def add_labels_arg(parser) -> None:
    parser.add_argument("--labels", metavar="FILE|auto", default=None,
                        help="label schema: a TOML file like annotation/labels.toml, a text file with one "
                             "label per line, or 'auto' to take the labels found in the data "
                             "(default: annotation/labels.toml)")


def add_connection_args(p) -> None:
    """``--url`` and ``--api-key`` of the Label Studio connection (``ner ls``)."""
    p.add_argument("--url", default=None, help="Label Studio URL (default: $LABEL_STUDIO_URL or http://127.0.0.1:8089)")
    p.add_argument("--api-key", default=None,
                   help="legacy API token or personal access token (default: $LABEL_STUDIO_API_KEY)")


def schema_from_arg(value):
    """The schema for a --labels value: None means any label ('auto')."""
    from ..schema import load_schema

    if value == "auto":
        return None
    return load_schema(value)


# metavars of the training flags that are not plain numbers
TRAIN_METAVARS = {"train": "FILE", "dev": "FILE", "backbone": "navec|navec-cnn|transformer",
                  "base_model": "NAME_OR_DIR", "out": "DIR", "name": "NAME", "labels": "FILE|auto", "map": "A=B,...",
                  "keep": "L1,L2,...", "device": "DEVICE", "lr": "RATE", "max_minutes": "M", "lexicon": "DIR|none"}


def flag_of(key: str) -> str:
    """The flag of a ``TrainConfig`` field: ``batch_size`` -> ``--batch-size``."""
    return "--" + key.replace("_", "-")


def add_train_flags(parser, *, skip=(), helps: dict | None = None) -> None:
    """``--config FILE`` and one flag per ``TrainConfig`` field (``ner train`` and ``ner distill``): the
    dataclass holds the one set of defaults, shown in ``--help``; a flag not given is ``None``, which
    leaves the config file's value alone. ``skip``: fields without a flag; ``helps``: other help texts."""
    import argparse

    from ..train.config import FIELDS

    parser.add_argument("--config", metavar="FILE", help="TOML file with training settings (see configs/train.toml)")
    for key, field in FIELDS.items():
        if key in skip:
            continue
        default = field.default
        shown = f"{default!r}" if isinstance(default, str) else str(default).lower() if isinstance(default, bool) \
            else str(default)
        help_text = (helps or {}).get(key, field.metadata["help"])
        if "default" not in help_text:  # some helps say what the empty default means
            help_text += f" (default: {shown})"
        if isinstance(default, bool):
            parser.add_argument(flag_of(key), dest=key, action=argparse.BooleanOptionalAction, default=None,
                                help=help_text)
        else:
            parser.add_argument(flag_of(key), dest=key, type=type(default), default=None,
                                metavar=TRAIN_METAVARS.get(key, "N" if isinstance(default, int) else "X"),
                                help=help_text)
    parser.set_defaults(**{key: None for key in skip})


def config_from_args(args):
    """The ``TrainConfig`` that ``--config`` and the training flags describe, and notes about old key names."""
    from ..train.config import FIELDS, TrainConfig, load_config

    notes: list[str] = []
    config = load_config(args.config, notes) if args.config else TrainConfig()
    return config.replace(**{key: getattr(args, key) for key in FIELDS}), notes


def refuse_input(report, command: str, limit: int = 10) -> None:
    """Print the first input errors and why nothing was written (``ner convert``, ``ner split``)."""
    for issue in report.errors[:limit]:
        print(issue, file=sys.stderr)
    if len(report.errors) > limit:
        print(f"... {len(report.errors) - limit} more error(s); ner validate lists them all", file=sys.stderr)
    hint = ("; labels outside the schema: pass --labels auto to take the labels found in the data, "
            "or --labels FILE" if any(i.code == "E112" for i in report.errors) else
            "; repair the input first (ner validate --fix)" if all(i.fixable for i in report.errors) else
            "; edit the lines named above as each says (ner validate --fix repairs only what it can tell)")
    print(f"ner {command}: {report.summary()}{hint}; nothing written", file=sys.stderr)


def add_connection_args(parser) -> None:
    """``--url`` and ``--api-key`` of a command that talks to Label Studio."""
    parser.add_argument("--url", default=None, help="Label Studio URL (default: $LABEL_STUDIO_URL)")
    parser.add_argument("--api-key", default=None, help="Label Studio API key (default: $LABEL_STUDIO_API_KEY)")


def client_from_args(args):
    """A connected Label Studio client from ``--url``/``--api-key`` (or the environment, via settings)."""
    from ..labelstudio.client import Client, connection_from

    return Client(connection_from(args.url, args.api_key))
