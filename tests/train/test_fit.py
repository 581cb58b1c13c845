"""``ner.train.fit``: training on records is training on the file that holds them, and writes no corpus."""

import pytest

from ner.errors import UserError
from ner.records import Sentence
from ner.train import TrainConfig, fit, train
from ner.train.prepare import prepare_data
from tests.conftest import SEED


def _config(tmp_path, **kw):
    return TrainConfig(train=str(SEED), out=str(tmp_path / "by-file"), epochs=1, hidden=8, seed=5, morph=False,
                       lexicon="none", map="Model=Model,Dataset=Dataset", **kw)


def _weights(directory):
    import torch

    return torch.load(directory / "model.pt", map_location="cpu", weights_only=False)


def test_fit_on_the_records_gives_the_weights_of_train_on_their_file(tmp_path):
    import torch

    config = _config(tmp_path)
    labels, train_sents, dev_sents, _ = prepare_data(config)
    by_file = train(config)
    work = tmp_path / "records"
    work.mkdir()
    by_records = fit(list(train_sents), list(dev_sents), labels, config, work / "model")
    a, b = _weights(by_file), _weights(by_records)
    state_a, state_b = (x.get("state_dict", x) if isinstance(x, dict) else x for x in (a, b))
    assert state_a.keys() == state_b.keys()
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a if isinstance(state_a[k], torch.Tensor))
    assert sorted(p.name for p in work.iterdir()) == ["model"]  # no corpus or labels file written beside it


def test_fit_without_dev_holds_out_the_configured_share(tmp_path):
    import json

    config = _config(tmp_path, dev_fraction=0.25)
    labels, train_sents, dev_sents, _ = prepare_data(config)
    sentences = list(train_sents) + list(dev_sents)
    out = fit(sentences, None, labels, config, tmp_path / "held")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["dev_sentences"] == round(len(sentences) * 0.25)
    assert metrics["train_sentences"] + metrics["dev_sentences"] == len(sentences)
    assert "no dev corpus:" in (out / "train.log").read_text(encoding="utf-8")
    # the threshold it carries is the one calibration finds for the loaded model on that dev share
    from ner.models import load_model
    from ner.train.calibrate import calibrate, min_score_for
    from ner.train.prepare import hold_out

    _, dev = hold_out(sentences, 0.25, config.seed)
    assert metrics["calibration"] == {"min_score": min_score_for(load_model(out), dev),
                                      "dev": f"{len(dev)} sentences held out of {SEED} (seed 5)"}
    assert calibrate(out).min_score == metrics["calibration"]["min_score"]


def test_fit_refuses_a_label_outside_its_labels_before_training(tmp_path):
    sentences = [Sentence(("Яндекс", "выложил", "YaLM"), ("B-Organization", "O", "B-Model"))] * 4
    with pytest.raises(UserError, match=r"training sentence 1 \(Яндекс выложил YaLM\.\.\.\): label\(s\) "
                                        r"Organization not among the labels trained \(Model\)"):
        fit(sentences, sentences[:1], ["Model"], TrainConfig(epochs=1), tmp_path / "m")
    assert not (tmp_path / "m").exists()
