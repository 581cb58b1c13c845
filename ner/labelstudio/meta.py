"""Our bookkeeping on a Label Studio task, read by both directions (``tasks.py`` out, ``regions.py`` back).

``content_hash`` is the key of a task's content (its words and sentence sizes); ``task_info``
reads what a push stored in ``meta["ner"]`` (or the ``ner_*`` data fields of older pushes).

Left out: building tasks (``tasks.py``), reading regions (``regions.py``), files and HTTP.
"""

from __future__ import annotations

import hashlib


def content_hash(words, sizes) -> str:
    """The key of a task's content: its words and sentence sizes (not its tags)."""
    h = hashlib.sha1()
    h.update(" ".join(map(str, sizes)).encode())
    words = list(words)
    if words:  # a separator before each word
        h.update(("\x1f" + "\x1f".join(words)).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:20]


_LEGACY = {"doc": "ner_doc", "part": "ner_part", "hash": "ner_hash", "sentences": "ner_sentences",
           "tokens": "ner_tokens", "docstart": "ner_docstart", "batch": "ner_batch"}


def task_info(task: dict) -> dict | None:
    """Our bookkeeping of a task (``meta["ner"]``, or the ``ner_*`` data fields of older pushes); None
    for a task made elsewhere."""
    meta = task.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("ner"), dict):
        return meta["ner"]
    data = task.get("data", task)
    if isinstance(data, dict) and "ner_doc" in data:
        return {key: data[old] for key, old in _LEGACY.items() if old in data}
    return None
