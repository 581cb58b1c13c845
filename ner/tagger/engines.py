"""Tagging engines: a text stream tagged in this process, a process pool, Hugging Face datasets or Ray.

``read_lines(stream, name)`` yields ``(line number, text)`` of a binary stream, bounded
in memory; ``tag_lines(lines, model, engine=...)`` yields the formatted output (JSONL,
CoNLL or HTML, ``ner.tagger.render``) of each batch of lines, in input order:

- ``local``: chunks of ``CHUNK_LINES`` lines tagged here (``workers=1``) or in a spawned
  process pool (at most ``2 * workers`` chunks in flight), one torch thread per process;
- ``datasets``: Hugging Face ``Dataset.map(num_proc=workers)``, each process loading the
  model once (the recipe of docs/distributed.md);
- ``ray``: Ray Data ``map_batches`` on ``workers`` actors on a local ``ray.init()`` (or the
  cluster ``RAY_ADDRESS`` names), rows put back in input order.

The engines other than ``local`` read the whole input first. A model argument
``lexicon:DIR`` tags with the bundled name lists plus DIR's instead of a model directory.

Left out: opening files, progress bars and printing (``ner tag``, ``commands/tag.py``).
"""

from __future__ import annotations

import os
from collections import deque
from itertools import islice
from pathlib import Path

from .core import DEFAULT_BATCH_SIZE

CHUNK_LINES = 256
ENGINES = ("local", "datasets", "ray")

_worker_tagger = None


LEXICON = "lexicon:"  # a model argument naming lexicon lists instead of a model directory


def model_name(model: str) -> str:
    """How the summary names what tagged: a model directory's name, or the lexicon and its lists."""
    if model.startswith(LEXICON):
        extra = model[len(LEXICON):]  # the bundled lists, and the user's on top
        return "the lexicon (annotation/lexicons" + (f" + {extra})" if extra else ")")
    return Path(model).name


def load_tagger(model: str):
    from ..tagger.core import Tagger

    if model.startswith(LEXICON):
        from ..models.lexicon import BUNDLED, LexiconModel

        extra = model[len(LEXICON):]
        return Tagger(LexiconModel.load(BUNDLED, *([extra] if extra else [])))
    return Tagger.load(model)


def init_worker(model: str, batch_size: int, fmt: str, colors: dict, one_thread: bool = True) -> None:
    global _worker_tagger
    if one_thread:  # N processes share the cores; one thread each avoids oversubscription
        try:
            import torch

            torch.set_num_threads(1)
        except ImportError:
            pass
    _worker_tagger = (load_tagger(model), batch_size, fmt, colors)


def format_row(tagged, line: int, fmt: str, colors: dict) -> str:
    from ..tagger.render import format_html, format_jsonl, format_tagged_conll

    if fmt == "jsonl":
        return format_jsonl(tagged, line)
    if fmt == "conll":
        return format_tagged_conll(tagged)
    return format_html(tagged, colors, line)


def tag_rows(chunk: list[tuple[int, str]]) -> list[str]:
    """Tag ``(line number, text)`` pairs; the formatted output of each."""
    tagger, batch_size, fmt, colors = _worker_tagger
    analyzed = tagger.analyze_many([t for _, t in chunk], batch_size=batch_size)
    return [format_row(tagged, line, fmt, colors) for (line, _), tagged in zip(chunk, analyzed)]


def tag_chunk(chunk: list[tuple[int, str]]) -> str:
    """Tag ``(line number, text)`` pairs; return the formatted output for them."""
    return "".join(tag_rows(chunk))


MAX_LINE = 16 << 20  # bytes of one text: past it the input is not text a line at a time (e.g. /dev/zero)


def read_lines(stream, name: str, max_line: int = MAX_LINE):
    """``(line number, text)`` of each non-blank line of a binary stream, line terminator removed.

    Memory stays bounded: a line longer than ``max_line`` bytes, or one with NUL bytes (binary
    data), is a UserError naming the line."""
    from ..errors import UserError

    for lineno, raw in enumerate(iter(lambda: stream.readline(max_line + 1), b""), 1):
        if b"\0" in raw:
            raise UserError(f"{name}:{lineno}: binary data (NUL bytes), not text; pass a UTF-8 text file, "
                            f"one text per line")
        if len(raw) > max_line and not raw.endswith(b"\n"):
            raise UserError(f"{name}:{lineno}: a line longer than {max_line >> 20} MiB; ner tag takes one text "
                            f"per line: split the text into lines (paragraphs)")
        try:
            line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as e:
            raise UserError(f"{name}:{lineno}: not UTF-8 text ({e.reason} at byte {e.start}); "
                            f"convert the file to UTF-8") from None
        text = line.rstrip("\n").removesuffix("\r")
        if text.strip():
            yield lineno, text


def tag_chunks(chunks, model: str, *, workers: int = 1, batch_size: int = DEFAULT_BATCH_SIZE, fmt: str = "jsonl",
               colors: dict | None = None):
    """Formatted output of each chunk, in order; at most ``2 * workers`` chunks in flight."""
    init = (model, batch_size, fmt, colors or {})
    if workers <= 1:
        init_worker(*init, one_thread=False)  # in this process; Tagger.load caches the model
        for chunk in chunks:
            yield len(chunk), tag_chunk(chunk)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # fork after torch threads started can hang
    with ProcessPoolExecutor(workers, mp_context=context, initializer=init_worker, initargs=init) as pool:
        flight = deque()
        for chunk in chunks:
            flight.append((len(chunk), pool.submit(tag_chunk, chunk)))
            if len(flight) >= 2 * workers:
                n, future = flight.popleft()
                yield n, future.result()
        while flight:
            n, future = flight.popleft()
            yield n, future.result()


def engine_batch(batch: dict, model: str, batch_size: int, fmt: str, colors: dict) -> dict:
    """One engine batch (``line``, ``text`` columns) -> its formatted output and this process's model loads."""
    global _engine_key
    key = (os.getpid(), model, batch_size, fmt, tuple(sorted(colors.items())))
    if _engine_key != key:  # a new process (forked ones inherit the parent's globals) or other settings
        init_worker(model, batch_size, fmt, colors)
        _engine_key = key
        _engine_loads[os.getpid()] = _engine_loads.get(os.getpid(), 0) + 1
    rows = tag_rows(list(zip(batch["line"], batch["text"])))
    return {"output": rows, "pid": [os.getpid()] * len(rows), "loads": [_engine_loads[os.getpid()]] * len(rows)}


_engine_key: tuple | None = None
_engine_loads: dict[int, int] = {}


def tag_engine(lines, model: str, *, engine: str, workers: int = 1, batch_size: int = DEFAULT_BATCH_SIZE,
               fmt: str = "jsonl", colors: dict | None = None, rows_per_batch: int = CHUNK_LINES):
    """Rows ``{"output", "pid", "loads"}`` for ``(line number, text)`` pairs, in input order, through an engine.

    ``datasets``: ``Dataset.map(num_proc=workers)``; ``ray``: Ray Data ``map_batches`` on ``workers`` actors.
    ``loads`` counts the model loads of the process that tagged the row (1 when each loads once).
    """
    lines = list(lines)
    if not lines:
        return []
    data = {"line": [n for n, _ in lines], "text": [t for _, t in lines]}
    kwargs = {"model": model, "batch_size": batch_size, "fmt": fmt, "colors": colors or {}}
    if engine == "datasets":
        from datasets import Dataset
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
        ds = Dataset.from_dict(data)
        ds = ds.map(engine_batch, batched=True, batch_size=rows_per_batch, fn_kwargs=kwargs,
                    num_proc=workers if workers > 1 else None, remove_columns=["line", "text"],
                    keep_in_memory=True, new_fingerprint=f"ner-tag-{os.getpid()}-{len(lines)}")
        return ds.to_list()
    if engine == "ray":
        try:
            import ray
        except ImportError:
            from ..errors import UserError

            raise UserError("--engine ray needs the package ray (pip install 'ray[data]')") from None

        started = not ray.is_initialized()
        if started:
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        try:
            class TagBatch:
                def __call__(self, batch):
                    lines = [int(n) for n in batch["line"]]  # numpy batches hold int64 and numpy strings
                    rows = engine_batch({"line": lines, "text": [str(t) for t in batch["text"]]}, **kwargs)
                    return {**rows, "index": batch["index"]}

            ds = ray.data.from_items([{"index": i, "line": n, "text": t} for i, (n, t) in enumerate(lines)])
            ds = ds.map_batches(TagBatch, batch_size=rows_per_batch, concurrency=max(1, workers),
                                batch_format="numpy")
            # Ray Data streams blocks in the order they finish: put the rows back in input order
            rows = sorted(ds.take_all(), key=lambda row: int(row["index"]))
            return [{"output": str(r["output"]), "pid": int(r["pid"]), "loads": int(r["loads"])} for r in rows]
        finally:
            if started:
                ray.shutdown()
    raise ValueError(f"unknown engine {engine!r}")


def chunked(items, size: int):
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk


def tag_lines(lines, model: str, *, engine: str = "local", workers: int = 1, batch_size: int = DEFAULT_BATCH_SIZE,
              fmt: str = "jsonl", colors: dict | None = None):
    """``(texts, output)`` for each batch of ``(line number, text)`` pairs, in input order, through ``engine``."""
    if engine == "local":
        yield from tag_chunks(chunked(lines, CHUNK_LINES), model, workers=workers, batch_size=batch_size, fmt=fmt,
                              colors=colors)
        return
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    for row in tag_engine(lines, model, engine=engine, workers=workers, batch_size=batch_size, fmt=fmt,
                          colors=colors):
        yield 1, row["output"]
