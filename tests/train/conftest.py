"""One torch thread for the training tests: on shared cores, more threads are far slower."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    import torch

    torch.set_num_threads(1)
