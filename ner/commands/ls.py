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

LABELS_HELP = ("label schema: a TOML file like annotation/labels.toml or one label per line; 'auto' takes the "
               "labels found in the data (default: the labels of the project's labeling config)")


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
    p.add_argument("paths", nargs="*", metavar="PATH", help="corpora to take the labels from (with --labels auto)")
    p.add_argument("--project", required=True, help="project title (3+ characters)")
    p.add_argument("--labels", metavar="FILE|auto", default=None,
                   help="label schema file, or 'auto' for the labels found in PATH... "
                        "(default: annotation/labels.toml)")
    p.add_argument("--write-config", metavar="FILE", default=None,
                   help="also write the labeling config XML to FILE (e.g. annotation/labeling_config.xml)")
    _connection_args(p)
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
    p.add_argument("--sentences-per-task", type=int, default=10, metavar="N",
                   help="at most N sentences per task (default 10; 0: no limit)")
    p.add_argument("--chars-per-task", type=int, default=1500, metavar="M",
                   help="at most M characters per task, whichever limit comes first; a longer sentence is a task "
                        "of its own (default 1500; 0: no limit; both 0: one task per document)")
    p.add_argument("--tasks-per-request", type=int, default=500, metavar="N",
                   help="tasks per import request (default 500); keep it on re-push: complete batches are then "
                        "checked with one count")
    _connection_args(p)
    p.set_defaults(func=run_push)

    p = lsub.add_parser("pull", help="write the project's annotations as a corpus (format by OUT's extension)")
    p.add_argument("out", help="output file, e.g. out.conll or out.jsonl (with --all: OUT.<annotator>.EXT each)")
    p.add_argument("--project", required=True)
    p.add_argument("--labels", metavar="FILE|auto", default=None, help=LABELS_HELP)
    _policy_args(p)
    _connection_args(p)
    p.set_defaults(func=run_pull)

    p = lsub.add_parser("convert", help="convert a UI export file (JSON, JSON-MIN, CONLL2003) to a corpus, offline")
    p.add_argument("export", help="the file downloaded from Label Studio's Export dialog")
    p.add_argument("out", help="output file (format by its extension: .conll, .jsonl, ...)")
    p.add_argument("--labels", metavar="FILE|auto", default="auto",
                   help="label schema to check the labels against (default: auto, any label)")
    _policy_args(p)
    p.set_defaults(func=run_convert)

    p = lsub.add_parser("predict", help="pre-annotate the project's tasks with a trained model")
    p.add_argument("--project", required=True)
    p.add_argument("--model", required=True, help="model directory")
    p.add_argument("--min-score", type=float, default=None, metavar="S",
                   help="send only spans scored S or more (default: the threshold with the best F1 on the model's "
                        "dev set, printed; 0 when the model directory names none)")
    p.add_argument("--tasks-per-call", type=int, default=32, metavar="N", help="tasks per model call and request")
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


def _schema(value, project=None):
    """The schema of a --labels value: None (auto) for 'auto', the project's config labels when not given."""
    from ..schema import Schema, load_schema

    if value == "auto":
        return None
    if value is None and project is not None:
        from ..labelstudio.config import config_names

        labels = config_names(project["label_config"], f"project {project['title']!r}").labels
        return Schema.auto(labels, f"project {project['title']!r}") if labels else None
    return load_schema(value)


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
        schema = _schema(args.labels)
    project, created = init_project(_client(args), args.project, schema)
    if args.write_config:
        dump_labeling_config(schema, args.write_config)
    print(f"{'created' if created else 'updated'} project {args.project!r} (id {project['id']}) "
          f"with {len(schema.labels)} labels: {', '.join(schema.names)}")
    return 0


def run_push(args) -> int:
    from ..labelstudio.layout import Layout
    from ..labelstudio.sync import push

    if args.sentences_per_task < 0 or args.chars_per_task < 0:
        print("ner ls push: error: --sentences-per-task and --chars-per-task must be 0 or more", file=sys.stderr)
        return 2
    client = _client(args)
    client.project(args.project)  # a missing project is one line before the corpus is read
    # Without --labels the project's config decides: push refuses labels it lacks, in one line.
    docs = _read(args.paths, None if args.labels is None else _schema(args.labels), texts=True)
    if docs is None:
        return 1
    if args.tags_as is None:  # texts with no entity: an empty annotation would mark their tasks done
        tagged = any(t != "O" for d in docs for s in d.sentences for t in s.tags)
        args.tags_as = "annotations" if tagged else "none"
        if not tagged:
            print("no entity in the input: tasks are sent as texts to annotate (no annotation), so 'ner ls predict' "
                  "pre-annotates them")
    layout = Layout(args.sentences_per_task, args.chars_per_task)
    bar = _bar(None, "push")
    result = push(client, args.project, docs, layout=layout, tags_as=None if args.tags_as == "none" else args.tags_as,
                  model_version=args.model_version, batch_size=args.tasks_per_request,
                  progress=bar.update if bar is not None else None)
    if bar is not None:
        bar.close()
    print(f"{result.documents} document(s) as {result.tasks} task(s), {layout.describe()} "
          f"(--sentences-per-task {layout.sentences} --chars-per-task {layout.chars}); the document ids stay in "
          f"task meta, so pull puts documents back together")
    if result.same_content:
        print(f"{len(result.same_content)} document(s) repeat the content of another and were pushed once: "
              + _listing(f"{a} = {b}" for a, b in result.same_content))
    status = 0
    if result.changed:
        print(f"changed: {len(result.changed)} document(s) differ from their tasks in the project and were not "
              f"pushed: {_listing(result.changed)}; delete those tasks in Label Studio to push the new versions")
        status = 1
    if result.relaid:
        print(f"layout: {len(result.relaid)} document(s) are in the project cut another way and were not pushed: "
              f"{_listing(result.relaid)}; push with the layout they were pushed with, or delete their tasks")
        status = 1
    kind = "prediction(s)" if args.tags_as == "predictions" else "annotation(s)"
    attached = f", {result.attached} {kind} attached to tasks already there" if result.attached else ""
    if result.kept_annotated:
        attached += f", {result.kept_annotated} task(s) already annotated by a person left as they are"
    print(f"{result.created} task(s) created, {result.unchanged} already there, {len(result.changed)} document(s) "
          f"changed{attached} (project id {result.project_id})")
    return status


def _listing(items, most: int = 5) -> str:
    items = list(items)
    shown = ", ".join(repr(x) if isinstance(x, str) and " = " not in x else str(x) for x in items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def _bar(total, what: str):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="task", desc=what, file=sys.stderr, disable=None)


def _write(result, out: str, quiet: bool) -> int:
    from pathlib import Path

    from ..formats.registry import dump

    for issue in result.report.issues:
        if not quiet or issue.severity == "error":
            print(issue)
    out_path = Path(out)
    for who, docs in sorted(result.documents.items()):
        target = out_path if not who else out_path.with_name(f"{out_path.stem}.{who}{out_path.suffix or '.conll'}")
        n = dump(docs, target)
        print(f"wrote {target} ({len(docs)} document(s), {n} sentence(s))")
    if not result.documents:
        print("no annotated tasks: nothing written (--unannotated writes them with O tags)")
    print(f"{result.tasks} task(s), {result.annotated} annotated: {result.report.summary()}")
    return 1 if result.report.errors else 0


def _out_format(out: str) -> None:
    """Refuse an output file whose extension names no corpus format, before any work is done."""
    from ..errors import UserError
    from ..formats.registry import FORMATS, guess_format

    try:
        guess_format(out, None)
    except UserError:
        suffixes = ", ".join(x for f in FORMATS.values() for x in f.suffixes)
        raise UserError(f"{out}: the extension names no corpus format; use one of {suffixes}") from None


def run_pull(args) -> int:
    from ..labelstudio.sync import pull

    _out_format(args.out)  # an unknown extension is refused before the server is asked
    client = _client(args)
    schema = _schema(args.labels, client.project(args.project))
    result = pull(client, args.project, schema=schema, all_annotators=args.all_annotators,
                  unannotated=args.unannotated)
    return _write(result, args.out, args.quiet)


def run_convert(args) -> int:
    from ..labelstudio.sync import convert_export

    _out_format(args.out)
    fmt, result = convert_export(args.export, schema=_schema(args.labels), all_annotators=args.all_annotators,
                                 unannotated=args.unannotated)
    print(f"{args.export}: {fmt} export")
    return _write(result, args.out, args.quiet)


def run_predict(args) -> int:
    """Print the threshold and the summary; exit 1 if some task could not be predicted (each one listed)."""
    from ..labelstudio.predict import predict_project
    from ..tagger.core import Tagger

    if args.min_score is not None and not 0 <= args.min_score <= 1:
        print(f"ner ls predict: error: --min-score {args.min_score} must be between 0 and 1", file=sys.stderr)
        return 2
    client = _client(args)
    client.project(args.project)  # a missing project is one line before the model loads and calibrates
    tagger = Tagger.load(args.model)
    min_score, where = args.min_score, "--min-score"
    if min_score is None:
        min_score, where = _calibrated(args.model, tagger)
    print(f"min score {min_score} ({where}); spans starting or ending on a token with no letter or digit are "
          f"never sent", file=sys.stderr)
    summary = predict_project(client, args.project, tagger, batch_size=args.tasks_per_call,
                              include_annotated=args.include_annotated, min_score=min_score,
                              announce=lambda line: print(line, file=sys.stderr))
    for problem in summary.problems:
        print(problem, file=sys.stderr)
    print(summary)
    print(f"project model version: {summary.model_version} (sort the Data Manager by Prediction score, "
          f"ascending, for uncertain tasks first)")
    return 1 if summary.problems else 0


def _calibrated(model_dir, tagger) -> tuple[float, str]:
    """The span-score threshold with the best F1 on the model's dev set, and where it came from."""
    from ..errors import UserError
    from ..backend.retrain import Retrainer, min_score_for

    try:
        _, _, dev_sents, dev = Retrainer(model_dir).base_split()
    except UserError as e:
        # The reason without its hint for ner serve's flags; this command's own way out instead.
        return 0.0, f"not calibrated: {str(e).split('; pass ner serve')[0]}; --min-score S sets one"
    if not dev_sents:
        return 0.0, "not calibrated: the model's training config names no dev set; --min-score S sets one"
    return min_score_for(tagger.model, dev_sents), f"calibrated on {dev}"
