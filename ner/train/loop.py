"""The training loop shared by both backbones, and the model directory it writes.

``train(config, progress=print_to_stderr)`` checks the input (``prepare.py``),
builds the backbone, trains with a seeded data order, evaluates on dev after
every epoch (strict seqeval micro F1), keeps the best weights, stops early
after ``patience`` epochs without improvement, and writes the model directory
atomically: everything goes to a temporary sibling directory first, which is
renamed into place at the end (a crash never leaves a half-written model).

After every epoch a checkpoint (weights, optimizer, epoch, best weights, random
states) is written atomically to ``.NAME.checkpoint/`` beside the output;
``resume=True`` continues from it. A GPU is used when present, with bfloat16
autocast where supported. The library never prints: progress goes to the
``progress`` callback (the CLI sends it to stderr) and into ``train.log``.

Multi-GPU training is not run here: launch the same command with
``torchrun --nproc_per_node N -m ner train ...`` only after adding a
DistributedSampler (left out).
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import time
from pathlib import Path
from typing import Callable

from ..errors import UserError
from .config import TrainConfig, dump_config, parse_map
from .prepare import hold_out, labels_of, read_split, resolve_schema

CHECKPOINT = "checkpoint.pt"


def _seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _device(config: TrainConfig) -> str:
    import torch

    if config.device:
        if config.device.startswith("cuda") and not torch.cuda.is_available():
            raise UserError(f"device {config.device!r} asked for but no GPU is visible; use --device cpu")
        return config.device
    return "cuda" if torch.cuda.is_available() else "cpu"


def _checkpoint_dir(out: Path) -> Path:
    return out.parent / f".{out.name}.checkpoint"


def _atomic_save(obj, path: Path) -> None:
    import torch

    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def prepare_data(config: TrainConfig):
    """(schema labels, train split, dev sentences, notes) with every input problem raised as UserError."""
    mapping = parse_map(config.map) if config.map else None
    schema = resolve_schema(config.labels, mapping)
    train_split = read_split(config.train, schema, mapping)
    notes = []
    if train_split.unmapped:
        notes.append(f"{config.train}: {train_split.unmapped} entities with labels --map does not name became O")
    if config.dev:
        dev_split = read_split(config.dev, schema, mapping)
        if dev_split.unmapped:
            notes.append(f"{config.dev}: {dev_split.unmapped} entities with labels --map does not name became O")
        train_sents, dev_sents = train_split.sentences, dev_split.sentences
    else:
        train_sents, dev_sents = hold_out(train_split.sentences, config.dev_fraction, config.seed)
        notes.append(f"no dev corpus: {len(dev_sents)} of {len(train_split.sentences)} training sentences held out")
    labels = list(schema.names) if schema is not None else labels_of(train_sents)
    if not labels:
        raise UserError(f"{config.train}: no entities at all; nothing to learn")
    return labels, train_sents, dev_sents, notes


def build_net(config: TrainConfig, tags, train_sents, device):
    if config.backbone == "navec":
        from .navec import NavecNet

        return NavecNet(tags, NavecNet.chars_of(train_sents), {"hidden": config.hidden, "dropout": config.dropout,
                                                       "layers": config.layers, "word_dropout": config.word_dropout},
                        config.window, config.stride, device=device)
    from .transformer import TransformerNet

    return TransformerNet.create(config.model, tags, config.window, config.stride, device=device)


def dev_loss(net, examples, batch_size: int) -> float:
    """Mean loss on dev windows (eval mode): the tie-breaker when dev F1 does not move."""
    import torch

    was_training = net.module.training
    net.module.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(examples), batch_size):
            batch = examples[i : i + batch_size]
            total += net.loss(batch).item() * len(batch)
    net.module.train(was_training)
    return total / max(1, len(examples))


def evaluate_net(net, sentences):
    from ..evaluate import score

    preds = net.predict([s.words for s in sentences])
    return score([s.tags for s in sentences], [p.tags for p in preds]), preds


def train(config: TrainConfig, progress: Callable[[str], None] = lambda line: None, resume: bool = False) -> Path:
    """Train a model as ``config`` says and write its directory; returns the directory."""
    import torch

    config.validate()
    out = Path(config.out)
    log_lines: list[str] = []

    def log(line: str) -> None:
        log_lines.append(line)
        progress(line)

    labels, train_sents, dev_sents, notes = prepare_data(config)
    for note in notes:
        log(note)
    tags = ["O"] + [f"{p}-{label}" for label in labels for p in "BI"]
    device = _device(config)
    _seed(config.seed)
    net = build_net(config, tags, train_sents, device)
    examples = net.examples(train_sents)
    dev_examples = net.examples(dev_sents)
    if not any(t != "O" for s in dev_sents for t in s.tags):
        log("dev has no entities: its F1 stays 0, so early stopping follows the dev loss")
    lr = config.lr or net.default_lr
    decay, no_decay = [], []
    for name, param in net.module.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 or "norm" in name.lower() else decay).append(param)
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    steps_per_epoch = (len(examples) + config.batch_size - 1) // config.batch_size
    total = steps_per_epoch * config.epochs
    warmup = int(total * config.warmup) if net.backbone == "transformer" else 0

    def schedule(step: int) -> float:
        if net.backbone != "transformer":
            return 1.0
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    use_bf16 = device.startswith("cuda") and config.bf16 and torch.cuda.is_bf16_supported()
    ckpt_dir = _checkpoint_dir(out)
    start_epoch, best_f1, best_loss, best_epoch, bad, history = 1, -1.0, float("inf"), 0, 0, []
    best_state = None
    if resume:
        ckpt = ckpt_dir / CHECKPOINT
        if not ckpt.exists():
            raise UserError(f"--resume: no interrupted run of {out} to continue ({ckpt} is missing)")
        state = torch.load(ckpt, map_location=device, weights_only=False)
        if state["tags"] != tags or state["config"] != config.as_dict() | {"epochs": state["config"]["epochs"]}:
            raise UserError(f"--resume: {ckpt} was made with another configuration or labels; "
                            f"train from scratch or restore the original config")
        net.module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best_f1, best_epoch, bad = state["epoch"] + 1, state["best_f1"], state["best_epoch"], state["bad"]
        best_loss = state["best_loss"]
        best_state, history = state["best_state"], state["history"]
        torch.set_rng_state(state["torch_rng"])
        log(f"resumed after epoch {state['epoch']} (best dev F1 {best_f1:.4f} at epoch {best_epoch})")
    log(f"training {net.backbone} on {len(train_sents)} sentences ({len(examples)} windows), "
        f"dev {len(dev_sents)} sentences, labels {', '.join(labels)}, device {device}"
        + (" bf16" if use_bf16 else ""))
    started = time.monotonic()
    epoch = start_epoch - 1
    for epoch in range(start_epoch, config.epochs + 1):
        if bad >= config.patience:
            break
        t0 = time.monotonic()
        order = list(range(len(examples)))
        random.Random(config.seed * 1000 + epoch).shuffle(order)
        net.module.train()
        total_loss = 0.0
        for i in range(0, len(order), config.batch_size):
            batch = [examples[j] for j in order[i : i + config.batch_size]]
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_bf16):
                loss = net.loss(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.module.parameters(), 5.0)
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(batch)
        ev, _ = evaluate_net(net, dev_sents)
        f1 = ev.micro.f1
        loss_dev = dev_loss(net, dev_examples, config.batch_size)
        improved = f1 > best_f1 or (f1 == best_f1 and loss_dev < best_loss)
        if improved:
            best_f1, best_loss, best_epoch, bad = f1, loss_dev, epoch, 0
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in net.module.state_dict().items()})
        else:
            bad += 1
        history.append({"epoch": epoch, "loss": total_loss / max(1, len(examples)), "dev_loss": loss_dev,
                        "dev_f1": f1, "seconds": round(time.monotonic() - t0, 2)})
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        _atomic_save({"model": net.module.state_dict(), "optimizer": optimizer.state_dict(),
                      "scheduler": scheduler.state_dict(), "epoch": epoch, "best_f1": best_f1, "best_loss": best_loss,
                      "best_epoch": best_epoch, "bad": bad, "best_state": best_state, "history": history,
                      "torch_rng": torch.get_rng_state(), "tags": tags, "config": config.as_dict()},
                     ckpt_dir / CHECKPOINT)
        log(f"epoch {epoch}/{config.epochs}: loss {history[-1]['loss']:.4f}, dev loss {loss_dev:.4f}, "
            f"dev F1 {f1:.4f}"
            f"{' (best)' if improved else ''}, {history[-1]['seconds']:.1f}s")
        if bad >= config.patience:
            log(f"early stop: no better dev F1 (or, on a tie, dev loss) for {bad} epochs")
            break
        if config.max_minutes and time.monotonic() - started > config.max_minutes * 60:
            log(f"stopping: past the {config.max_minutes} minute budget")
            break
    if best_state is not None:
        net.module.load_state_dict(best_state)
    ev, preds = evaluate_net(net, dev_sents)
    log(f"best epoch {best_epoch}: dev micro F1 {ev.micro.f1:.4f}")
    metrics = {"dev": ev.as_dict(), "best_epoch": best_epoch, "history": history,
               "train_sentences": len(train_sents), "dev_sentences": len(dev_sents),
               "train_seconds": round(sum(h["seconds"] for h in history), 1)}
    write_model_dir(net, config, labels, metrics, log_lines, out)
    shutil.rmtree(ckpt_dir, ignore_errors=True)
    progress(f"wrote {out}")
    return out


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
