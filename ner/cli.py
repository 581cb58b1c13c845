"""The ``ner`` command: a thin argparse front over the library.

Each command lives in ``ner/commands/NAME.py`` with ``register(subparsers)``;
the modules import nothing heavy at the top, so ``ner --help`` is instant.
Exit codes: 0 ok, 1 problems found (validation errors, failed checks),
2 usage or input the command cannot work with (one line, no traceback).
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys

from .errors import UserError
from .settings import launcher

# Optional dependencies and the extra that brings each (pyproject.toml).
EXTRAS = {
    "torch": "train", "transformers": "train", "tokenizers": "train", "seqeval": "train", "natasha": "train",
    "navec": "train", "slovnet": "train", "matplotlib": "export", "tqdm": "train", "label_studio_sdk": "labelstudio",
    "datasets": "export", "spacy": "export", "starlette": "serve", "uvicorn": "serve", "msgpack": "export",
    "sklearn": "quality", "cleanlab": "dev", "peft": "train", "ray": "ray", "selenium": "dev", "openai": "llm",
}

# A name whose module is absent is skipped, so a command can land in its own commit.
COMMANDS = ("validate", "stats", "split", "convert", "ls", "train", "evaluate", "tag", "serve",
            "critic", "curve", "select", "agreement", "distill", "llm", "consensus")


class UsageError(Exception):
    """A command line argparse refuses; ``main`` prints it as one line and returns 2."""

    def __init__(self, prog: str, message: str):
        super().__init__(f"{prog}: error: {message}")


class Parser(argparse.ArgumentParser):
    """argparse whose mistakes are one line (no usage block) and whose unknown flags get a
    "did you mean" from the flags of the command they were given to. A shortened flag is no flag
    (argparse would take ``--backbon`` for ``--backbone`` and ``--jso`` for ``--json``): a typo is
    reported, never run."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        raise UsageError(self.prog, f"{message} (see {self.prog} --help)")


def _command_parser(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.ArgumentParser:
    """The (sub)parser the words of ``argv`` lead to: ``ner ls push ...`` -> the ``ls push`` parser."""
    for word in argv:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subs and word in subs[0].choices:
            parser = subs[0].choices[word]
    return parser


def _flags(command: argparse.ArgumentParser) -> list[str]:
    return [o for a in command._actions for o in a.option_strings if o.startswith("--")]


def _hint(command: argparse.ArgumentParser, word: str) -> str:
    """' (did you mean --X?)' for a misspelt flag, ' (MODEL_DIR is given without a flag)' for a flag that
    names a positional argument (``ner evaluate --model M``); never --help."""
    positional = {a.dest: a.metavar or a.dest for a in command._actions if not a.option_strings}
    name = word.lstrip("-").replace("-", "_")
    if word.startswith("--") and name in positional:
        return f" ({positional[name]} is given without a flag: {command.prog} {' '.join(positional.values())})"
    flags = [f for f in _flags(command) if f != "--help"]
    close = difflib.get_close_matches(word, flags, n=1, cutoff=0.6) if word.startswith("-") else []
    return f" (did you mean {close[0]}?)" if close else ""


def misspelt_flags(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Words of ``argv`` that look like flags but are no flag of their command."""
    flags = set(_flags(_command_parser(parser, argv)))
    words = [w for w in argv if w.startswith("--") and w != "--"]
    return [w for w in words if w.split("=", 1)[0] not in flags]


def unknown_flags(parser: argparse.ArgumentParser, argv: list[str], extras: list[str]) -> str:
    """The one-line message for arguments no parser took, with the closest flag of their command."""
    command = _command_parser(parser, argv)
    parts = []
    flagged = [e for e in extras if e.startswith("-")]
    for extra in flagged or extras:
        parts.append(extra + _hint(command, extra.split("=", 1)[0]))
    return (f"{command.prog}: error: unrecognized argument{'s' if len(parts) > 1 else ''}: {', '.join(parts)} "
            f"(see {command.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, extras = parser.parse_known_args(argv)
    except UsageError as e:  # a misspelt flag explains a "required" error better than the error does
        misspelt = misspelt_flags(parser, argv)
        print(unknown_flags(parser, argv, misspelt) if misspelt else e, file=sys.stderr)
        return 2
    if extras:
        print(unknown_flags(parser, argv, extras), file=sys.stderr)
        return 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except UserError as e:
        if launcher()["RANK"] == "0":  # under torchrun every process fails alike: say it once
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
    except OSError as e:  # a path the user gave that cannot be opened or written (-o, --errors, --out, --fix)
        if e.filename is None:
            raise
        print(f"ner {args.command}: error: {e.filename}: {e.strerror or e}; check the path", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
