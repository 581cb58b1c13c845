"""The label schema: TOML tables or one name per line, and the mistakes a user makes in either."""

from __future__ import annotations

import pytest

from ner.errors import UserError
from ner.schema import load_schema, parse_schema


def test_names_one_per_line():
    assert parse_schema("# ours\nModel\n\nDataset\n", "labels.txt").names == ("Model", "Dataset")


def test_toml_tables():
    schema = parse_schema('name = "ml"\n[[labels]]\nname = "Model"\ncolor = "#fff"\n', "labels.toml")
    assert schema.names == ("Model",) and schema.labels[0].color == "#fff"


@pytest.mark.parametrize("text", [
    '[[label]]\nname = "Model"\n',          # the table's name mistyped
    'name = "ml"\nlabel = ["Model"]\n',     # keys, but no [[labels]] tables
])
def test_toml_without_labels_tables_is_refused_not_read_as_names(text):
    with pytest.raises(UserError, match=r"labels\.toml: no \[\[labels\]\] tables"):
        parse_schema(text, "labels.toml")
    with pytest.raises(UserError, match=r"no \[\[labels\]\] tables"):
        parse_schema(text, "labels.txt")  # the content says TOML whatever the name


def test_unreadable_file_names_the_path(tmp_path):
    with pytest.raises(UserError, match=r"missing\.toml: cannot read the label schema"):
        load_schema(tmp_path / "missing.toml")
