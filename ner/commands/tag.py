"""``ner tag [--model DIR] [INPUT|-]``: tag a text file (one text per line) as JSONL, CoNLL or HTML.

Streams: lines are read, tagged and written in chunks, so memory stays flat
whatever the input size. ``--workers N`` tags chunks in N processes, keeping the
output in input order; ``--engine datasets|ray`` tags through Hugging Face datasets or
Ray (``ner.tagger.engines``). A progress bar goes to stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..tagger.core import DEFAULT_BATCH_SIZE
from ..tagger.engines import ENGINES


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


def run(args) -> int:
    from ..errors import UserError
    from ..tagger.core import default_model_path
    from ..tagger.engines import LEXICON, load_tagger, model_name, read_lines, tag_lines
    from ..tagger.render import html_head, html_tail

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
        load_tagger(model)  # fail early with a clear message on a bad --model or --lexicon
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
        lines = counted(read_lines(stream, "stdin" if args.input == "-" else args.input))
        for n, text in tag_lines(lines, model, engine=args.engine, workers=args.workers, batch_size=args.batch_size,
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
    print(f"ner tag: {done[0]} text(s) tagged with {model_name(model)}", file=sys.stderr)
    return 0
