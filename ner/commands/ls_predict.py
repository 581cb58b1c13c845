"""``ner ls predict --project P --model DIR [--min-score S]``: pre-annotate a project's tasks with a model.

``--lexicon [DIR]`` instead of ``--model`` pre-annotates with the name lists alone (the bundled
``annotation/lexicons``, plus DIR's ``<Label>.txt`` files), as ``ner tag --lexicon`` tags: a team with no
trained model yet starts from what the lists know; every span goes (a list match has no score to cut on).
Without ``--min-score`` the threshold is the model's calibrated one
(``ner.train.calibrate.calibrate``: carried in the model directory, else found on the dev set
of its training configuration), printed with where it came from. Registered by ``ls.py``.
"""

from __future__ import annotations

import sys

from . import add_connection_args


def register_predict(lsub) -> None:
    p = lsub.add_parser("predict", help="pre-annotate the project's tasks with a trained model")
    p.add_argument("--project", required=True)
    p.add_argument("--model", help="model directory")
    p.add_argument("--lexicon", nargs="?", const="", default=None, metavar="DIR",
                   help="no model: pre-annotate with the name lists of annotation/lexicons, plus DIR's <Label>.txt "
                        "files (DIR wins where they differ)")
    p.add_argument("--min-score", type=float, default=None, metavar="S",
                   help="send only spans scored S or more (default: the threshold with the best F1 on the model's "
                        "dev set, printed; 0 when the model directory names none)")
    p.add_argument("--tasks-per-call", type=int, default=32, metavar="N", help="tasks per model call and request")
    p.add_argument("--include-annotated", action="store_true",
                   help="also pre-annotate tasks that already have annotations (the annotations stay as they are)")
    add_connection_args(p)
    p.set_defaults(func=run_predict)


def run_predict(args) -> int:
    """Print the threshold and the summary; exit 1 if some task could not be predicted (each one listed)."""
    from ..labelstudio.client import Client, connection_from
    from ..labelstudio.predict import predict_project
    from ..tagger.core import Tagger
    from ..tagger.engines import LEXICON, load_tagger
    from ..train.calibrate import calibrate

    if args.min_score is not None and not 0 <= args.min_score <= 1:
        print(f"ner ls predict: error: --min-score {args.min_score} must be between 0 and 1", file=sys.stderr)
        return 2
    if args.lexicon is not None and args.min_score is not None:
        print("ner ls predict: error: --min-score cuts on a model's scores; a list match has none (drop --min-score "
              "or pass --model DIR)", file=sys.stderr)
        return 2
    if (args.model is None) == (args.lexicon is None):
        print("ner ls predict: error: pass --model DIR (a trained model) or --lexicon (the name lists alone)",
              file=sys.stderr)
        return 2
    client = Client(connection_from(args.url, args.api_key))
    client.project(args.project)  # a missing project is one line before the model loads and calibrates
    if args.lexicon is not None:
        tagger = load_tagger(LEXICON + args.lexicon)
        min_score, where = 0.0, "the name lists: every match is sent"
    else:
        tagger = Tagger.load(args.model)
        min_score, where = args.min_score, "--min-score"
    if min_score is None:
        found = calibrate(args.model, tagger.model)
        min_score, where = found.min_score, found.describe("--min-score S sets one")
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
