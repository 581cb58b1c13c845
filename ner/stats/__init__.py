"""The dataset report (``report``) and its charts (``plots``)."""

from .report import Duplicate, Overlap, corpus_stats

__all__ = ["Duplicate", "Overlap", "corpus_stats"]
