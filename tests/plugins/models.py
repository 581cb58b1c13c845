"""Tiny model fixtures (see tests/plugins/models.py)."""
