"""Several training processes: launcher variables, devices, sharding, and a real 2-process torchrun on CPU (gloo)."""

import json
import os
import subprocess
import sys

import pytest

from ner.errors import UserError
from ner.models import load_model
from ner.train.distributed import Processes, process_device, processes_from_env, shard
from tests.conftest import ROOT, SEED


@pytest.mark.parametrize("n", [0, 1, 2, 5, 13])
@pytest.mark.parametrize("world", [1, 2, 3])
def test_shard_gives_every_rank_as_many_items_and_covers_the_order(n, world):
    order = list(range(n))[::-1]
    parts = [shard(order, Processes(rank, world)) for rank in range(world)]
    size = -(-n // world)
    assert [len(p) for p in parts] == [size] * world  # same number of steps on every rank
    assert sorted(set().union(*parts)) == sorted(order)
    assert sum(len(p) for p in parts) - n == (-n) % world  # only the padding repeats
    if world == 1:
        assert parts[0] is order  # one process: the order itself, untouched


def test_shard_is_a_strided_split_of_the_padded_order():
    assert shard([7, 3, 9, 1, 4], Processes(0, 2)) == [7, 9, 4]
    assert shard([7, 3, 9, 1, 4], Processes(1, 2)) == [3, 1, 7]
    assert shard([7, 3, 9, 1, 4], Processes(2, 3)) == [9, 7]
    assert [shard([8, 6], Processes(r, 5)) for r in range(5)] == [[8], [6], [8], [6], [8]]  # more ranks than items


def test_processes_from_env():
    assert processes_from_env({}) == Processes(0, 1, 0)
    procs = processes_from_env({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"})
    assert procs == Processes(3, 4, 1) and procs.many and not procs.main
    assert not processes_from_env({"WORLD_SIZE": "1", "RANK": "0"}).many
    with pytest.raises(UserError, match=r"WORLD_SIZE='two' is not a number"):
        processes_from_env({"WORLD_SIZE": "two"})
    with pytest.raises(UserError, match=r"RANK=2 does not fit WORLD_SIZE=2"):
        processes_from_env({"WORLD_SIZE": "2", "RANK": "2"})


def test_process_device():
    one, second = Processes(0, 1, 0), Processes(1, 2, 1)
    assert process_device(one, "", False) == "cpu" and process_device(one, "", True) == "cuda"
    assert process_device(one, "cuda:1", True) == "cuda:1"
    assert process_device(second, "", True) == "cuda:1"  # each process takes the GPU of its local rank
    assert process_device(second, "cuda", True) == "cuda:1"
    assert process_device(second, "cpu", True) == "cpu" and process_device(second, "", False) == "cpu"
    with pytest.raises(UserError, match="CUDA_VISIBLE_DEVICES"):
        process_device(second, "cuda:0", True)
    with pytest.raises(UserError, match="no GPU is visible"):
        process_device(second, "cuda", False)


def test_resume_refuses_another_number_of_processes(tmp_path):
    import torch

    from ner.train.config import TrainConfig
    from ner.train.entry import train

    def interrupt(line):
        if line.startswith("epoch 1/") and ": loss" in line:  # the end of epoch 1, not a line within it
            raise KeyboardInterrupt

    config = TrainConfig(train=str(SEED), out=str(tmp_path / "m"), epochs=2, hidden=16, seed=3)
    with pytest.raises(KeyboardInterrupt):
        train(config, progress=interrupt, progress_seconds=0)
    ckpt = tmp_path / ".m.checkpoint" / "checkpoint.pt"
    state = torch.load(ckpt, weights_only=False)
    assert "world_size" not in state  # a single-process checkpoint is as before
    torch.save(state | {"world_size": 2}, ckpt)
    with pytest.raises(UserError, match=r"written by a run of 2 process\(es\), this one has 1; launch as many"):
        train(config, resume=True)


def _first_sentences(path, n: int) -> str:
    blocks = [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip() and "-DOCSTART-" not in b]
    return "\n\n".join(blocks[:n]) + "\n"


@pytest.mark.slow
def test_torchrun_two_cpu_processes_train_one_model(tiny_bert_dir, tmp_path):
    from ner.train.config import TrainConfig
    from ner.train.loop import prepare_data
    from ner.models.transformer import TransformerNet

    corpus = tmp_path / "train.conll"
    corpus.write_text(_first_sentences(ROOT / "corpora" / "ml_ru_written.conll", 30), encoding="utf-8")
    out = tmp_path / "models" / "ddp"
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_PORT")}
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
           "-m", "ner.cli", "train", "--train", str(corpus), "--dev", str(SEED), "--backbone", "transformer",
           "--base-model", str(tiny_bert_dir), "--out", str(out), "--epochs", "1", "--window", "16", "--stride", "4",
           "--batch-size", "4", "--lr", "0.001", "--device", "cpu", "--seed", "5"]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == str(out)  # rank 0 alone prints the path
    assert [p.name for p in out.parent.iterdir()] == ["ddp"]  # one model, no temp or checkpoint left

    # the windows a single process would train on, split in two equal shards that cover them all
    config = TrainConfig(train=str(corpus), dev=str(SEED), backbone="transformer", base_model=str(tiny_bert_dir))
    labels, train_sents, _, _ = prepare_data(config)
    tags = ["O"] + [f"{p}-{label}" for label in labels for p in "BI"]
    n = len(TransformerNet.create(str(tiny_bert_dir), tags, 16, 4).examples(train_sents))
    assert len(train_sents) == 30 and n > 30
    half = -(-n // 2)
    log = (out / "train.log").read_text(encoding="utf-8").splitlines()
    assert f"2 processes (gloo), {half} windows and {-(-half // 4)} steps per process and epoch" in log[0]
    assert log[1] == f"epoch 1 shards: {half} + {half} windows over 2 processes, {n} distinct of {n}"
    assert log[2].startswith("epoch 1/1: loss ")
    assert run.stderr.count("epoch 1/1: loss ") == 1 and run.stderr.count(f"wrote {out}") == 1

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["processes"] == 2 and len(metrics["history"]) == 1 and metrics["train_sentences"] == 30
    model = load_model(out)
    preds = model.predict([["Модель", "ruBERT", "дообучили", "на", "Alpaca", "."] * 10, ["Ёлка"]])
    assert [len(p.tags) for p in preds] == [60, 1]
