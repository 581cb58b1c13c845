"""Dictionary grammemes of the navec vocabulary: is a word a known first name, surname, patronymic, place or organisation.

pymorphy3's dictionary (OpenCorpora) marks word forms with the grammemes ``Name``,
``Surn``, ``Patr``, ``Geox`` and ``Orgn`` ("Меркель" Surn, "Гамбург" Geox, "Яндекс" Orgn).
A model trained on a small corpus has seen few names; the dictionary knows a great
many, in every case form. ``vocab_table`` gives each navec word a 5-bit mask of the
grammemes of its known (dictionary, not guessed) parses; the navec networks embed
the mask as one more word feature (``morph_dim``).

The table is built once per vocabulary (about 15 s for navec's 250k words:
only words with Cyrillic letters are parsed) and kept under the user's cache
directory (``$XDG_CACHE_HOME/ner``, else ``~/.cache/ner``; ``NER_CACHE_DIR`` overrides).
A trained model carries the table in its weights (``model.pt``), so tagging needs
neither pymorphy3 nor the cache; only training does.

Left out: grammemes of guessed parses (pymorphy3 guesses ``Surn`` for many unknown
words ending in -ов or -берг; too noisy); the other grammemes (case, number).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..text import CYRILLIC

GRAMMEMES = ("Name", "Surn", "Patr", "Geox", "Orgn")
CLASSES = 2 ** len(GRAMMEMES)  # the masks an embedding row is kept for
VERSION = 1  # of the table's recipe: a change makes a new cache file


def available() -> bool:
    """Whether pymorphy3 (and its Russian dictionary) can be imported."""
    try:
        import pymorphy3  # noqa: F401
    except ImportError:
        return False
    return True


def word_masks(words, analyzer=None) -> list[int]:
    """The grammeme mask of each word: bit i set when a dictionary parse carries ``GRAMMEMES[i]``."""
    if analyzer is None:
        from pymorphy3 import MorphAnalyzer

        analyzer = MorphAnalyzer()
    bits = {g: 1 << i for i, g in enumerate(GRAMMEMES)}
    out = []
    for word in words:
        mask = 0
        if CYRILLIC.search(word):
            for parse in analyzer.parse(word):
                if parse.is_known:
                    for grammeme, bit in bits.items():
                        if grammeme in parse.tag:
                            mask |= bit
        out.append(mask)
    return out


def cache_dir() -> Path:
    from ..settings import cache_dir as settings_cache_dir

    return settings_cache_dir()


def _dictionary_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pymorphy3-dicts-ru")
    except PackageNotFoundError:
        return "unknown"


def vocab_table(words) -> "object":
    """uint8 ``[len(words)]`` masks of the vocabulary ``words`` (cached on disk, per
    vocabulary and dictionary version: a copy of the embeddings in a model directory finds the same file)."""
    import hashlib

    import numpy as np

    digest = hashlib.sha1("\n".join(words).encode("utf-8")).hexdigest()[:16]
    name = f"morph-v{VERSION}-{len(words)}-{digest}-{_dictionary_version()}.npy"
    path = cache_dir() / name
    if path.exists():
        try:
            table = np.load(path)
            if table.shape == (len(words),) and table.dtype == np.uint8:
                return table
        except Exception:  # noqa: BLE001  a broken or cut cache file (ValueError, EOFError, ...) is rebuilt
            pass
    table = np.asarray(word_masks(words), dtype=np.uint8)
    partial = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        with os.fdopen(handle, "wb") as f:
            np.save(f, table)
        os.replace(partial, path)
        partial = None
    except OSError:
        pass  # an unwritable cache: the table is rebuilt next time
    finally:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
    return table
