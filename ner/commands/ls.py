"""``ner ls init|push|pull|convert|predict``: corpora to Label Studio and back, nothing lost on the way.

Labels follow the project: push, pull and predict use the labels of the project's own
labeling config unless ``--labels`` names a schema; ``init --labels auto PATH...`` takes
them from the data. Corpora are read and written by extension (the format registry).

Exit codes: 0 ok, 1 when some region could not be placed or some document was left
unpushed (each kind summed up in one line), 2 on usage errors or an unreachable/refusing
server (one line).
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import add_connection_args

LABELS_HELP = ("label schema: a TOML file like annotation/labels.toml or one label per line; 'auto' takes the "
               "labels found in the data (default: the labels of the project's labeling config)")


def register(sub) -> None:
    ls = sub.add_parser("ls", help="Label Studio: init a project, push a corpus, pull annotations, convert exports",
                        description="Move corpora to Label Studio and back. Connection: --url/--api-key or "
                                    "LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY.")
    lsub = ls.add_subparsers(dest="ls_command", metavar="ACTION", required=True)

    p = lsub.add_parser("init", help="create the project (or update its labeling config) from the schema")
    p.add_argument("paths", nargs="*", metavar="PATH", help="corpora to take the labels from (with --labels auto)")
    p.add_argument("--project", required=True, help="project title (3+ characters)")
    p.add_argument("--labels", metavar="FILE|auto", default=None,
                   help="label schema file, or 'auto' for the labels found in PATH... "
                        "(default: annotation/labels.toml)")
    p.add_argument("--write-config", metavar="FILE", default=None,
                   help="also write the labeling config XML to FILE (e.g. annotation/labeling_config.xml)")
    add_connection_args(p)
    p.set_defaults(func=run_init)

    p = lsub.add_parser("push", help="send corpora as tasks of one sitting (no duplicates on re-push)")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="corpus files (any format the extension names), or plain texts: a .txt with one text per "
                        "line, a .jsonl with a 'text' field; a task shows each text exactly as given")
    p.add_argument("--project", required=True)
    p.add_argument("--labels", metavar="FILE|auto", default=None, help=LABELS_HELP)
    p.add_argument("--as", dest="tags_as", choices=("annotations", "predictions", "none"), default=None,
                   help="send existing tags as annotations (the default for a tagged corpus: such tasks count as "
                        "annotated, and 'ls predict' skips them unless --include-annotated), as pre-annotations "
                        "(also onto tasks already there), or not at all (the default for texts with no entity)")
    p.add_argument("--model-version", default="imported", help="model_version of pushed predictions")
    p.add_argument("--sentences-per-task", type=int, default=None, metavar="N",
                   help="at most N sentences per task (default 10; 1 for plain texts with no entity: one text a "
                        "task; 0: no limit)")
    p.add_argument("--chars-per-task", type=int, default=1500, metavar="M",
                   help="at most M characters per task, whichever limit comes first; a longer sentence is a task "
                        "of its own (default 1500; 0: no limit; both 0: one task per document)")
    p.add_argument("--tasks-per-request", type=int, default=500, metavar="N",
                   help="tasks per import request (default 500); keep it on re-push: complete batches are then "
                        "checked with one count")
    add_connection_args(p)
    p.set_defaults(func=run_push)

    p = lsub.add_parser("pull", help="write the project's annotations as a corpus (format by OUT's extension)")
    p.add_argument("out", help="output file, e.g. out.conll or out.jsonl (with --all: OUT.<annotator>.EXT each)")
    p.add_argument("--project", required=True)
    p.add_argument("--labels", metavar="FILE|auto", default=None, help=LABELS_HELP)
    _policy_args(p)
    add_connection_args(p)
    p.set_defaults(func=run_pull)

    p = lsub.add_parser("convert", help="convert a UI export file (JSON, JSON-MIN, CONLL2003) to a corpus, offline")
    p.add_argument("export", help="the file downloaded from Label Studio's Export dialog")
    p.add_argument("out", help="output file (format by its extension: .conll, .jsonl, ...)")
    p.add_argument("--labels", metavar="FILE|auto", default="auto",
                   help="label schema to check the labels against (default: auto, any label)")
    _policy_args(p)
    p.set_defaults(func=run_convert)

    from .ls_predict import register_predict

    register_predict(lsub)


def _policy_args(p) -> None:
    p.add_argument("--all", dest="all_annotators", action="store_true",
                   help="one file per annotator instead of one annotation per task "
                        "(default: ground truth first, else the most recent)")
    p.add_argument("--unannotated", action="store_true",
                   help="also write tasks nobody annotated (all O); by default they are left out")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors and the summary")


def _client(args):
    from ..labelstudio.client import Client, connection_from

    return Client(connection_from(args.url, args.api_key))


def _read(paths, schema, texts: bool = False):
    """Documents of ``paths`` read by extension (``texts``: a .txt that is not CoNLL is plain texts, one per
    line); the input's errors printed, and None when there are some."""
    from pathlib import Path

    from ..check import Report
    from ..formats.registry import load, require
    from ..formats.texts import load_texts, looks_like_conll

    report = Report()
    docs = []
    for path in paths:
        if texts and Path(path).suffix.lower() == ".txt" and (require(path) or not looks_like_conll(path)):
            docs.extend(load_texts(path, report=report))
        else:
            docs.extend(load(path, schema=schema, report=report))
    for issue in report.errors:
        print(issue, file=sys.stderr)
    if report.errors:
        print(f"ner ls: error: {len(report.errors)} error(s) in the input; fix them (ner validate --fix) first",
              file=sys.stderr)
        return None
    return docs


def run_init(args) -> int:
    from ..labelstudio.summary import schema_for
    from ..labelstudio.config import dump_labeling_config
    from ..labelstudio.sync import init_project
    from ..schema import Schema

    if args.labels == "auto":
        if not args.paths:
            print("ner ls init: error: --labels auto takes the labels from the data: give the corpus files "
                  "(ner ls init --project NAME --labels auto PATH...)", file=sys.stderr)
            return 2
        docs = _read(args.paths, None)
        if docs is None:
            return 1
        found = {t[2:] for d in docs for s in d.sentences for t in s.tags if t != "O"}
        if not found:
            print(f"ner ls init: error: no labelled span in {', '.join(args.paths)}; pass a schema with --labels FILE",
                  file=sys.stderr)
            return 2
        schema = Schema.auto(found)
    else:
        schema = schema_for(args.labels)
    project, created = init_project(_client(args), args.project, schema)
    if args.write_config:
        dump_labeling_config(schema, args.write_config)
    print(f"{'created' if created else 'updated'} project {args.project!r} (id {project['id']}) "
          f"with {len(schema.labels)} labels: {', '.join(schema.names)}")
    return 0


def run_push(args) -> int:
    from ..labelstudio.summary import push_lines, schema_for
    from ..labelstudio.layout import Layout
    from ..labelstudio.sync import push

    if (args.sentences_per_task or 0) < 0 or args.chars_per_task < 0:
        print("ner ls push: error: --sentences-per-task and --chars-per-task must be 0 or more", file=sys.stderr)
        return 2
    client = _client(args)
    client.project(args.project)  # a missing project is one line before the corpus is read
    # Without --labels the project's config decides: push refuses labels it lacks, in one line.
    docs = _read(args.paths, None if args.labels is None else schema_for(args.labels), texts=True)
    if docs is None:
        return 1
    if args.tags_as is None:  # texts with no entity: an empty annotation would mark their tasks done
        tagged = any(t != "O" for d in docs for s in d.sentences for t in s.tags)
        args.tags_as = "annotations" if tagged else "none"
        if not tagged:
            print("no entity in the input: tasks are sent as texts to annotate (no annotation), so 'ner ls predict' "
                  "pre-annotates them")
    if args.sentences_per_task is None:  # plain texts (.txt, JSONL 'text'): each text is a task of its own
        plain = args.tags_as == "none" and all(Path(p).suffix.lower() in (".txt", ".jsonl") for p in args.paths)
        args.sentences_per_task = 1 if plain else 10
    layout = Layout(args.sentences_per_task, args.chars_per_task)
    bar = _bar(None, "push")
    result = push(client, args.project, docs, layout=layout, tags_as=None if args.tags_as == "none" else args.tags_as,
                  model_version=args.model_version, batch_size=args.tasks_per_request,
                  progress=bar.update if bar is not None else None)
    if bar is not None:
        bar.close()
    lines, status = push_lines(result, layout, args.tags_as)
    print("\n".join(lines))
    return status


def _bar(total, what: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="task", desc=what, file=sys.stderr, disable=None)


def _write(result, out: str, quiet: bool, title: str = "") -> int:
    from ..labelstudio.summary import dump_pulled

    for issue in result.report.issues:
        if not quiet or issue.severity == "error":
            print(issue)
    print("\n".join(dump_pulled(result, out) + result.accepted.lines(title)))
    return 1 if result.report.errors else 0


def run_pull(args) -> int:
    from ..formats.registry import require_output
    from ..labelstudio.summary import schema_for
    from ..labelstudio.sync import pull

    require_output(args.out)  # an unknown extension is refused before the server is asked
    client = _client(args)
    schema = schema_for(args.labels, client.project(args.project))
    result = pull(client, args.project, schema=schema, all_annotators=args.all_annotators,
                  unannotated=args.unannotated)
    return _write(result, args.out, args.quiet, args.project)


def run_convert(args) -> int:
    from ..formats.registry import require_output
    from ..labelstudio.summary import export_note, schema_for
    from ..labelstudio.sync import convert_export

    require_output(args.out)
    fmt, result = convert_export(args.export, schema=schema_for(args.labels), all_annotators=args.all_annotators,
                                 unannotated=args.unannotated)
    print(f"{args.export}: {fmt} export" + export_note(fmt))
    return _write(result, args.out, args.quiet)
