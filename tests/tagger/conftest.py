"""The models the tagger tests use, trained here on the seed corpus (no hub, no mocks).

``model_dir``: a navec model trained on the seed until it fits it (dev = train), so the
tests can assert which entities it finds; about 20 s on two cores.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    import torch

    from ner.train import TrainConfig, train
    from tests.conftest import SEED

    torch.set_num_threads(1)  # shared cores: one thread trains this small model fastest
    out = tmp_path_factory.mktemp("tagger-navec") / "seed-fit"
    return train(TrainConfig(train=str(SEED), dev=str(SEED), out=str(out), epochs=30, patience=30, lr=2e-2,
                             hidden=64, seed=1, lexicon="none"))  # the model these tests were written against


@pytest.fixture(scope="session")
def tagger(model_dir):
    from ner.tagger.core import Tagger

    return Tagger.load(model_dir)


def relative_corpus_copy(model_dir, to):
    """A copy of ``model_dir`` whose training config names its corpus as a run in the repository root
    writes it: relative to that root (issue 18: calibration depended on the working directory)."""
    import shutil

    shutil.copytree(model_dir, to)
    config = to / "train_config.toml"
    lines = [line for line in config.read_text(encoding="utf-8").splitlines()
             if not line.startswith(("train =", "dev ="))]
    config.write_text("\n".join(['train = "corpora/ml_ru_seed.conll"', 'dev = "corpora/ml_ru_seed.conll"', *lines])
                      + "\n", encoding="utf-8")
    return to
