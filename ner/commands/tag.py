"""``ner tag [--model DIR] [INPUT|-]``: tag a text file (one text per line) as JSONL, CoNLL or HTML.

Streams: lines are read, tagged and written in chunks, so memory stays flat
whatever the input size. ``--workers N`` tags chunks in N processes, keeping the
output in input order. A progress bar goes to stderr.

``--engine datasets`` runs the same tagging through Hugging Face ``datasets.map``
(``num_proc=N``: N processes, each loading the model once; the result keeps the
input order), the recipe of docs/distributed.md as a command; ``--engine ray`` through
Ray Data ``map_batches`` with one actor per worker on a local ``ray.init()`` (or the
cluster ``RAY_ADDRESS`` names). Both read the whole input into the engine first.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from itertools import islice
from pathlib import Path

from ..tagger.core import DEFAULT_BATCH_SIZE

CHUNK_LINES = 256
ENGINES = ("local", "datasets", "ray")

_worker_tagger = None


def register(sub) -> None:
    p = sub.add_parser("tag", help="tag text with a trained model (JSONL, CoNLL or HTML)",
                       description="Tag each line of INPUT (a file, or - for stdin) as one text and write "
                                   "the entities with character offsets into that line.")
    p.add_argument("input", nargs="?", default="-", metavar="INPUT", help="text file, one text per line (default: stdin)")
    p.add_argument("--model", metavar="DIR", default=None,
                   help="model directory (default: $NER_MODEL, else models/default)")
    p.add_argument("--format", choices=("jsonl", "conll", "html"), default="jsonl",
                   help="jsonl: one object per line with entities and scores; conll: word<TAB>tag; "
                        "html: a page with coloured entities (default: jsonl)")
    p.add_argument("-o", "--output", metavar="FILE", default="-", help="where to write (default: stdout)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="tagging processes (default: 1)")
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local: a process pool here; datasets: Hugging Face datasets.map(num_proc=N); "
                        "ray: Ray Data map_batches on N actors (default: local)")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N",
                   help=f"sentences per model call (default: {DEFAULT_BATCH_SIZE})")
    p.add_argument("--colors", metavar="FILE", default=None,
                   help="label schema whose colours the HTML uses (default: annotation/labels.toml; "
                        "labels it lacks get palette colours)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--lexicon", nargs="?", const="", default=None, metavar="DIR",
                   help="no model: tag with the name lists of annotation/lexicons, plus DIR's <Label>.txt files "
                        "(DIR wins where they differ)")
    p.set_defaults(func=run)


LEXICON = "lexicon:"  # a model argument naming lexicon lists instead of a model directory


def _model_name(model: str) -> str:
    """How the summary names what tagged: a model directory's name, or the lexicon and its lists."""
    if model.startswith(LEXICON):
        extra = model[len(LEXICON):]  # the bundled lists, and the user's on top
        return "the lexicon (annotation/lexicons" + (f" + {extra})" if extra else ")")
    return Path(model).name


def _load_tagger(model: str):
    from ..tagger.core import Tagger

    if model.startswith(LEXICON):
        from ..models.lexicon import BUNDLED, LexiconModel

        extra = model[len(LEXICON):]
        return Tagger(LexiconModel.load(BUNDLED, *([extra] if extra else [])))
    return Tagger.load(model)


def _init_worker(model: str, batch_size: int, fmt: str, colors: dict, one_thread: bool = True) -> None:
    global _worker_tagger
    if one_thread:  # N processes share the cores; one thread each avoids oversubscription
        try:
            import torch

            torch.set_num_threads(1)
        except ImportError:
            pass
    _worker_tagger = (_load_tagger(model), batch_size, fmt, colors)


def _format(tagged, line: int, fmt: str, colors: dict) -> str:
    from ..tagger.render import format_html, format_jsonl, format_tagged_conll

    if fmt == "jsonl":
        return format_jsonl(tagged, line)
    if fmt == "conll":
        return format_tagged_conll(tagged)
    return format_html(tagged, colors, line)


def _tag_rows(chunk: list[tuple[int, str]]) -> list[str]:
    """Tag ``(line number, text)`` pairs; the formatted output of each."""
    tagger, batch_size, fmt, colors = _worker_tagger
    analyzed = tagger.analyze_many([t for _, t in chunk], batch_size=batch_size)
    return [_format(tagged, line, fmt, colors) for (line, _), tagged in zip(chunk, analyzed)]


def _tag_chunk(chunk: list[tuple[int, str]]) -> str:
    """Tag ``(line number, text)`` pairs; return the formatted output for them."""
    return "".join(_tag_rows(chunk))


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
        _init_worker(*init, one_thread=False)  # in this process; Tagger.load caches the model
        for chunk in chunks:
            yield len(chunk), _tag_chunk(chunk)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # fork after torch threads started can hang
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=init) as pool:
        flight = deque()
        for chunk in chunks:
            flight.append((len(chunk), pool.submit(_tag_chunk, chunk)))
            if len(flight) >= 2 * workers:
                n, future = flight.popleft()
                yield n, future.result()
        while flight:
            n, future = flight.popleft()
            yield n, future.result()


def _engine_batch(batch: dict, model: str, batch_size: int, fmt: str, colors: dict) -> dict:
    """One engine batch (``line``, ``text`` columns) -> its formatted output and this process's model loads."""
    global _engine_key
    key = (os.getpid(), model, batch_size, fmt, tuple(sorted(colors.items())))
    if _engine_key != key:  # a new process (forked ones inherit the parent's globals) or other settings
        _init_worker(model, batch_size, fmt, colors)
        _engine_key = key
        _engine_loads[os.getpid()] = _engine_loads.get(os.getpid(), 0) + 1
    rows = _tag_rows(list(zip(batch["line"], batch["text"])))
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
        ds = ds.map(_engine_batch, batched=True, batch_size=rows_per_batch, fn_kwargs=kwargs,
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
                    rows = _engine_batch({"line": lines, "text": [str(t) for t in batch["text"]]}, **kwargs)
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


def _chunked(items, size: int):
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield chunk


def run(args) -> int:
    from ..errors import UserError
    from ..tagger.render import html_head, html_tail
    from ..tagger.core import default_model_path

    if args.workers < 1 or args.batch_size < 1:
        raise UserError("--workers and --batch-size must be at least 1")
    if args.engine != "local" and args.format == "html":
        raise UserError(f"--engine {args.engine}: writes jsonl or conll; use --engine local for --format html")
    if args.lexicon and args.input == "-" and Path(args.lexicon).is_file():
        args.input, args.lexicon = args.lexicon, ""  # 'ner tag --lexicon input.txt': the file is the input
    if args.lexicon is not None and args.model:
        raise UserError(f"--model {args.model} and --lexicon: --lexicon tags with the name lists alone, without a "
                        f"model; pass one of them (a model trained with lists already uses its own)")
    if args.input != "-":
        from ..formats.registry import require

        require(args.input)  # the same one line as every command that reads a file, before the model loads
    model = LEXICON + args.lexicon if args.lexicon is not None else args.model or str(default_model_path())
    if model.startswith(LEXICON) or (args.workers == 1 and args.engine == "local"):
        _load_tagger(model)  # fail early with a clear message on a bad --model or --lexicon
    else:
        from ..models import read_model_info

        read_model_info(model)
    colors = {}
    if args.format == "html":
        from ..schema import load_schema

        colors = {label.name: label.color for label in load_schema(args.colors).labels if label.color}
    if args.input == "-":
        stream, size = sys.stdin.buffer, None
    else:
        try:
            stream = open(args.input, "rb")
        except OSError as e:
            raise UserError(f"{args.input}: cannot read ({e.strerror}); check the path") from None
        size = os.path.getsize(args.input)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    progress = None
    # A bar only where it helps: on a terminal's stderr while the entities go elsewhere.
    if not args.no_progress and sys.stderr.isatty() and not (out is sys.stdout and sys.stdout.isatty()):
        from tqdm import tqdm

        progress = tqdm(total=size, unit="B" if size else "line", unit_scale=True, file=sys.stderr,
                        desc=Path(args.input).name if size else "stdin", leave=False)
    done = [0]

    def counted(lines):
        for lineno, text in lines:
            if progress is not None:
                progress.update(len(text.encode("utf-8")) + 1 if size else 1)
            yield lineno, text

    try:
        if args.format == "html":
            out.write(html_head(Path(args.input).name if args.input != "-" else "ner tag"))
        if args.engine != "local":
            for row in tag_engine(counted(read_lines(stream, "stdin" if args.input == "-" else args.input)), model, engine=args.engine,
                                  workers=args.workers, batch_size=args.batch_size, fmt=args.format):
                out.write(row["output"])
                done[0] += 1
        else:
            chunks = _chunked(counted(read_lines(stream, "stdin" if args.input == "-" else args.input)), CHUNK_LINES)
            for n, text in tag_chunks(chunks, model, workers=args.workers, batch_size=args.batch_size,
                                      fmt=args.format, colors=colors):
                out.write(text)
                done[0] += n
        if args.format == "html":
            out.write(html_tail())
    finally:
        if progress is not None:
            progress.close()
        if args.input != "-":
            stream.close()
        if out is not sys.stdout:
            out.close()
    print(f"ner tag: {done[0]} text(s) tagged with {_model_name(model)}", file=sys.stderr)
    return 0
