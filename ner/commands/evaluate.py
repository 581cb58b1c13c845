"""``ner evaluate MODEL_DIR corpus.conll [--json] [--errors FILE] [--confusion PNG]``: strict seqeval scores."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="score a model on a CoNLL corpus (strict IOB2 seqeval)",
                       description="Per-label precision, recall, F1 and support with micro and macro "
                                   "averages (seqeval, strict mode, IOB2).")
    p.add_argument("model", metavar="MODEL_DIR", help="a directory written by 'ner train'")
    p.add_argument("corpus", metavar="CORPUS", help="CoNLL file with gold tags")
    p.add_argument("--map", metavar="A=B,...", default="",
                   help="rename corpus labels to the model's (Person=PER,...); unmapped labels become O")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument("--errors", metavar="FILE", help="write every false positive, false negative, boundary "
                                                    "and type error with its sentence")
    p.add_argument("--confusion", metavar="PNG", help="write the token-level confusion matrix")
    p.add_argument("--device", default=None, help="cpu or cuda (default: a GPU when present)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..evaluate import evaluate_model, format_evaluation

    result = evaluate_model(args.model, args.corpus, mapping=args.map, errors=args.errors,
                            confusion_png=args.confusion, device=args.device)
    if args.json:
        print(json.dumps(result.evaluation.as_dict() | {"model": result.version, "corpus": args.corpus},
                         ensure_ascii=False, indent=2))
    else:
        print(format_evaluation(result.evaluation, f"{result.version} on {args.corpus} "
                                                   f"({result.evaluation.n_sentences} sentences)"))
    for note in result.notes:
        print(note, file=sys.stderr)
    return 0
