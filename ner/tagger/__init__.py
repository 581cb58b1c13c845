"""Tagging: ``Tagger`` (load a model once, tag texts), ``tag(text)`` with the default model, the
HTML/JSONL renderers of tagged text and the spaCy component.
"""

from .core import DEFAULT_BATCH_SIZE, Entity, TaggedText, Tagger, default_model_path, tag

__all__ = ["DEFAULT_BATCH_SIZE", "Entity", "TaggedText", "Tagger", "default_model_path", "tag"]
