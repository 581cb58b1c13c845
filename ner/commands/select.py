"""``ner select POOL --model DIR -n N`` / ``ner select --project P --model DIR -n N``: what to label next.

Prints the chosen texts in order (rank, where, priority, the uncertainty measures, text),
or ``--json``; ``--out FILE`` writes them (a text file: one per line; a corpus: the chosen
sentences as the pool holds them). With ``--project`` the chosen unannotated tasks are
ranked in Label Studio (data field ``ner_select`` and a Data Manager tab sorted by it).
"""

from __future__ import annotations

import json
import sys

WORDS_PER_MINUTE = 60.0  # reading and labelling together; people read prose at ~200, labelling is slower


def register(sub) -> None:
    p = sub.add_parser("select", help="pick the texts whose labels help the model most (active learning)",
                       description="From a pool (a text file with one text per line, a corpus whose tags are "
                                   "ignored, or the unannotated tasks of a Label Studio project) pick the texts "
                                   "(N, or as many as a budget holds) with the most expected wrong words per word "
                                   "read (--cost sentences: per text), skipping near-duplicates of texts already "
                                   "picked; --strategy random for comparison.")
    p.add_argument("pool", nargs="?", default=None, help="text file (one text per line) or corpus (CoNLL, JSONL...)")
    p.add_argument("--project", default=None, help="Label Studio project title: its unannotated tasks are the pool")
    p.add_argument("--model", default=None, help="model directory (needed by --strategy uncertainty)")
    p.add_argument("-n", type=int, default=None, help="how many texts to choose (at most, with a budget)")
    p.add_argument("--budget-tokens", type=int, default=None, metavar="N",
                   help="fill the batch up to N words (the annotator's reading)")
    p.add_argument("--budget-minutes", type=float, default=None, metavar="M",
                   help="fill the batch up to M minutes of annotation at --words-per-minute")
    p.add_argument("--words-per-minute", type=float, default=WORDS_PER_MINUTE, metavar="W",
                   help=f"annotation speed for --budget-minutes, words read and labelled per minute (default "
                        f"{WORDS_PER_MINUTE:g}: measure your team's own from Label Studio's lead times)")
    p.add_argument("--cost", choices=("tokens", "sentences"), default="tokens",
                   help="what a text costs: its words (default: long texts cost more, so selection looks "
                        "for the most to learn per word read) or 1 per text (the older behaviour)")
    p.add_argument("--strategy", choices=("uncertainty", "random"), default="uncertainty")
    p.add_argument("--measures", default=None, metavar="M,M",
                   help="uncertainty measures to combine (ranks averaged): density (expected wrong words per word "
                        "read), errors (expected wrong words, favours longer texts), least (least confident word), "
                        "mnlp (mean log-probability, length-normalised), bald (what 8 dropout draws of the model "
                        "disagree on, per word read; navec and transformer models); default density with --cost "
                        "tokens, errors,least with --cost sentences")
    p.add_argument("--diversity", type=float, default=1.0,
                   help="weight of the near-duplicate penalty, 0 to 1 (default 1; 0: pure uncertainty)")
    p.add_argument("--explore", type=float, default=0.0, metavar="SHARE",
                   help="share of the batch (of -n, or of the budget) drawn at random from the rest of the pool, "
                        "spread through the ranking, 0 to 1 (default 0: every text by uncertainty)")
    p.add_argument("--seed", type=int, default=0, help="seed of --strategy random and of --explore's draw")
    p.add_argument("--labelled", default=None, metavar="PATH",
                   help="texts already labelled (a corpus or text file): a text like one of them is penalised as an "
                        "earlier pick of the batch is (with --project the project's annotated tasks count too)")
    p.add_argument("--from", dest="fmt", default=None, metavar="FMT",
                   help="pool format: text, conll, jsonl... (default: from the suffix; a .txt is sniffed)")
    p.add_argument("--out", default=None, metavar="FILE", help="write the chosen texts (.txt: one per line) or sentences (a corpus suffix: "
                        "as the pool holds them; a text pool's words get tag O)")
    p.add_argument("--json", action="store_true", help="print the choice as JSON lines")
    p.add_argument("--url", default=None, help="Label Studio URL (default: $LABEL_STUDIO_URL)")
    p.add_argument("--api-key", default=None, help="Label Studio token (default: $LABEL_STUDIO_API_KEY)")
    p.set_defaults(func=run)


def _untagged(candidate, rank: int):
    """A chosen text (no corpus record behind it) as a document of its sentences, every tag O
    (offsets into the text kept when razdel splits it into the same words)."""
    from ..records import Document, Sentence
    from ..text import segment

    found = segment(candidate.text)
    sentences = []
    if [tuple(w for _, _, w in words) for words in found] == [tuple(ws) for ws in candidate.sentences]:
        for words in found:
            start, end = words[0][0], words[-1][1]
            sentences.append(Sentence(tuple(w for _, _, w in words), ("O",) * len(words), 0, "",
                                      candidate.text[start:end], tuple((a - start, b - start) for a, b, _ in words)))
    else:
        sentences = [Sentence(tuple(ws), ("O",) * len(ws)) for ws in candidate.sentences if ws]
    return Document(f"selected-{rank}", tuple(sentences))


def _write(choices, path: str) -> str:
    from pathlib import Path

    from ..formats.registry import dump, guess_format
    from ..records import Document

    sources = [c.candidate.source for c in choices]
    if Path(path).suffix.lower() == ".txt":
        Path(path).write_text("".join(c.candidate.text.replace("\n", " ") + "\n" for c in choices), encoding="utf-8")
        return "texts"
    if any(s is None for s in sources):  # texts (a text file, Label Studio tasks): words, tags O, a text a document
        dump([_untagged(c.candidate, c.rank) for c in choices], path, guess_format(path))
        return "texts (tags O)"
    dump([Document("selected", tuple(sources))], path, guess_format(path))
    return "sentences"


def _budget(args) -> float | None:
    """The batch's budget in the unit of ``--cost`` (None: only -n limits it)."""
    from ..errors import UserError

    if args.budget_tokens is not None and args.budget_minutes is not None:
        raise UserError("give one of --budget-tokens and --budget-minutes, not both")
    if args.budget_tokens is not None and args.budget_tokens < 1:
        raise UserError("--budget-tokens must be 1 or more")
    if args.budget_minutes is not None and not args.budget_minutes > 0:
        raise UserError("--budget-minutes must be more than 0")
    if not args.words_per_minute > 0:
        raise UserError("--words-per-minute must be more than 0")
    words = args.budget_tokens if args.budget_minutes is None else args.budget_minutes * args.words_per_minute
    if words is None and args.n is None:
        raise UserError("give -n, --budget-tokens or --budget-minutes: how much to choose")
    if words is not None and args.cost == "sentences":
        raise UserError("a words budget needs --cost tokens")
    return words


def run(args) -> int:
    from ..check import Report
    from ..errors import UserError
    from ..quality.select import select
    from ..quality.select_pool import FIELD, VIEW_TITLE, mark_project, pool_from_path, project_pool

    if (args.pool is None) == (args.project is None):
        raise UserError("give a POOL file or --project (one of them)")
    if args.n is not None and args.n < 1:
        raise UserError("-n must be 1 or more")
    budget = _budget(args)
    if args.strategy == "uncertainty" and not args.model:
        raise UserError("--strategy uncertainty needs --model DIR (or use --strategy random)")
    if not 0 <= args.diversity <= 1:
        raise UserError("--diversity must be between 0 and 1")
    if not 0 <= args.explore <= 1:
        raise UserError("--explore must be between 0 and 1")
    if args.out and args.pool:
        from pathlib import Path

        if Path(args.out).resolve() == Path(args.pool).resolve():
            raise UserError(f"--out {args.out} is the pool itself: writing the choice there would drop the "
                            f"rest of the pool; give another file")
    from ..quality.select import MEASURES

    measures = None
    if args.measures is not None:
        measures = tuple(m.strip() for m in args.measures.split(",") if m.strip())
        if not measures or set(measures) - set(MEASURES):
            raise UserError(f"--measures {args.measures!r}: choose from {', '.join(MEASURES)}")
    report = Report()
    client = None
    if args.project:
        from ..labelstudio.client import Client, connection_from

        client = Client(connection_from(args.url, args.api_key))
        project_id, tasks, pool, labelled = project_pool(client, args.project, report)
    else:
        pool = pool_from_path(args.pool, args.fmt)
        labelled = []
    if args.labelled:
        labelled += pool_from_path(args.labelled)
    model = None
    if args.strategy == "uncertainty":
        from ..models import load_model

        model = load_model(args.model)
    choices = select(pool, args.n, model=model, strategy=args.strategy, diversity=args.diversity, seed=args.seed,
                     measures=measures, cost=args.cost, budget=budget, explore=args.explore, labelled=labelled)
    if args.json:
        for c in choices:
            print(json.dumps(c.as_dict(), ensure_ascii=False))
    else:
        words = sum(c.tokens for c in choices)
        print(f"{len(choices)} of {len(pool)} texts chosen ({args.strategy}): {words} words, about "
              f"{words / args.words_per_minute:.0f} min at {args.words_per_minute:g} words/min")
        if not choices and budget is not None and pool:
            smallest = min(c.tokens for c in pool) if args.cost == "tokens" else 1
            print(f"nothing fits the budget of {budget:g} words: the shortest text has {smallest}; give a larger "
                  f"--budget-tokens or --budget-minutes", file=sys.stderr)
        for c in choices:
            text = " ".join(c.candidate.text.split())  # one row per text: its line breaks would break the table
            text = text if len(text) <= 80 else text[:77] + "..."
            scores = "" if c.errors is None else "drawn at random  " if c.priority is None else \
                f"priority {c.priority:.3f}  errors {c.errors:.2f}  least {c.least:.3f}  mnlp {c.mnlp:.3f}  " + \
                ("" if c.bald is None else f"bald {c.bald:.3f}  ")
            print(f"{c.rank:4d}  {c.candidate.where}  {scores}{text}")
    if args.out:
        kind = _write(choices, args.out)
        print(f"wrote {len(choices)} {kind} to {args.out}", file=sys.stderr)
    if client is not None:
        done = mark_project(client, project_id, tasks, choices)
        print(f"Label Studio: {done['ranked']} task(s) ranked in data.{FIELD} ({done['marked']} changed, "
              f"{done['cleared']} earlier mark(s) cleared); open the Data Manager tab {VIEW_TITLE!r} (first, sorted by {FIELD}; the chosen tasks "
              f"come first, 'Label All Tasks' follows that order), or sort any tab by the {FIELD} column",
              file=sys.stderr)
    for issue in report.issues:
        print(issue, file=sys.stderr)
    return 0
