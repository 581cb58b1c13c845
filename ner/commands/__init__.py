"""One module per CLI command: ``register(subparsers)`` declares the arguments, a plain
function does the work. Shared argument helpers live here."""

from __future__ import annotations


def add_labels_arg(parser) -> None:
    parser.add_argument("--labels", metavar="FILE|auto", default=None,
                        help="label schema: a TOML file like annotation/labels.toml, a text file with one "
                             "label per line, or 'auto' to take the labels found in the data "
                             "(default: annotation/labels.toml)")


def schema_from_arg(value):
    """The schema for a --labels value: None means any label ('auto')."""
    from ..schema import load_schema

    if value == "auto":
        return None
    return load_schema(value)


def add_connection_args(parser) -> None:
    """``--url`` and ``--api-key`` of a command that talks to Label Studio."""
    parser.add_argument("--url", default=None, help="Label Studio URL (default: $LABEL_STUDIO_URL)")
    parser.add_argument("--api-key", default=None, help="Label Studio API key (default: $LABEL_STUDIO_API_KEY)")


def client_from_args(args):
    """A connected Label Studio client from ``--url``/``--api-key`` (or the environment, via settings)."""
    from ..labelstudio.client import Client, connection_from

    return Client(connection_from(args.url, args.api_key))
