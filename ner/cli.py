"""The ``ner`` command: a thin argparse front over the library.

Each command lives in ``ner/commands/NAME.py`` with ``register(subparsers)``;
the modules import nothing heavy at the top, so ``ner --help`` is instant.
Exit codes: 0 ok, 1 problems found (validation errors, failed checks),
2 usage or input the command cannot work with (one line, no traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .errors import UserError

# Optional dependencies and the extra that brings each (pyproject.toml).
EXTRAS = {
    "torch": "train", "transformers": "train", "tokenizers": "train", "seqeval": "train", "natasha": "train",
    "navec": "train", "slovnet": "train", "matplotlib": "export", "tqdm": "train", "label_studio_sdk": "labelstudio",
    "datasets": "export", "spacy": "export", "starlette": "serve", "uvicorn": "serve", "msgpack": "export",
    "sklearn": "quality", "cleanlab": "dev",
}

# A name whose module is absent is skipped, so a command can land in its own commit.
COMMANDS = ("validate", "stats", "split", "convert", "ls", "train", "evaluate", "tag", "serve",
            "critic", "curve", "select", "agreement", "distill")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ner",
        description="Russian NER toolkit: validate and repair CoNLL corpora, move them to and from "
                    "Label Studio, train and evaluate models, tag text.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"ner.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"ner.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except UserError as e:
        if os.environ.get("RANK", "0") == "0":  # under torchrun every process fails alike: say it once
            print(f"ner {args.command}: error: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        top = (e.name or "").split(".")[0]
        if top not in EXTRAS:
            raise
        print(f"ner {args.command}: error: this needs the package {top!r}, which is not installed; "
              f"pip install 'ner[{EXTRAS[top]}]' (or 'ner[all]')", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ner {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
