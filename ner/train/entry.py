"""The library's training entry points: ``fit`` takes records, ``train`` takes a configuration naming files.

``fit(train, dev, labels, config, out)`` trains on sentences already read and mapped:
every caller that has records (fold training, the critic's folds, learning curves,
the backend's retraining, distillation, the bench scripts) calls it directly, so no
corpus or labels file is written just to reach the loop. ``dev=None`` holds out
``config.dev_fraction`` of ``train`` (seeded by ``config.seed``), as ``ner train``
does without ``--dev``. ``train(config)`` is ``ner train``'s path: it reads and
checks the files ``config`` names (``prepare.py``) and calls ``fit``.

Both set torch's thread count for the run (``train_threads``), join the
processes of a ``torchrun``/``accelerate launch`` run (``distributed.py``) and
hand over to the epoch loop (``loop.py``).

Left out: reading files (``prepare.py``), the epochs themselves (``loop.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from ..errors import UserError
from . import distributed, loop
from .config import TrainConfig
from .distributed import Processes
from .loop import PROGRESS_SECONDS
from .prepare import hold_out, prepare_data


def device_for(config: TrainConfig, procs: Processes = Processes()) -> str:
    """The device to train on: ``config.device`` (refused when it names a GPU that is not there), else
    this process's share of a launch (``distributed.process_device``)."""
    import torch

    if config.device and not procs.many:
        if config.device.startswith("cuda") and not torch.cuda.is_available():
            raise UserError(f"device {config.device!r} asked for but no GPU is visible; use --device cpu")
        return config.device
    return distributed.process_device(procs, config.device, torch.cuda.is_available())


def train_threads(config: TrainConfig, threads: int | None = None, environ=None) -> tuple[int | None, str]:
    """Torch threads to train with on the CPU, and why: ``threads``, else the config's ``threads``,
    else None (keep torch's) when ``OMP_NUM_THREADS`` is set, else 1.

    On shared cores one thread is the safe default: with other jobs running, more threads wait on
    each other for the same cores (issue 8; bench/NOTES.md); a machine of one's own gains from more.
    """
    from ..settings import omp_threads

    chosen = threads or config.threads
    if chosen:
        return chosen, f"torch threads: {chosen}"
    if omp := omp_threads(environ):
        return None, f"torch threads: OMP_NUM_THREADS={omp}"
    return 1, "torch threads: 1 (the default on shared cores; set OMP_NUM_THREADS or --threads for more)"


def _check_labels(sentences, labels: Sequence[str], which: str) -> None:
    """Refuse a tag whose label is not in ``labels``: the net has no column for it."""
    known = set(labels)
    for k, sentence in enumerate(sentences, 1):
        bad = sorted({t[2:] for t in sentence.tags if t != "O" and t[2:] not in known})
        if bad:
            raise UserError(f"{which} sentence {k} ({' '.join(sentence.words[:6])}...): label(s) "
                            f"{', '.join(bad)} not among the labels trained ({', '.join(labels)}); "
                            f"add them to the labels or map them")


def fit(train: Sequence, dev: Sequence | None, labels: Sequence[str], config: TrainConfig,
        out: str | Path | None = None, *, progress: Callable[[str], None] = lambda line: None,
        resume: bool = False, threads: int | None = None, progress_seconds: float = PROGRESS_SECONDS,
        notes: Sequence[str] = (), make_net=None, processes: Processes | None = None) -> Path:
    """Train on ``train`` (sentences; ``dev`` for early stopping, None: a held-out share of ``train``)
    with tags over ``labels`` as ``config`` says, into ``out`` (default ``config.out``); returns it.

    ``config.train``/``dev``/``labels``/``map``/``keep`` are not read: they are only saved with the
    model. ``make_net`` builds the net instead of ``loop.build_net`` (distillation's student);
    ``processes`` overrides the launcher's (``Processes()``: this process alone).
    """
    if out is not None:
        config = config.replace(out=str(out))
    config.validate(corpus=False)
    labels = list(labels)
    train = list(train)
    if not labels:
        raise UserError("no labels to train; nothing to learn")
    notes = list(notes)
    if dev is None:
        train, dev = hold_out(train, config.dev_fraction, config.seed)
        notes.append(f"no dev corpus: {len(dev)} of {len(train) + len(dev)} training sentences held out")
    elif not train:
        raise UserError("the training corpus has no sentences")
    _check_labels(train, labels, "training")
    _check_labels(dev, labels, "dev")
    procs = distributed.processes_from_env() if processes is None else processes
    import torch

    device = device_for(config, procs)
    count, why = train_threads(config, threads)
    before = torch.get_num_threads()
    if device == "cpu" and count:
        torch.set_num_threads(count)
    distributed.start(procs, device)
    try:
        path = loop._train(config, progress if procs.main else lambda line: None, resume, procs, device,
                           labels, tuple(train), tuple(dev), notes, progress_seconds,
                           why if device == "cpu" else "", make_net=make_net)
    except BaseException:
        distributed.stop(procs, wait=False)  # the others fail in their next collective; no barrier to hang in
        raise
    finally:
        torch.set_num_threads(before)
    distributed.stop(procs)
    return path


def train(config: TrainConfig, progress: Callable[[str], None] = lambda line: None, resume: bool = False, *,
          threads: int | None = None, progress_seconds: float = PROGRESS_SECONDS) -> Path:
    """Train a model on the files ``config`` names and write its directory; returns the directory.

    Under ``torchrun``/``accelerate launch`` every process calls this; input is
    checked before the processes join, and only rank 0 reports and writes.
    Torch's thread count is set for the run as ``train_threads`` says and restored after it.
    Within an epoch a line (batch k/n, running loss) goes to ``progress`` every
    ``progress_seconds``; ``train.log`` keeps the per-epoch lines.
    """
    config.validate()
    labels, train_sents, dev_sents, notes = prepare_data(config)  # input checked before torch loads
    return fit(train_sents, dev_sents, labels, config, progress=progress, resume=resume, threads=threads,
               progress_seconds=progress_seconds, notes=notes)
