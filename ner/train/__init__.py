"""Training: configuration, corpus preparation, the entry points (``fit`` on records, ``train`` on
files), the loop, checkpoints and the model directory it writes.

The backbones (networks, encoding, windows, loading) live in ``ner.models``, which training imports.

Importing this package loads nothing heavy; torch and transformers load inside the functions that need them.
"""

from .config import TrainConfig, load_config

__all__ = ["TrainConfig", "fit", "load_config", "train"]


def train(config, progress=lambda line: None, resume: bool = False, **options):
    """Train a model on the files ``config`` names (see ``entry.train`` for ``threads``, ``progress_seconds``);
    returns the model directory."""
    from .entry import train as _train

    return _train(config, progress, resume, **options)


def fit(train, dev, labels, config, out=None, **options):
    """Train on sentences (``dev`` None: a held-out share of ``train``) with tags over ``labels``
    (see ``entry.fit``); returns the model directory."""
    from .entry import fit as _fit

    return _fit(train, dev, labels, config, out, **options)
