"""Training: configuration, corpus preparation, the loop, checkpoints and the model directory it writes.

The backbones (networks, encoding, windows, loading) live in ``ner.models``, which training imports.

Importing this package loads nothing heavy; torch and transformers load inside the functions that need them.
"""

from .config import TrainConfig, load_config

__all__ = ["TrainConfig", "load_config", "train"]


def train(config, progress=lambda line: None, resume: bool = False, **options):
    """Train a model as ``config`` says (see ``loop.train`` for ``threads``, ``progress_seconds``);
    returns the model directory."""
    from .loop import train as _train

    return _train(config, progress, resume, **options)
