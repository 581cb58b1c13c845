"""ner: Russian NER corpora, Label Studio round trips, training and tagging.

The public API. Heavy parts (torch, transformers, the Label Studio SDK) load
only when ``tag``/``Tagger`` are first used.

>>> from ner import read_conll, write_conll, Sentence
"""

from .check import Change, Issue, Report
from .errors import UserError
from .formats.conll import parse_conll, read_conll, read_corpus, write_conll
from .records import Document, Sentence, Span, Token
from .schema import Schema, load_schema

__all__ = [
    "Change", "Document", "Issue", "Report", "Schema", "Sentence", "Span", "Tagger", "Token",
    "UserError", "load_schema", "parse_conll", "read_conll", "read_corpus", "tag", "write_conll",
]


def __getattr__(name):
    if name in ("tag", "Tagger"):
        from . import tagger

        return getattr(tagger, name)
    raise AttributeError(f"module 'ner' has no attribute {name!r}")
