"""Many annotators, one corpus: versions aligned by content, a learned merge, annotators ranked without gold."""

from .pipeline import Outcome, consensus

__all__ = ["Outcome", "consensus"]
