"""``ner ls init|push|pull|convert|predict``: corpora to Label Studio and back, nothing lost on the way.

Exit codes: 0 ok, 1 when some region could not be placed (each one is listed),
2 on usage errors or an unreachable/refusing server (one line).
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import add_labels_arg, schema_from_arg


def _connection_args(p) -> None:
    p.add_argument("--url", default=None, help="Label Studio URL (default: $LABEL_STUDIO_URL or http://127.0.0.1:8089)")
    p.add_argument("--api-key", default=None,
                   help="legacy API token or personal access token (default: $LABEL_STUDIO_API_KEY)")


def register(sub) -> None:
    ls = sub.add_parser("ls", help="Label Studio: init a project, push a corpus, pull annotations, convert exports",
                        description="Move corpora to Label Studio and back. Connection: --url/--api-key or "
                                    "LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY.")
    lsub = ls.add_subparsers(dest="ls_command", metavar="ACTION", required=True)

    p = lsub.add_parser("init", help="create the project (or update its labeling config) from the schema")
    p.add_argument("--project", required=True, help="project title (3+ characters)")
    add_labels_arg(p)
    p.add_argument("--write-config", metavar="FILE", default=None,
                   help="also write the labeling config XML to FILE (e.g. annotation/labeling_config.xml)")
    _connection_args(p)
    p.set_defaults(func=run_init)

    p = lsub.add_parser("push", help="send CoNLL files as tasks (no duplicates on re-push)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="CoNLL files")
    p.add_argument("--project", required=True)
    add_labels_arg(p)
    p.add_argument("--as", dest="tags_as", choices=("annotations", "predictions", "none"), default="annotations",
                   help="send existing tags as annotations (default), as pre-annotations, or not at all")
    p.add_argument("--model-version", default="imported", help="model_version of pushed predictions")
    p.add_argument("--sentences-per-task", type=int, default=0, metavar="N",
                   help="one task per N sentences instead of one per document")
    p.add_argument("--batch-size", type=int, default=500,
                   help="tasks per import request (default 500); keep it on re-push: complete batches are then "
                        "checked with one count, other sizes make the push list every task")
    _connection_args(p)
    p.set_defaults(func=run_push)

    p = lsub.add_parser("pull", help="write the project's annotations as CoNLL")
    p.add_argument("out", help="output CoNLL file (with --all: OUT.<annotator>.conll per annotator)")
    p.add_argument("--project", required=True)
    add_labels_arg(p)
    _policy_args(p)
    _connection_args(p)
    p.set_defaults(func=run_pull)

    p = lsub.add_parser("convert", help="convert a UI export file (JSON, JSON-MIN, CONLL2003) to CoNLL, offline")
    p.add_argument("export", help="the file downloaded from Label Studio's Export dialog")
    p.add_argument("out", help="output CoNLL file")
    add_labels_arg(p)
    _policy_args(p)
    p.set_defaults(func=run_convert)

    p = lsub.add_parser("predict", help="pre-annotate the project's tasks with a trained model")
    p.add_argument("--project", required=True)
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--include-annotated", action="store_true",
                   help="also pre-annotate tasks that already have annotations (the annotations stay as they are)")
    _connection_args(p)
    p.set_defaults(func=run_predict)


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


def _schema(args):
    return schema_from_arg(args.labels)


def run_init(args) -> int:
    from ..labelstudio.config import dump_labeling_config
    from ..labelstudio.sync import init_project

    schema = _schema(args)
    if schema is None:
        print("ner ls init: error: --labels auto has no labels to configure; pass a schema file", file=sys.stderr)
        return 2
    project, created = init_project(_client(args), args.project, schema)
    if args.write_config:
        dump_labeling_config(schema, args.write_config)
    print(f"{'created' if created else 'updated'} project {args.project!r} (id {project['id']}) "
          f"with {len(schema.labels)} labels: {', '.join(schema.names)}")
    return 0


def run_push(args) -> int:
    from ..check import Report
    from ..formats.conll import read_corpus
    from ..labelstudio.sync import push

    report = Report()
    docs = read_corpus(args.paths, schema=_schema(args), report=report)
    for issue in report.errors:
        print(issue, file=sys.stderr)
    if report.errors:
        print(f"ner ls push: error: {len(report.errors)} error(s) in the input; fix them (ner validate --fix) "
              f"before pushing", file=sys.stderr)
        return 1
    n_tasks = sum(-(-len(d.sentences) // args.sentences_per_task) if args.sentences_per_task else 1 for d in docs)
    bar = _bar(n_tasks, "push")
    result = push(_client(args), args.project, docs, sentences_per_task=args.sentences_per_task,
                  tags_as=None if args.tags_as == "none" else args.tags_as, model_version=args.model_version,
                  batch_size=args.batch_size, progress=bar.update if bar else None)
    if bar:
        bar.close()
    for what in result.changed:
        print(f"changed: {what} differs from the task already in the project; not pushed "
              f"(delete that task in Label Studio to push the new version)")
    print(f"{result.created} task(s) created, {result.unchanged} already there, {len(result.changed)} changed "
          f"(project id {result.project_id})")
    return 0


def _bar(total: int, what: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="task", desc=what, file=sys.stderr, disable=None)


def _write(result, out: str, quiet: bool) -> int:
    from ..formats.conll import write_conll

    for issue in result.report.issues:
        if not quiet or issue.severity == "error":
            print(issue)
    out_path = Path(out)
    for who, docs in sorted(result.documents.items()):
        target = out_path if not who else out_path.with_name(f"{out_path.stem}.{who}{out_path.suffix or '.conll'}")
        n = write_conll(docs, target)
        print(f"wrote {target} ({len(docs)} document(s), {n} sentence(s))")
    if not result.documents:
        print("no annotated tasks: nothing written (--unannotated writes them with O tags)")
    print(f"{result.tasks} task(s), {result.annotated} annotated: {result.report.summary()}")
    return 1 if result.report.errors else 0


def run_pull(args) -> int:
    from ..labelstudio.sync import pull

    result = pull(_client(args), args.project, schema=_schema(args), all_annotators=args.all_annotators,
                  unannotated=args.unannotated)
    return _write(result, args.out, args.quiet)


def run_convert(args) -> int:
    from ..labelstudio.sync import convert_export

    fmt, result = convert_export(args.export, schema=_schema(args), all_annotators=args.all_annotators,
                                 unannotated=args.unannotated)
    print(f"{args.export}: {fmt} export")
    return _write(result, args.out, args.quiet)


def run_predict(args) -> int:
    """Print the summary; exit 1 if some task could not be predicted (each one listed)."""
    from ..labelstudio.predict import predict_project
    from ..tagger import Tagger

    tagger = Tagger.load(args.model)
    summary = predict_project(_client(args), args.project, tagger, batch_size=args.batch_size,
                              include_annotated=args.include_annotated)
    for problem in summary.problems:
        print(problem, file=sys.stderr)
    print(summary)
    print(f"project model version: {summary.model_version} (sort the Data Manager by Prediction score, "
          f"ascending, for uncertain tasks first)")
    return 1 if summary.problems else 0
