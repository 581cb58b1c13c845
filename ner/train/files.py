"""What training writes to disk: the model directory (atomically) and the per-epoch checkpoint.

``write_model_dir`` fills a temporary sibling directory and renames it into
place, so a crash never leaves a half-written model; ``atomic_save`` does the
same for the checkpoint file in ``checkpoint_dir(out)`` (``.NAME.checkpoint/``).

Left out: what goes into the checkpoint (``loop.py`` decides).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .config import TrainConfig, dump_config

CHECKPOINT = "checkpoint.pt"


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

