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


def test_example_config_says_the_dataclass_defaults():
    import dataclasses
    import tomllib

    from tests.conftest import ROOT

    path = ROOT / "configs" / "train.toml"
    config = load_config(path)
    assert config.backbone == "navec" and config.train
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(written) == {f.name for f in dataclasses.fields(TrainConfig)}  # every setting, spelled out
    run_specific = {"train", "out"}
    assert {k: v for k, v in written.items() if k not in run_specific} == \
        {k: v for k, v in dataclasses.asdict(TrainConfig()).items() if k not in run_specific}


def test_no_flags_give_the_dataclass_defaults_and_help_shows_them():
    from ner.cli import build_parser
    from ner.commands import config_from_args

    parser = build_parser()
    config, notes = config_from_args(parser.parse_args(["train"]))
    assert config == TrainConfig() and notes == []
    assert (config.epochs, config.patience, config.batch_size) == (30, 6, 32)  # factRuEval: ties natasha
    config, _ = config_from_args(parser.parse_args(
        ["train", "--hidden", "64", "--dropout", "0.2", "--layers", "2", "--word-dropout", "0", "--warmup", "0.05",
         "--weight-decay", "0", "--dev-fraction", "0.2", "--no-bf16", "--keep", "Model", "--base-model", "x"]))
    assert (config.hidden, config.dropout, config.layers, config.word_dropout, config.warmup, config.weight_decay,
            config.dev_fraction, config.bf16, config.keep, config.base_model) == \
        (64, 0.2, 2, 0.0, 0.05, 0.0, 0.2, False, "Model", "x")
    train = next(a for a in parser._subparsers._group_actions[0].choices["train"]._actions if a.dest == "hidden")
    assert "(default: 128)" in train.help


def test_old_model_key_is_read_as_base_model_with_a_note(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text('backbone = "transformer"\nmodel = "DeepPavlov/rubert-base-cased"\n', encoding="utf-8")
    notes = []
    config = load_config(path, notes)
    assert config.base_model == "DeepPavlov/rubert-base-cased"
    assert notes == [f"{path}: the key 'model' is now 'base_model' (a trained model directory is --model "
                     f"elsewhere); rename it, the old name will stop working"]
    assert TrainConfig().replace(model="y").base_model == "y"


def test_parse_map_mistake():
    with pytest.raises(UserError, match="'Person' is not SOURCE=TARGET"):
        parse_map("Person,Org=ORG")


def test_train_refuses_a_map_label_the_corpus_lacks_before_building_anything(tmp_path, capsys):
    from ner.cli import main
    from tests.conftest import SEED

    assert main(["train", "--train", str(SEED), "--map", "Modle=MODEL", "--out", str(tmp_path / "m")]) == 2
    assert capsys.readouterr().err == (f"ner train: error: --map/--keep: label 'Modle' never occurs in {SEED}; "
                                       f"did you mean 'Model'? labels there: Activity, Application, Dataset, Date, "
                                       f"Method_ML, Model, Organization, Task\n")
    assert not (tmp_path / "m").exists()


def test_keep_needs_no_identity_pairs_and_map_mistakes_name_the_flag():
    from ner.corpus import label_mapping
    from ner.train.prepare import prepare_data
    from tests.conftest import SEED

    labels, train_s, dev_s, _ = prepare_data(TrainConfig(train=str(SEED), keep="Model,Dataset", labels="auto"))
    assert labels == ["Dataset", "Model"]
    assert {t[2:] for s in train_s + dev_s for t in s.tags if t != "O"} == {"Dataset", "Model"}
    assert label_mapping("Person=PER", "Date") == {"Person": "PER", "Date": "Date"}
    with pytest.raises(UserError, match="--keep: 'A=B': give label names only"):
        label_mapping("", "A=B")


@pytest.mark.parametrize("name, body, where", [
    ("x.jsonl", '{"tokens": ["a"], "tags": ["O"]}\n{"tokens": ["b", "c"], "tags": ["O", "B-Foo"]}\n', "x.jsonl:2: token #2"),
    ("x.conll", "a O\n\nb O\nc B-Foo\n", "x.conll:4"),
])
def test_a_label_outside_the_schema_after_mapping_names_its_line(tmp_path, name, body, where):
    from ner.corpus import read_split
    from ner.schema import Schema

    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(UserError) as e:
        read_split(str(path), Schema.auto(["Bar"]), {"Foo": "Baz"})
    assert str(e.value).startswith(f"{tmp_path / where}: label 'Baz' is not in the schema (Bar)")


def test_training_corpora_are_read_by_extension(tmp_path):
    from ner.formats.conll import read_conll
    from ner.formats.registry import dump
    from ner.train.prepare import prepare_data
    from tests.conftest import SEED

    for name in ("seed.jsonl", "seed.csv"):
        dump(read_conll(SEED), tmp_path / name)
        labels, train_s, dev_s, _ = prepare_data(TrainConfig(train=str(tmp_path / name), labels="auto"))
        assert len(train_s) + len(dev_s) == 14 and "Model" in labels


@pytest.mark.parametrize("flags, message", [
    (["--hidden", "0"], "--hidden 0: must be at least 1"),
    (["--layers", "0"], "--layers 0: must be at least 1"),
    (["--dropout", "1.5"], "--dropout 1.5: must be at least 0 and below 1"),
    (["--dropout", "-0.5"], "--dropout -0.5: must be at least 0 and below 1"),
    (["--word-dropout", "-0.1"], "--word-dropout -0.1: must be at least 0 and below 1"),
    (["--warmup", "1"], "--warmup 1.0: must be at least 0 and below 1"),
    (["--lr", "-1"], "--lr -1.0: must be 0 or more"),
    (["--window", "-3"], "--window -3 --stride -1: give a window of 1 or more"),
    (["--window", "10"], "--stride 64 (the default) must be smaller than --window 10; pass --stride below 10"),
    (["--window", "5", "--stride", "5"], "--stride 5 must be smaller than --window 5"),
])
def test_out_of_range_settings_are_one_line_before_anything_is_built(tmp_path, capsys, flags, message):
    """The settings that only the config had (hidden, dropout, layers, ...) are flags now: a value the
    model cannot take is refused naming the flag, not a ValueError from torch or the window planner."""
    from ner.cli import main
    from tests.conftest import SEED

    assert main(["train", "--train", str(SEED), "--out", str(tmp_path / "m"), "--epochs", "1", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ner train: error: {message}") and err.count("\n") == 1
    assert not (tmp_path / "m").exists()


def test_threads_is_a_setting_with_a_flag_and_reaches_the_loop(tmp_path):
    """--threads N (config key threads) sets torch's CPU threads; 0 keeps the default rule."""
    from ner.cli import build_parser
    from ner.train.entry import train_threads

    args = build_parser().parse_args(["train", "--train", "x.conll", "--threads", "3"])
    assert args.threads == 3
    assert train_threads(TrainConfig(threads=3), environ={}) == (3, "torch threads: 3")
    assert train_threads(TrainConfig(), environ={})[0] == 1
    assert train_threads(TrainConfig(), environ={"OMP_NUM_THREADS": "2"})[0] is None
    with pytest.raises(UserError, match=r"--threads -1: must be 0 or more"):
        TrainConfig(train="x.conll", threads=-1).validate()
