"""The Label Studio labeling config, generated from the schema, and read back from a project.

``format_labeling_config`` builds one ``<Labels>`` tag for the schema (a distinct
colour and hotkey per label; missing or clashing ones are filled in) over a
``<Text>`` shown with its whitespace preserved, so that line breaks and double
spaces the annotator sees are the ones the offsets count. ``config_names`` reads
the ``Labels``/``Text`` names and label values of an existing config, so pushes and
pulls address the project's own tags (``from_name``/``to_name``).

Left out: relations, choices and other control tags; hierarchies of labels.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from ..errors import UserError
from ..schema import PALETTE, Schema

FROM_NAME = "label"
TO_NAME = "text"
TEXT_KEY = "text"
# Hotkeys tried, in order, for labels that have none (or a clashing one).
_SPARE_HOTKEYS = "1234567890qwerupzxcbnmsfghjl"


@dataclass(frozen=True, slots=True)
class ConfigNames:
    """The names a labeling config gives its span tags: results use them as from/to names."""

    from_name: str = FROM_NAME
    to_name: str = TO_NAME
    text_key: str = TEXT_KEY
    labels: tuple[str, ...] = ()


def label_styles(schema: Schema) -> list[tuple[str, str, str]]:
    """``(name, colour, hotkey)`` per label, colours and hotkeys distinct.

    >>> from ner.schema import Schema, Label
    >>> label_styles(Schema("x", (Label("A", "#111111", "a"), Label("B", "#111111", "a"))))
    [('A', '#111111', 'a'), ('B', '#e6194b', '1')]
    """
    used_colours: set[str] = set()
    used_keys: set[str] = set()
    spare_colours = iter(c for c in PALETTE * 8)
    spare_keys = iter(_SPARE_HOTKEYS)
    styles = []
    for label in schema.labels:
        colour = label.color.lower()
        while not colour or colour in used_colours:
            colour = next(spare_colours, "")
            if not colour:
                colour = f"#{(len(used_colours) * 2654435761) & 0xFFFFFF:06x}"
        key = label.hotkey
        while not key or key in used_keys:
            key = next(spare_keys, "")
            if not key:
                break
        used_colours.add(colour)
        if key:
            used_keys.add(key)
        styles.append((label.name, colour, key))
    return styles


def format_labeling_config(schema: Schema, names: ConfigNames = ConfigNames()) -> str:
    """The labeling config XML for ``schema``.

    >>> from ner.schema import Schema, Label
    >>> print(format_labeling_config(Schema("x", (Label("Model", "#e6194b", "m"),))))
    <View>
      <Header value="Выделите сущности (x)"/>
      <Labels name="label" toName="text" showInline="true">
        <Label value="Model" background="#e6194b" hotkey="m"/>
      </Labels>
      <View style="white-space: pre-wrap">
        <Text name="text" value="$text"/>
      </View>
    </View>
    <BLANKLINE>
    """
    lines = ["<View>",
             f"  <Header value={quoteattr('Выделите сущности (' + schema.name + ')')}/>",
             f"  <Labels name={quoteattr(names.from_name)} toName={quoteattr(names.to_name)} showInline=\"true\">"]
    for name, colour, key in label_styles(schema):
        hotkey = f" hotkey={quoteattr(key)}" if key else ""
        lines.append(f"    <Label value={quoteattr(name)} background={quoteattr(colour)}{hotkey}/>")
    lines += ["  </Labels>",
              '  <View style="white-space: pre-wrap">',
              f"    <Text name={quoteattr(names.to_name)} value={quoteattr('$' + names.text_key)}/>",
              "  </View>",
              "</View>", ""]
    return "\n".join(lines)


def dump_labeling_config(schema: Schema, path: str | Path) -> Path:
    """Write the config where people can paste it into the UI by hand (``annotation/``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(format_labeling_config(schema), encoding="utf-8")
    return path


def config_names(xml: str, source: str = "labeling config") -> ConfigNames:
    """The first ``Labels`` tag's names and values, and the data key of the text it labels."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as e:
        raise UserError(f"{source}: not valid XML ({e})") from None
    texts = {t.get("name"): t.get("value", "") for t in root.iter() if t.tag in ("Text", "HyperText")}
    for tag in root.iter():
        if tag.tag in ("Labels", "HyperTextLabels") and tag.get("toName") in texts:
            to_name = tag.get("toName")
            key = texts[to_name].lstrip("$") or TEXT_KEY
            values = tuple(lab.get("value") for lab in tag.iter("Label") if lab.get("value"))
            return ConfigNames(tag.get("name"), to_name, key, values)
    raise UserError(f"{source}: no <Labels> tag over a <Text> tag; the project is not set up for NER "
                    f"(run: ner ls init --project NAME)")


def check_labels(documents, names: ConfigNames, where: str) -> None:
    """Refuse documents with labels the project's labeling config lacks (they would import as
    unlabelled highlights)."""
    if not names.labels:
        return
    used = {tag[2:] for doc in documents for sentence in doc.sentences for tag in sentence.tags if tag != "O"}
    missing = sorted(used - set(names.labels))
    if missing:
        raise UserError(f"{where}: its labeling config lacks the label(s) {', '.join(missing)} found in the input "
                        f"(it has {', '.join(names.labels)}); add them with ner ls init --labels FILE, or map "
                        f"them away first")
