"""``ner evaluate MODEL_DIR CORPUS [--map A=B] [--keep L] [--labels FILE|auto] [--json] [--errors FILE]``:
strict seqeval scores of a trained model on a gold corpus (any format, by extension)."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="score a model on a gold corpus (strict IOB2 seqeval)",
                       description="Per-label precision, recall, F1 and support with micro and macro "
                                   "averages (seqeval, strict mode, IOB2).")
    p.add_argument("model", metavar="MODEL_DIR", help="a directory written by 'ner train'")
    p.add_argument("corpus", metavar="CORPUS", help="gold corpus: .conll, .jsonl, .csv, .spacy or a datasets dir")
    p.add_argument("--map", metavar="A=B,...", default=None,
                   help="rename corpus labels to the model's (Person=PER,...); unmapped labels become O "
                        "(default: the --map the model was trained with, from its train_config.toml)")
    p.add_argument("--keep", metavar="L1,L2,...", default=None,
                   help="keep these corpus labels under their own names (default: the model's --keep)")
    p.add_argument("--labels", metavar="FILE|auto", default=None,
                   help="the gold data's label set: a schema file, or 'auto' for the labels found in it "
                        "(default: the labels found in it, gold labels the model lacks counting as missed, "
                        "and named); model labels outside it are not scored (and named)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument("--errors", metavar="FILE", help="write every false positive, false negative, boundary "
                                                    "and type error with its sentence")
    p.add_argument("--confusion", metavar="PNG", help="write the token-level confusion matrix")
    p.add_argument("--device", default=None, help="cpu or cuda (default: a GPU when present)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..evaluate import evaluate_model, format_evaluation

    result = evaluate_model(args.model, args.corpus, mapping=args.map, keep=args.keep, labels=args.labels,
                            errors=args.errors, confusion_png=args.confusion, device=args.device)
    if args.json:
        print(json.dumps(result.evaluation.as_dict() | {"model": result.version, "corpus": args.corpus,
                                                        "excluded_labels": list(result.excluded)},
                         ensure_ascii=False, indent=2))
    else:
        print(format_evaluation(result.evaluation, f"{result.version} on {args.corpus} "
                                                   f"({result.evaluation.n_sentences} sentences)"))
    for note in result.notes:
        print(note, file=sys.stderr)
    return 0
