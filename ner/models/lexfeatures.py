"""Lexicon membership as a word feature of the navec backbone.

A lexicon directory (``ner/lexicon.py``: ``<Label>.txt`` files, ``O.txt``) is matched over
each window's words with ``Lexicon.tags`` (longest match, dates by pattern: the one
matcher), and each word gets the id of its lexicon tag: 0 padding, 1 ``O`` (not in the
lists), then ``B-X``, ``I-X`` for each label of the lexicon in ``labels`` order. The
network embeds the id and concatenates it to the word's vector (``words.WordFeatures``);
in training a whole sentence's ids are set to ``O`` with probability ``lexicon_dropout``,
so the model also learns to find names the lists do not hold.

With ``parts`` (``--lexicon-parts``) a word also carries a bit per label: set when another listed name
of that label holds the word's stem ("распознавания" in "распознавание речи" and "распознавание лиц":
Task), the name the lists match at the word itself left out, so that in training a listed name's own
words look as a new name's will at tagging. The bits ride in the same id (match id plus ``size`` times
the mask, ``joined``); the network splits them and adds a linear map of the bits to the match's
embedding (``words.WordFeatures.lexicon_features``); a sentence's hidden matches keep their bits.

The files read are kept in memory and written into the model directory as one file,
``lexicon.json`` (``{"files": {"Model.txt": text, ...}}``: the directory stays flat),
when the model is saved, so a trained directory carries the exact lists it was trained
with. A lexicon's labels need not be the model's: they are its file names (and Date).

Left out: several directories layered (``load_lexicon(a, b)``): one directory per model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..errors import UserError

FILE = "lexicon.json"  # inside a model directory
DATE = "Date"  # the matcher's date patterns give this label whatever the files are
RECENT = 4096  # word lists whose lexicon tags are remembered (``LexiconFeatures.tags``)


class LexiconFeatures:
    """A lexicon with its feature ids (see the module docstring)."""

    def __init__(self, files: dict[str, str], labels: Sequence[str] | None = None, source: str = "",
                 parts: bool = False):
        from .lexicon import NOT_AN_ENTITY, load_lexicon

        self.files = dict(files)  # file name -> text, what is saved with the model
        stems = sorted(Path(name).stem for name in self.files)
        if labels is None:
            labels = [s for s in stems if s != NOT_AN_ENTITY] + ([DATE] if DATE not in stems else [])
        self.labels = tuple(labels)
        self.source = source
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:  # load_lexicon reads a directory: the one matcher
            self._write(Path(tmp))
            self.lexicon = load_lexicon(tmp, labels=[s for s in stems if s != NOT_AN_ENTITY])
        self.version = self.lexicon.version
        self.ids = {"O": 1}
        for label in self.labels:
            for p in "BI":
                self.ids[f"{p}-{label}"] = len(self.ids) + 1
        self.size = len(self.ids) + 1  # rows of the embedding, padding included
        self._recent: dict[tuple, tuple[str, ...]] = {}
        self.parts = parts
        self.part_labels = tuple(x for x in self.labels if x != DATE)
        self._names_with: dict[str, dict[str, int]] = {}  # word stem -> label -> listed names holding it
        if parts:
            for fold, (label, _, _) in self.lexicon.seen.items():
                if label in self.part_labels:
                    for s in set(fold):
                        if len(s) >= 3 and any(c.isalpha() for c in s):
                            counts = self._names_with.setdefault(s, {})
                            counts[label] = counts.get(label, 0) + 1

    @classmethod
    def read(cls, directory, labels: Sequence[str] | None = None, parts: bool = False) -> "LexiconFeatures":
        """The ``*.txt`` files of ``directory``; a missing or empty directory is a ``UserError``."""
        directory = Path(directory)
        if not directory.is_dir():
            raise UserError(f"--lexicon {directory}: no such lexicon directory (expected files like Model.txt "
                            f"in it; 'none' trains without one)")
        files = {}
        for path in sorted(directory.glob("*.txt")):
            try:
                files[path.name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise UserError(f"{path}: unreadable ({e})") from None
        if not files:
            raise UserError(f"--lexicon {directory}: no <Label>.txt files in this lexicon directory")
        return cls(files, labels, str(directory), parts)

    def _write(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in self.files.items():
            (directory / name).write_text(text, encoding="utf-8")

    def save(self, model_dir: Path) -> dict:
        """The files into ``model_dir/lexicon.json``; returns the entry ``ner_model.json`` keeps."""
        import json

        (Path(model_dir) / FILE).write_text(json.dumps({"files": self.files}, ensure_ascii=False, indent=0),
                                            encoding="utf-8")
        entry = {"file": FILE, "labels": list(self.labels), "version": self.version, "source": self.source}
        return {**entry, "parts": True} if self.parts else entry

    @classmethod
    def load(cls, model_dir: Path, entry: dict) -> "LexiconFeatures":
        import json

        path = Path(model_dir) / entry.get("file", FILE)
        try:
            files = json.loads(path.read_text(encoding="utf-8"))["files"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise UserError(f"{path}: the lexicon the model was trained with is missing or damaged ({e}); "
                            f"the model directory is incomplete, retrain it") from None
        return cls(files, entry["labels"], entry.get("source", ""), bool(entry.get("parts")))

    def word_ids(self, words: Sequence[str]) -> list[int]:
        """The feature id of each word: its lexicon tag's (``O`` for a tag of a label not in ``labels``), with
        ``parts`` its part mask too (``joined``)."""
        ids = self.match_ids(words)
        return self.joined(ids, self.part_masks(words)) if self.parts else ids

    def match_ids(self, words: Sequence[str]) -> list[int]:
        """The id of each word's lexicon tag alone."""
        return [self.ids.get(tag, 1) for tag in self.tags(words)]

    def part_masks(self, words: Sequence[str]) -> list[int]:
        """Per word, a bit per label of ``part_labels``: set when another listed name of that label holds the
        word (by stem); the name the lists match at the word itself does not count, so a listed name's
        words read as a new name's would."""
        from ..bio import tags_spans
        from .lexicon import stem

        stems = [stem(w) for w in words]
        own: list[tuple[str, tuple]] = [("", ())] * len(words)  # the label and stems of the name matched there
        for i, j, label in tags_spans(list(self.tags(words))):
            fold = tuple(stems[i:j])
            if self.lexicon.seen.get(fold, ("",))[0] == label:  # matched by its stems: that name is the word's own
                own[i:j] = [(label, fold)] * (j - i)
        out = []
        for s, (label_here, fold) in zip(stems, own):
            counts = self._names_with.get(s)
            mask = 0
            if counts:
                for k, label in enumerate(self.part_labels):
                    if counts.get(label, 0) - (label == label_here and s in fold) > 0:
                        mask |= 1 << k
            out.append(mask)
        return out

    def joined(self, ids: Sequence[int], masks: Sequence[int]) -> list[int]:
        """One id per word: the match id plus ``size`` times the part mask (0 stays padding)."""
        return [i + self.size * m for i, m in zip(ids, masks)]

    def tags(self, words: Sequence[str]) -> tuple[str, ...]:
        """The lists' IOB2 tags of ``words``; the last few thousand word lists are remembered, since
        prediction asks twice for the same sentence (the feature, then ``boost``)."""
        key = tuple(words)
        found = self._recent.get(key)
        if found is None:
            if len(self._recent) >= RECENT:
                self._recent.clear()
            found = self._recent[key] = tuple(self.lexicon.tags(list(words)))  # shared: never mutable
        return found

    def training_tensor(self, batch, known: dict, hidden: dict, share: float = 0.0):
        """``[B, L]`` ids of training windows: each window's ids kept in ``known``, the positions ``hidden``
        holds for it (``train/augment.py``'s swapped names) set to ``O``, then each match hidden with
        probability ``share`` (``hide_matches``)."""
        import random

        from .features import padded

        rows = []
        for words in batch:
            key = tuple(words)
            if key not in known:
                known[key] = (self.match_ids(key), self.part_masks(key) if self.parts else None)
            ids, masks = known[key]
            hide = hidden.get(key, ())
            row = [1 if i in hide else v for i, v in enumerate(ids)] if hide else ids
            row = hide_matches(row, share, random.random) if share else row
            rows.append(self.joined(row, masks) if self.parts else row)
        return padded(rows)

    def boost(self, batch, emissions, tag_ids: dict, amount: float) -> None:
        """Add ``amount`` to each word's emission of the tag the lists give it (in place; the model's tags
        only): what the lists hold weighs in at decoding, where no training shaped it (``lexicon_boost``)."""
        for words, em in zip(batch, emissions):
            for i, tag in enumerate(self.tags(words)):
                if tag != "O" and tag in tag_ids:
                    em[i, tag_ids[tag]] += amount

    def tensor(self, batch: Sequence[Sequence[str]]):
        """``[B, L]`` ids, 0 past each item's end."""
        from .features import padded

        return padded([self.word_ids(ws) for ws in batch])


def resolve_lexicon(value: str, backbone: str, labels: Sequence[str], parts: bool = False) -> LexiconFeatures | None:
    """The lexicon a training run uses: ``value`` is a directory, ``none``, or empty; ``parts``: with its
    words' part bits (``--lexicon-parts``).

    Empty means the bundled ``annotation/lexicons/`` for the navec backbone when it lists at
    least one of the training labels (a PER/LOC/ORG corpus gets none), else no lexicon.
    """
    from .lexicon import BUNDLED, NOT_AN_ENTITY

    if value.lower() == "none":
        return None
    if backbone != "navec":
        if value:
            raise UserError(f"--lexicon {value}: lexicon features are for the navec backbone; "
                            f"drop --lexicon or use --backbone navec")
        return None
    if value:
        return LexiconFeatures.read(value, parts=parts)
    if not BUNDLED.is_dir():
        return None
    listed = {p.stem for p in BUNDLED.glob("*.txt")} - {NOT_AN_ENTITY}
    return LexiconFeatures.read(BUNDLED, parts=parts) if listed & set(labels) else None


def hide_matches(ids: Sequence[int], share: float, draw) -> list[int]:
    """``ids`` with each lexicon match (a ``B-X`` id and the ``I-X`` ids after it) set to ``O`` (1) when
    ``draw()`` (uniform in [0, 1)) falls under ``share``: in training, names the lists do not hold sit
    beside names they do in the same sentence, as they will in new text (``lexicon_span_dropout``)."""
    out = list(ids)
    i = 0
    while i < len(out):
        start = out[i]
        if start > 1 and start % 2 == 0:  # B-X: even ids from 2 (``LexiconFeatures.ids``)
            j = i + 1
            while j < len(out) and out[j] == start + 1:
                j += 1
            if draw() < share:
                out[i:j] = [1] * (j - i)
            i = j
        else:
            i += 1
    return out
