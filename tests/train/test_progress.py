"""What training says while it runs: lines within an epoch, its thread count, and no "(best)" for a tie at zero."""

import pytest

from ner.formats.conll import read_conll, write_conll
from ner.records import Document, Sentence
from ner.train.config import TrainConfig
from ner.train.entry import train
from ner.train.entry import train_threads
from tests.conftest import SEED

torch = pytest.importorskip("torch")


def _config(tmp_path, **kw):
    return TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=2, patience=9, hidden=16, seed=3,
                       batch_size=2, **kw)


def test_progress_within_an_epoch(tmp_path):
    lines = []
    train(_config(tmp_path), progress=lines.append, progress_seconds=0)
    inner = [line for line in lines if ": batch " in line]
    # 13 training sentences... a held-out share is dev; batches of 2: several lines per epoch
    assert inner and inner[0].startswith("epoch 1/2: batch 1/") and "running loss" in inner[0]
    assert lines.index(inner[0]) < next(i for i, line in enumerate(lines) if line.startswith("epoch 1/2: loss"))
    n = int(inner[0].split("batch 1/")[1].split(",")[0])
    assert [line.split(",")[0] for line in inner if line.startswith("epoch 2/2")] == \
        [f"epoch 2/2: batch {k}/{n}" for k in range(1, n)]  # every batch but the last (the epoch line follows)
    log = (tmp_path / "m" / "train.log").read_text()
    assert ": batch " not in log  # the log keeps one line per epoch


def test_one_thread_by_default_and_restored_after(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    seen = []
    torch.set_num_threads(2)
    try:
        lines = []
        train(_config(tmp_path), progress=lambda line: (seen.append(torch.get_num_threads()), lines.append(line)))
        assert set(seen) == {1}
        assert torch.get_num_threads() == 2
        assert any("device cpu (torch threads: 1 (the default on shared cores" in line for line in lines)
    finally:
        torch.set_num_threads(1)


def test_threads_the_user_chose_are_kept():
    config = TrainConfig(train=str(SEED))
    assert train_threads(config, environ={})[0] == 1
    assert train_threads(config, environ={"OMP_NUM_THREADS": "4"})[0] is None
    assert train_threads(config, 3, environ={"OMP_NUM_THREADS": "4"})[0] == 3


def test_a_tie_at_zero_is_not_called_best(tmp_path):
    dev = tmp_path / "dev.conll"
    plain = [Sentence(s.words, ("O",) * len(s.words)) for d in read_conll(SEED) for s in d.sentences][:4]
    write_conll([Document("dev", tuple(plain))], dev)
    lines = []
    train(_config(tmp_path, dev=str(dev)), progress=lines.append)
    epochs = [line for line in lines if line.startswith("epoch ") and ": loss" in line]
    assert len(epochs) == 2 and all("dev F1 0.0000" in line for line in epochs)
    assert not any("(best)" in line for line in lines)
    assert "(best dev loss)" in epochs[0]
