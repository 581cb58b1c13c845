"""What training writes to disk: the model directory (atomically) and the per-epoch checkpoint.

``write_model_dir`` fills a temporary sibling directory and renames it into
place, so a crash never leaves a half-written model; ``atomic_save`` does the
same for the checkpoint file in ``checkpoint_dir(out)`` (``.NAME.checkpoint/``).

``read_checkpoint`` loads it for ``--resume``, refusing one of another configuration.

Left out: what goes into the checkpoint (``loop.py`` decides).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import UserError
from .config import TrainConfig, dump_config

CHECKPOINT = "checkpoint.pt"

# Settings newer than some checkpoints, with the value that reproduces a run made before them.
PREDATES = {"morph": False, "augment": 0.0, "o_bias": 0.0, "natasha": False, "lexicon_dropout": -1.0,
            "lexicon_span_dropout": 0.0, "lexicon_boost": 0.0, "lexicon_parts": False}


def checkpoint_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.checkpoint"


def atomic_save(obj, path: Path) -> None:
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def write_model_dir(net, config: TrainConfig, labels, metrics: dict, log_lines, out: Path) -> None:
    """Write the whole directory to a temporary sibling, then rename it into place."""
    from .card import format_card

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    net.save(tmp, config.model_name, labels)
    dump_config(config, tmp)
    (tmp / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    (tmp / "train.log").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
    (tmp / "README.md").write_text(format_card(config, labels, metrics), encoding="utf-8")
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.rename(out, old)
    os.rename(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_checkpoint(out: Path, config: TrainConfig, tags, world: int) -> dict:
    """The interrupted run's checkpoint of ``out``; a ``UserError`` when there is none, or when it was made
    with other settings, labels or another number of processes."""
    import torch

    ckpt = checkpoint_dir(out) / CHECKPOINT
    if not ckpt.exists():
        raise UserError(f"--resume: no interrupted run of {out} to continue ({ckpt} is missing)")
    state = torch.load(ckpt, map_location="cpu", weights_only=False)  # RNG states must stay on the CPU
    saved = {**PREDATES, **state["config"]}  # settings added since: what a run without them did
    now = config.as_dict() | {"epochs": saved["epochs"]}
    if state["tags"] != tags or saved != now:
        changed = ", ".join(f"{k} {saved.get(k)!r} -> {now.get(k)!r}" for k in sorted(set(saved) | set(now))
                            if saved.get(k) != now.get(k)) or "the labels"
        raise UserError(f"--resume: {ckpt} was made with another configuration ({changed}); "
                        f"train from scratch or pass the original settings")
    if state.get("world_size", 1) != world:
        raise UserError(f"--resume: {ckpt} was written by a run of {state.get('world_size', 1)} process(es), "
                        f"this one has {world}; launch as many to continue it")
    return state
