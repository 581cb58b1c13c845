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
