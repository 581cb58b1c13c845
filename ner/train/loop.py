"""The training loop shared by both backbones.

``_train`` (called by ``entry.py``'s ``fit``, on sentences already checked)
builds the backbone, trains with a seeded data order, evaluates on dev after
every epoch (strict seqeval micro F1), keeps the best weights, stops early
after ``patience`` epochs without improvement, and writes the model directory
atomically (``files.py``: a crash never leaves a half-written model).

After every epoch a checkpoint (weights, optimizer, epoch, best weights, random
states) is written atomically to ``.NAME.checkpoint/`` beside the output;
``resume=True`` continues from it. A GPU is used when present, with bfloat16
autocast where supported. The library never prints: progress goes to the
``progress`` callback (the CLI sends it to stderr) and into ``train.log``; within an
epoch a line every ``PROGRESS_SECONDS`` (batch k/n, running loss) goes to the callback
only. On the CPU torch trains on one thread unless ``threads`` or ``OMP_NUM_THREADS``
says otherwise (``entry.train_threads``). "(best)" marks a better dev F1; a tie kept for a
lower dev loss (an F1 of zero included) reads "(best dev loss)".

Launched by ``torchrun`` or ``accelerate launch`` (several processes), each
process trains its shard of every epoch's seeded order in DistributedDataParallel,
dev evaluation is split over the processes and gathered so all take the same
early-stopping decision, and only rank 0 reports, checkpoints and writes the
model directory (``distributed.py``; docs/training.md).
"""

from __future__ import annotations

import copy
import random
import shutil
import time
from pathlib import Path

from .calibrate import CALIBRATION_KEY, dev_description, span_threshold
from . import distributed
from .config import TrainConfig
from .distributed import Processes
from .files import CHECKPOINT, atomic_save, checkpoint_dir, read_checkpoint, write_model_dir
from ..models.base import plain_decoding
from .prepare import prepare_data  # noqa: F401  (read, check, map, hold out: before any model is built)


def _seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _morph_dim(config: TrainConfig) -> int:
    from ..models.navec import MORPH_DIM

    return MORPH_DIM if getattr(config, "morph", False) else 0  # pymorphy3's presence: TrainConfig.validate


def _extra_hparams(config: TrainConfig) -> dict:
    """Hparams set only when asked for, else the backbone's own defaults: dropout (each backbone has its own,
    since a CNN trained at the BiLSTM's rate scored lower; bench/NOTES.md), the lexicon's dropouts and boost,
    natasha's tags."""
    from ..models.navec import NATASHA_DIM

    hp = {"dropout": config.dropout} if config.dropout >= 0 else {}
    if getattr(config, "lexicon_dropout", -1.0) >= 0:
        hp["lexicon_dropout"] = config.lexicon_dropout
    for key in ("lexicon_span_dropout", "lexicon_boost"):
        if getattr(config, key, 0.0):
            hp[key] = getattr(config, key)
    if getattr(config, "natasha", False) and config.backbone == "navec":
        hp["natasha_dim"] = NATASHA_DIM
    return hp


def _lexicon_note(net) -> str:
    lexicon = getattr(net, "lexicon", None)
    if lexicon is None:
        return ""
    return f", lexicon {lexicon.version}" + (" with its words (--lexicon-parts)" if lexicon.parts else "")


def build_net(config: TrainConfig, tags, train_sents, device):
    if config.backbone == "navec-cnn":
        from ..models.cnn import CNNNet

        hp = {**_extra_hparams(config), "word_dropout": config.word_dropout, "morph_dim": _morph_dim(config),
              "o_bias": config.o_bias}
        net = CNNNet(tags, CNNNet.chars_of(train_sents), hp, config.window, config.stride, device=device)
        net.fill_morph()
        return net
    if config.backbone == "navec":
        from ..models.lexfeatures import resolve_lexicon
        from ..models.navec import NavecNet

        lexicon = resolve_lexicon(getattr(config, "lexicon", ""), config.backbone, [t[2:] for t in tags if t != "O"],
                                  getattr(config, "lexicon_parts", False))
        hp = {"hidden": config.hidden, **_extra_hparams(config), "layers": config.layers,
              "word_dropout": config.word_dropout, "morph_dim": _morph_dim(config), "o_bias": config.o_bias}
        net = NavecNet(tags, NavecNet.chars_of(train_sents), hp, config.window, config.stride, device=device,
                       lexicon=lexicon)
        net.fill_morph()
        return net
    from ..models.transformer import TransformerNet

    net = TransformerNet.create(config.model, tags, config.window, config.stride, device=device)
    if getattr(config, "lora", 0):
        from .lora import with_lora

        net = with_lora(net, config.lora)
    return net


def dev_loss(net, examples, batch_size: int, procs: Processes = Processes()) -> float:
    """Mean loss on dev windows (eval mode): the tie-breaker when dev F1 does not move.

    With several processes each takes every ``world``-th window and the sums are added up.
    """
    import torch

    mine = examples[procs.rank :: procs.world] if procs.many else examples
    was_training = net.module.training
    net.module.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(mine), batch_size):
            batch = mine[i : i + batch_size]
            total += net.loss(batch).item() * len(batch)
    net.module.train(was_training)
    total = distributed.sum_all([total], procs, net.device)[0]
    return total / max(1, len(examples))


def evaluate_net(net, sentences, procs: Processes = Processes()):
    """Strict seqeval scores on ``sentences``; several processes each predict every ``world``-th one."""
    from ..evaluate import score

    if procs.many:
        parts = distributed.gather(net.predict([s.words for s in sentences[procs.rank :: procs.world]]), procs)
        preds = [None] * len(sentences)
        for rank, part in enumerate(parts):
            preds[rank :: procs.world] = part
    else:
        preds = net.predict([s.words for s in sentences])
    return score([s.tags for s in sentences], [p.tags for p in preds]), preds


PROGRESS_SECONDS = 10.0  # within an epoch, a progress line at most this often


def _rng_state(device: str) -> dict:
    import torch

    return {"torch": torch.get_rng_state(), "python": random.getstate(),  # random: the lexicon's span dropout
            "cuda": torch.cuda.get_rng_state(device) if device.startswith("cuda") else None}


def _train(config, progress, resume, procs: Processes, device: str, labels, train_sents, dev_sents, notes,
           progress_seconds: float = PROGRESS_SECONDS, threads_note: str = "",
           make_net=None) -> Path:
    import torch

    out = Path(config.out)
    log_lines: list[str] = []

    def log(line: str) -> None:
        log_lines.append(line)
        progress(line)

    for note in notes:
        log(note)
    tags = ["O"] + [f"{p}-{label}" for label in labels for p in "BI"]
    _seed(config.seed)
    net = (make_net or build_net)(config, tags, train_sents, device)  # make_net: distill.py's student
    examples = net.examples(train_sents)
    dev_examples = net.examples(dev_sents)
    augmenter = None
    if getattr(config, "augment", 0.0):  # mention replacement, new names every epoch (augment.py)
        from .augment import Augmenter

        augmenter = Augmenter(train_sents, config.augment, config.seed)
    if procs.many:
        torch.manual_seed(config.seed + procs.rank)  # same initial weights, different dropout per process
    if not any(t != "O" for s in dev_sents for t in s.tags):
        log("dev has no entities: its F1 stays 0, so early stopping follows the dev loss")
    lr = config.lr or net.default_lr
    decay, no_decay = [], []
    for name, param in net.module.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 or "norm" in name.lower() else decay).append(param)
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=lr)
    per_process = -(-len(examples) // procs.world)  # windows each process trains on per epoch
    steps_per_epoch = (per_process + config.batch_size - 1) // config.batch_size
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
    ckpt_dir = checkpoint_dir(out)
    start_epoch, best_f1, best_loss, best_epoch, bad, history = 1, -1.0, float("inf"), 0, 0, []
    best_state = None
    if resume:
        state = read_checkpoint(out, config, tags, procs.world)
        net.module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best_f1, best_epoch, bad = state["epoch"] + 1, state["best_f1"], state["best_epoch"], state["bad"]
        best_loss = state["best_loss"]
        best_state, history = state["best_state"], state["history"]
        rng = state["rngs"][procs.rank] if procs.many else {"torch": state["torch_rng"], "cuda": state.get("cuda_rng"),
                                                            "python": state.get("python_rng")}
        torch.set_rng_state(rng["torch"])
        if rng.get("python") is not None:
            random.setstate(rng["python"])
        else:  # a checkpoint from before it was saved
            log("note: the checkpoint predates saving Python's random state; the lexicon's span dropout draws anew, "
                "so the weights may differ from an uninterrupted run's")
        if rng["cuda"] is not None and device.startswith("cuda"):
            torch.cuda.set_rng_state(rng["cuda"], device)
        log(f"resumed after epoch {state['epoch']} (best dev F1 {best_f1:.4f} at epoch {best_epoch})")
    ddp = distributed.wrap(net.module, procs, device)
    log(f"training {net.backbone} on {len(train_sents)} sentences ({len(examples)} windows), "
        f"dev {len(dev_sents)} sentences, labels {', '.join(labels)}, device {device}"
        + (f" ({threads_note})" if threads_note else "")
        + (" bf16" if use_bf16 else "") + _lexicon_note(getattr(net, "net", net))
        + (f", {procs.world} processes ({'nccl' if device.startswith('cuda') else 'gloo'}), {per_process} windows "
           f"and {steps_per_epoch} step{'s' * (steps_per_epoch != 1)} per process and epoch" if procs.many else ""))
    started = time.monotonic()
    epoch = start_epoch - 1
    for epoch in range(start_epoch, config.epochs + 1):
        if bad >= config.patience:
            break
        t0 = time.monotonic()
        if augmenter is not None:
            sentences, getattr(net, "net", net).lexicon_hidden = augmenter.epoch(epoch)  # a student wraps its net
            examples = net.examples(sentences)
        order = list(range(len(examples)))
        random.Random(config.seed * 1000 + epoch).shuffle(order)
        mine = distributed.shard(order, procs)
        total_loss, done, shown = 0.0, 0, t0
        n_batches = -(-len(mine) // config.batch_size)
        with distributed.wrapped(net, ddp):
            net.module.train()
            for k, i in enumerate(range(0, len(mine), config.batch_size), 1):
                batch = [examples[j] for j in mine[i : i + config.batch_size]]
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_bf16):
                    loss = net.loss(batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.module.parameters(), 5.0)
                optimizer.step()
                scheduler.step()
                total_loss += loss.item() * len(batch)
                done += len(batch)
                now = time.monotonic()
                if now - shown >= progress_seconds and k < n_batches:
                    shown = now
                    progress(f"epoch {epoch}/{config.epochs}: batch {k}/{n_batches}, "
                             f"running loss {total_loss / done:.4f}, {now - t0:.0f}s")
        if procs.many:
            total_loss, seen = distributed.sum_all([total_loss, float(len(mine))], procs, device)
            if epoch == start_epoch:
                parts = distributed.gather(mine, procs)
                log(f"epoch {epoch} shards: {' + '.join(str(len(p)) for p in parts)} windows over {procs.world} "
                    f"processes, {len(set().union(*parts))} distinct of {len(examples)}")
        else:
            seen = len(examples)
        with plain_decoding(net):  # the epoch is chosen on what the network learned, not on decode-time priors
            ev, _ = evaluate_net(net, dev_sents, procs)
        f1 = ev.micro.f1
        loss_dev = dev_loss(net, dev_examples, config.batch_size, procs)
        better_f1 = f1 > best_f1 and f1 > 0
        improved = f1 > best_f1 or (f1 == best_f1 and loss_dev < best_loss)
        if improved:
            best_f1, best_loss, best_epoch, bad = f1, loss_dev, epoch, 0
            best_state = copy.deepcopy({k: v.detach().cpu() for k, v in net.module.state_dict().items()})
        else:
            bad += 1
        history.append({"epoch": epoch, "loss": total_loss / max(1, seen), "dev_loss": loss_dev,
                        "dev_f1": f1, "seconds": round(time.monotonic() - t0, 2)})
        rngs = distributed.gather(_rng_state(device), procs)
        if procs.main:
            ckpt_dir.mkdir(parents=True, exist_ok=True)
            atomic_save({"model": net.module.state_dict(), "optimizer": optimizer.state_dict(),
                          "scheduler": scheduler.state_dict(), "epoch": epoch, "best_f1": best_f1,
                          "best_loss": best_loss, "best_epoch": best_epoch, "bad": bad, "best_state": best_state,
                          "history": history, "torch_rng": rngs[0]["torch"], "python_rng": rngs[0]["python"],
                          "tags": tags,
                          "config": config.as_dict(),
                          **({"cuda_rng": rngs[0]["cuda"]} if rngs[0]["cuda"] is not None else {}),
                          **({"world_size": procs.world, "rngs": rngs} if procs.many else {})},
                         ckpt_dir / CHECKPOINT)
        log(f"epoch {epoch}/{config.epochs}: loss {history[-1]['loss']:.4f}, dev loss {loss_dev:.4f}, "
            f"dev F1 {f1:.4f}"
            f"{' (best)' if better_f1 else ' (best dev loss)' if improved else ''}, {history[-1]['seconds']:.1f}s")
        if bad >= config.patience:
            log(f"early stop: no better dev F1 (or, on a tie, dev loss) for {bad} epochs")
            break
        late = bool(config.max_minutes) and time.monotonic() - started > config.max_minutes * 60
        if distributed.any_all(late, procs, device):  # all processes stop after the same epoch
            log(f"stopping: past the {config.max_minutes} minute budget")
            break
    if best_state is not None:
        net.module.load_state_dict(best_state)
    ev, preds = evaluate_net(net, dev_sents, procs)
    log(f"best epoch {best_epoch}: dev micro F1 {ev.micro.f1:.4f}")
    metrics = {"dev": ev.as_dict(), "best_epoch": best_epoch, "history": history,
               "train_sentences": len(train_sents), "dev_sentences": len(dev_sents),
               "train_seconds": round(sum(h["seconds"] for h in history), 1),
               # the pre-annotation threshold travels with the model: ls predict and serve read it from anywhere
               CALIBRATION_KEY: {"min_score": span_threshold(dev_sents, preds),
                                 "dev": dev_description(config, dev_sents)}}
    if procs.many:
        metrics["processes"] = procs.world
    if procs.main:
        write_model_dir(net, config, labels, metrics, log_lines, out)
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    progress(f"wrote {out}")
    return out
