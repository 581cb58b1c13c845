"""TrainConfig: TOML, flags over TOML, typos and wrong types as one clear line, saved beside the model."""

import json

import pytest

from ner.errors import UserError
from ner.train.config import TrainConfig, dump_config, load_config, parse_config, parse_map


def test_toml_top_level_and_train_table():
    assert parse_config('train = "a.conll"\nepochs = 3\nlr = 1\n').epochs == 3
    config = parse_config('[train]\ntrain = "a.conll"\nbackbone = "transformer"\nmodel = "x"\n')
    assert (config.train, config.backbone, config.lr) == ("a.conll", "transformer", 0.0)


def test_flags_override_and_none_means_not_given():
    config = parse_config('epochs = 3\nseed = 5\n').replace(epochs=7, seed=None)
    assert (config.epochs, config.seed) == (7, 5)


@pytest.mark.parametrize("text,message", [
    ("epoch = 3", "unknown key 'epoch'; did you mean 'epochs'?"),
    ("bakcbone = 'navec'", "unknown key 'bakcbone'; did you mean 'backbone'?"),
    ("epochs = 'ten'", "epochs must be int, not 'ten'"),
    ("bf16 = 1", "bf16 must be bool, not 1"),
    ("epochs = ", "not valid TOML"),
])
def test_config_mistakes(text, message):
    with pytest.raises(UserError, match=message):
        parse_config(text, "train.toml")


def test_saved_config_reads_back(tmp_path):
    config = TrainConfig(train="a.conll", map="Person=PER", epochs=2, bf16=False)
    dump_config(config, tmp_path)
    assert json.loads((tmp_path / "train_config.json").read_text())["map"] == "Person=PER"
    assert load_config(tmp_path / "train_config.toml") == config


def test_example_config_loads():
    from tests.conftest import ROOT

    config = load_config(ROOT / "configs" / "train.toml")
    assert config.backbone == "navec" and config.train


def test_parse_map_mistake():
    with pytest.raises(UserError, match="'Person' is not SOURCE=TARGET"):
        parse_map("Person,Org=ORG")
