"""Several training processes (``torchrun`` / ``accelerate launch``): who I am, sharding, collectives.

``processes_from_env()`` reads ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK`` (the
variables both launchers set; the only place they are read) into a
``Processes`` record. With one process every helper here is a no-op that
returns its input, so the single-process loop runs exactly as before.
With several, ``start`` joins the process group (nccl on GPUs, gloo on CPUs),
``wrap`` puts the model in ``DistributedDataParallel`` (gradients averaged
over processes), ``shard`` gives each rank its slice of the seeded data order
(padded by repeating the start, so every rank runs the same number of steps),
and ``gather``/``sum_all``/``any_all`` keep decisions identical on every rank.

Left out: model parallelism, gradient accumulation, multi-node rendezvous
(torchrun's own flags do that; the loop needs nothing more).
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import UserError


@dataclass(frozen=True, slots=True)
class Processes:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def many(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def processes_from_env(environ=None) -> Processes:
    """The launcher's variables; ``Processes()`` (one process) when none are set."""
    from ..settings import launcher

    values = {}
    for key, text in launcher(environ).items():
        if not text.isdigit():
            raise UserError(f"environment variable {key}={text!r} is not a number; it is set by torchrun "
                            f"or accelerate launch, unset it for a single process")
        values[key] = int(text)
    procs = Processes(values["RANK"], values["WORLD_SIZE"], values["LOCAL_RANK"])
    if procs.world < 1 or procs.rank >= procs.world:
        raise UserError(f"RANK={procs.rank} does not fit WORLD_SIZE={procs.world}; launch with torchrun or "
                        f"accelerate launch, or unset both")
    return procs


def process_device(procs: Processes, asked: str, cuda_available: bool) -> str:
    """This process's device: its own GPU (``cuda:LOCAL_RANK``) when GPUs are used, else the CPU."""
    if not procs.many:
        return asked or ("cuda" if cuda_available else "cpu")
    if asked.startswith("cuda:"):
        raise UserError(f"device {asked!r} with {procs.world} processes: each process takes the GPU of its "
                        f"local rank; choose GPUs with CUDA_VISIBLE_DEVICES and use --device cuda")
    if asked == "cuda" and not cuda_available:
        raise UserError("device 'cuda' asked for but no GPU is visible; use --device cpu")
    if asked == "cpu" or not cuda_available:
        return "cpu"
    return f"cuda:{procs.local_rank}"


def start(procs: Processes, device: str) -> None:
    """Join the process group of a multi-process launch (nothing to do for one process)."""
    if not procs.many:
        return
    import torch
    import torch.distributed as dist

    if device.startswith("cuda"):
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")


def stop(procs: Processes, wait: bool = True) -> None:
    """Leave the group, after every process got here when ``wait`` (not after a failure: nobody would come)."""
    if not procs.many:
        return
    import torch.distributed as dist

    if dist.is_initialized():
        if wait:
            dist.barrier()
        dist.destroy_process_group()


def shard(order: list[int], procs: Processes) -> list[int]:
    """This rank's part of ``order``: every ``world``-th item, the order padded to a multiple of ``world``
    by repeating it from the start, so every rank gets as many items (and runs as many steps).

    >>> [shard(list(range(5)), Processes(r, 2)) for r in (0, 1)]
    [[0, 2, 4], [1, 3, 0]]
    """
    if not procs.many:
        return order
    pad = (-len(order)) % procs.world  # can exceed len(order) when there are more processes than items
    padded = order + [order[i % len(order)] for i in range(pad)]
    return padded[procs.rank :: procs.world]


def wrap(module, procs: Processes, device: str):
    """``module`` in DistributedDataParallel (``None`` for one process).

    Attributes the wrapper lacks (the navec CRF) are looked up on the model, so
    backbone code that calls ``self.module.crf`` works unchanged. Buffers are
    not re-sent every step: the ones here (navec's frozen vectors, BERT's
    position ids) never change and are synced once at construction.
    """
    if not procs.many:
        return None
    from torch.nn.parallel import DistributedDataParallel

    class Wrapped(DistributedDataParallel):
        def __getattr__(self, name):
            try:
                return super().__getattr__(name)
            except AttributeError:
                inner = self.__dict__.get("_modules", {}).get("module")
                if inner is None:
                    raise
                return getattr(inner, name)

    ids = [int(device.split(":")[1])] if device.startswith("cuda:") else None
    params = inspect.signature(DistributedDataParallel).parameters
    no_resend = {"forward_sync_buffers": False} if "forward_sync_buffers" in params else {"broadcast_buffers": False}
    return Wrapped(module, device_ids=ids, **no_resend)


@contextmanager
def wrapped(net, ddp):
    """``net.module`` is the DDP wrapper inside the block (its forward syncs gradients), the model after."""
    if ddp is None:
        yield
        return
    model = net.module
    net.module = ddp
    try:
        yield
    finally:
        net.module = model


def gather(obj, procs: Processes) -> list:
    """``obj`` from every rank, in rank order (``[obj]`` for one process)."""
    if not procs.many:
        return [obj]
    import torch.distributed as dist

    out = [None] * procs.world
    dist.all_gather_object(out, obj)
    return out


def sum_all(values: list[float], procs: Processes, device: str) -> list[float]:
    """Element-wise sums over ranks (``values`` itself for one process)."""
    if not procs.many:
        return values
    import torch
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def any_all(flag: bool, procs: Processes, device: str) -> bool:
    """True on every rank when it is true on any: a stop decision all ranks take together."""
    return sum_all([1.0 if flag else 0.0], procs, device)[0] > 0 if procs.many else flag
