"""The label set: one TOML file in ``annotation/`` from which tags, ids and configs derive.

A schema is a tuple of labels (with colour, hotkey and description for Label
Studio). ``load_schema`` reads the default file, a TOML file of the same shape,
or a plain text file with one label per line. ``Schema.auto`` builds one from
labels seen in data (``--labels auto``).

Left out: hierarchies of labels; relations.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

PALETTE = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
    "#9a6324", "#469990", "#808000", "#000075", "#bfef45", "#fabed4", "#dcbeff",
)


def default_schema_path() -> Path:
    """``annotation/labels.toml`` of the checkout, or the copy shipped inside the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "annotation" / "labels.toml", here / "_data" / "labels.toml"):
        if candidate.exists():
            return candidate
    raise UserError("the default label schema annotation/labels.toml is missing; pass --labels FILE")


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    color: str = ""
    hotkey: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Schema:
    name: str
    labels: tuple[Label, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    @property
    def tags(self) -> tuple[str, ...]:
        """IOB2 tags in id order: O first, then B-/I- of each label."""
        return ("O",) + tuple(f"{p}-{n}" for n in self.names for p in "BI")

    @property
    def tag_ids(self) -> dict[str, int]:
        return {tag: i for i, tag in enumerate(self.tags)}

    def __contains__(self, label: str) -> bool:
        return label in self.names

    def closest(self, label: str) -> str | None:
        """The schema label nearest to an unknown one, for 'did you mean' messages."""
        lowered = {n.lower(): n for n in self.names}
        if label.lower() in lowered:
            return lowered[label.lower()]
        match = difflib.get_close_matches(label, self.names, n=1, cutoff=0.5)
        if not match:
            match = difflib.get_close_matches(label.lower(), list(lowered), n=1, cutoff=0.5)
            match = [lowered[m] for m in match]
        return match[0] if match else None

    @staticmethod
    def auto(names, name: str = "auto") -> "Schema":
        """A schema of the given label names, sorted, with palette colours."""
        names = sorted(set(names))
        return Schema(name, tuple(Label(n, PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)))


_TOML_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*=")


def parse_schema(text: str, source: str = "<schema>") -> Schema:
    """A schema from TOML text (``[[labels]]`` tables) or from one label name per line."""
    stripped = [line.strip() for line in text.splitlines()]
    # A .toml file, or one with TOML tables or keys, is TOML: a typo in it must not read as label names.
    if source.endswith(".toml") or any(line.startswith("[") or _TOML_KEY.match(line) for line in stripped):
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise UserError(f"{source}: not valid TOML ({e}); fix the file or pass one label per line") from None
        if not isinstance(data.get("labels"), list):
            raise UserError(f"{source}: no [[labels]] tables (found {sorted(data) or 'nothing'}); each label is a "
                            f"[[labels]] table with a name, as in annotation/labels.toml")
        labels = []
        for i, item in enumerate(data.get("labels", [])):
            if "name" not in item:
                raise UserError(f"{source}: label #{i + 1} has no name")
            labels.append(Label(item["name"], item.get("color", PALETTE[i % len(PALETTE)]),
                                item.get("hotkey", ""), item.get("description", "")))
        schema = Schema(data.get("name", Path(source).stem), tuple(labels))
    else:
        names = [line for line in stripped if line and not line.startswith("#")]
        schema = Schema(Path(source).stem,
                        tuple(Label(n, PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)))
    if not schema.labels:
        raise UserError(f"{source}: the schema defines no labels")
    bad = [n for n in schema.names if not n or any(c.isspace() for c in n) or n == "O"]
    if bad:
        raise UserError(f"{source}: label names must be non-empty, without spaces and not 'O': {bad}")
    dupes = {n for n in schema.names if schema.names.count(n) > 1}
    if dupes:
        raise UserError(f"{source}: labels defined twice: {sorted(dupes)}")
    return schema


def load_schema(path: str | Path | None = None) -> Schema:
    """The default schema, or the one in ``path`` (TOML or one label per line)."""
    path = Path(path) if path else default_schema_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UserError(f"{path}: cannot read the label schema ({e.strerror}); check the path") from None
    return parse_schema(text, str(path))
