"""The critic: which annotated spans and sentences are likely wrong.

``suspects`` (load, score and rank), ``folds`` (out-of-fold probabilities), ``signals`` (features
of each candidate), ``corrupt`` (synthetic errors the critic learns from), ``model`` (the learned
scorer), ``report`` (tables, JSONL, HTML) and ``review`` (the Label Studio review queue).
"""

from .suspects import CriticConfig, Item, Suspect, load_items, quality

__all__ = ["CriticConfig", "Item", "Suspect", "load_items", "quality"]
