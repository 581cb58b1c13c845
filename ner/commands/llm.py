"""``ner llm annotate`` and ``ner llm export``: LLMs as annotators, the corpus as fine-tuning data.

``annotate INPUT --endpoint URL --model NAME --out OUT.jsonl`` sends each text to an
OpenAI-compatible endpoint and writes the placed answers (``ner.llm.annotate``); exit 0 when
every text got an answer, 1 when some did not (listed), 2 on usage errors. ``export CORPUS
--out DIR`` writes chat fine-tuning data (``ner.llm.export``); exit 1 when examples exceed
``--max-tokens``. The key is read from ``$NER_LLM_API_KEY`` (``--api-key-env``) and goes
to the client only. See docs/llm.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import add_labels_arg


def register(sub) -> None:
    p = sub.add_parser("llm", help="LLM annotators (OpenAI-compatible endpoints) and fine-tuning data",
                       description="Label texts with an LLM behind any OpenAI-compatible endpoint, or export "
                                   "an annotated corpus as chat fine-tuning data. See docs/llm.md.")
    llm = p.add_subparsers(dest="llm_command", metavar="{annotate,export}")
    a = llm.add_parser("annotate", help="label texts with an LLM; answers placed at exact offsets",
                       description="Send each text (a .txt line, a JSONL record's text, a corpus sentence) to an "
                                   "OpenAI-compatible chat endpoint and write one JSONL record per answered text, "
                                   "in input order: text, tokens, tags, spans, annotator, unplaced mentions.")
    a.add_argument("input", metavar="INPUT", help=".txt (one text per line; --from conll for CoNLL in a .txt), "
                                                  ".jsonl, or any corpus file")
    a.add_argument("--endpoint", required=True, metavar="URL",
                   help="the API's base URL, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1")
    a.add_argument("--model", required=True, metavar="NAME", help="model name the endpoint knows")
    a.add_argument("--out", required=True, metavar="OUT.jsonl", help="output JSONL")
    a.add_argument("--report", default=None, metavar="FILE.json", help="JSON report (default: OUT.report.json)")
    a.add_argument("--from", dest="fmt", default=None, metavar="FMT", help="input corpus format (default: suffix)")
    add_labels_arg(a)
    a.add_argument("--guidelines", default=None, metavar="FILE.md", help="default: annotation/guidelines.md")
    a.add_argument("--short-prompt", action="store_true",
                   help="a one-line system message (for a model fine-tuned on 'ner llm export --short-prompt')")
    a.add_argument("--api-key-env", default="NER_LLM_API_KEY", metavar="NAME",
                   help="environment variable holding the key (default NER_LLM_API_KEY; none for local servers)")
    a.add_argument("--examples", default=None, metavar="CORPUS", help="annotated corpus to take examples from")
    a.add_argument("--shots", type=int, default=3, metavar="K", help="examples per request with --examples (3)")
    a.add_argument("--concurrency", type=int, default=4, metavar="N", help="requests in flight (4)")
    a.add_argument("--retries", type=int, default=5, help="retries on 429, 5xx, timeouts, dropped connections (5)")
    a.add_argument("--backoff", type=float, default=1.0, metavar="S",
                   help="seconds before the first retry, doubled each time; Retry-After wins (1)")
    a.add_argument("--timeout", type=float, default=60.0, metavar="S", help="seconds per request (60)")
    a.add_argument("--temperature", type=float, default=0.0)
    a.add_argument("--max-tokens", type=int, default=None, metavar="N", help="answer length limit")
    a.add_argument("--no-structured", action="store_true", help="do not send response_format (plain JSON)")
    a.add_argument("--cache-dir", default=None, metavar="DIR", help="answers cache (default: $NER_CACHE_DIR/llm)")
    a.add_argument("--no-cache", action="store_true", help="ask again even for cached requests")
    add_price_args(a)
    a.add_argument("--max-cost", type=float, default=None, metavar="X",
                   help="stop sending once this much is spent (in the prices' currency)")
    a.add_argument("--dry-run", action="store_true", help="count requests, tokens and cost; send nothing")
    a.set_defaults(func=run_annotate)
    e = llm.add_parser("export", help="an annotated corpus as chat fine-tuning data (train/test JSONL)",
                       description="Write DIR/train.jsonl and DIR/test.jsonl, one {\"messages\": [system, user, "
                                   "assistant]} per sentence, exactly as 'ner llm annotate' sends and expects, "
                                   "split by document; DIR/report.json counts examples, tokens, labels, cost.")
    e.add_argument("corpus", metavar="CORPUS", help="annotated corpus (any format the toolkit reads)")
    e.add_argument("--out", required=True, metavar="DIR")
    e.add_argument("--from", dest="fmt", default=None, metavar="FMT")
    add_labels_arg(e)
    e.add_argument("--guidelines", default=None, metavar="FILE.md")
    e.add_argument("--short-prompt", action="store_true",
                   help="teach with a one-line system message instead of the labels and guidelines")
    e.add_argument("--test-share", type=float, default=0.1, help="share of documents held out (0.1)")
    e.add_argument("--seed", type=int, default=13)
    e.add_argument("--max-tokens", type=int, default=4096, metavar="N", help="per-example limit to check (4096)")
    e.add_argument("--tokenizer", default=None, metavar="DIR", help="local Hugging Face tokenizer to count with")
    e.add_argument("--epochs", type=int, default=3, help="epochs for the training cost estimate (3)")
    e.add_argument("--model", default="", metavar="NAME", help="model whose prices --prices gives")
    add_price_args(e)
    e.add_argument("--price-training", type=float, default=None, metavar="X", help="per 1M training tokens")
    e.set_defaults(func=run_export)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def add_price_args(parser) -> None:
    parser.add_argument("--prices", default=None, metavar="FILE.toml",
                        help="prices per 1M tokens by model (configs/llm_prices.toml)")
    parser.add_argument("--price-input", type=float, default=None, metavar="X", help="per 1M input tokens")
    parser.add_argument("--price-output", type=float, default=None, metavar="X", help="per 1M output tokens")


def prices_from(args, model: str):
    from ..llm.cost import Prices, load_prices

    base = load_prices(args.prices, model) if args.prices else Prices()
    training = getattr(args, "price_training", None)
    return Prices(base.input if args.price_input is None else args.price_input,
                  base.output if args.price_output is None else args.price_output,
                  base.training if training is None else training)


def _check(args) -> None:
    from ..errors import UserError

    for flag, value, low in (("--concurrency", args.concurrency, 1), ("--retries", args.retries, 0),
                             ("--shots", args.shots, 0), ("--timeout", args.timeout, 0.001),
                             ("--backoff", args.backoff, 0)):
        if value < low:
            raise UserError(f"{flag} {value}: give {low} or more")
    if not args.endpoint.startswith(("http://", "https://")):
        raise UserError(f"--endpoint {args.endpoint}: give the API's base URL, e.g. http://127.0.0.1:8000/v1")


def _note_remote(endpoint, cache_root: Path) -> None:
    """Say once per host that texts leave this machine (remembered under the cache)."""
    seen = cache_root / "remote-hosts.txt"
    known = set(seen.read_text(encoding="utf-8").split()) if seen.exists() else set()
    if endpoint.local or endpoint.host in known:
        return
    print(f"note: the texts are sent to {endpoint.host} (model {endpoint.model}) and leave this machine; "
          f"this note is shown once per host", file=sys.stderr)
    seen.parent.mkdir(parents=True, exist_ok=True)
    with open(seen, "a", encoding="utf-8") as f:
        f.write(endpoint.host + "\n")


def _schema(args):
    from ..errors import UserError
    from ..schema import load_schema

    if args.labels == "auto":
        raise UserError("--labels auto: the LLM is asked for a fixed label set; give --labels FILE or leave it out "
                        "(annotation/labels.toml)")
    return load_schema(args.labels)


def run_annotate(args) -> int:
    from ..llm.annotate import AnnotateConfig, annotate
    from ..llm.cache import AnswerCache, NoCache
    from ..llm.client import Endpoint, make_client
    from ..llm.inputs import read_corpus_items, read_items
    from ..llm.output import format_output
    from ..llm.prompt import load_guidelines, short_prompt, system_prompt
    from ..settings import cache_dir, llm_api_key

    _check(args)
    schema = _schema(args)
    system = short_prompt(schema) if args.short_prompt else system_prompt(schema, load_guidelines(args.guidelines))
    items = read_items(args.input, args.fmt)
    pool = read_corpus_items(args.examples, schema=schema) if args.examples else ()
    endpoint = Endpoint(args.endpoint.rstrip("/"), args.model)
    config = AnnotateConfig(endpoint, args.concurrency, args.retries, args.backoff, not args.no_structured,
                            args.temperature, args.max_tokens, args.shots if pool else 0,
                            prices_from(args, args.model), args.max_cost, args.dry_run)
    root = Path(args.cache_dir) if args.cache_dir else cache_dir() / "llm"
    cache = AnswerCache(root / "answers")
    key = llm_api_key(args.api_key_env)
    client = None
    if not args.dry_run:
        _note_remote(endpoint, root)
        client = make_client(endpoint, key, args.timeout)
    bar = _progress(len(items))
    try:
        result = annotate(items, config=config, schema=schema, system=system,
                          cache=NoCache(cache) if args.no_cache else cache, client=client, key=key, pool=pool,
                          progress=lambda outcome: bar.update(1))
    finally:
        bar.close()
    summary = result.summary()
    failed = [(items[o.index], o.error) for o in result.outcomes if o.error]
    summary["failed_texts"] = [{"id": item.id, "line": item.line, "error": error} for item, error in failed]
    if not args.dry_run:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            for o in result.outcomes:
                if o.placement is not None:
                    f.write(json.dumps(format_output(items[o.index], o.placement, endpoint.annotator),
                                       ensure_ascii=False) + "\n")
    report = Path(args.report or f"{args.out}.report.json")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(format_summary(summary, args.out), file=sys.stderr)
    for item, error in failed:
        print(f"{args.input}:{item.line or item.id}: no answer: {error}", file=sys.stderr)
    return 1 if failed or summary["not_sent"] else 0


def format_summary(s: dict, out: str) -> str:
    cost = f"{s['cost']:.4f}" if s["prices_per_1m"]["input"] or s["prices_per_1m"]["output"] else "– (no prices)"
    head = "dry run: would send" if s["dry_run"] else "sent"
    lines = [f"{s['annotator']}: {s['texts']} texts, {s['answered']} answered ({s['cached']} from the cache), "
             f"{s['failed']} failed, {s['not_sent']} not sent",
             f"{head} {s['requests'] if not s['dry_run'] else s['texts'] - s['cached'] - s['not_sent']} request(s); tokens in "
             f"{s['input_tokens']}, out {s['output_tokens']}{' (estimated)' if s['dry_run'] else ''}; cost {cost}",
             f"{s['spans']} spans placed ({s['widened_to_tokens']} widened to whole tokens), "
             f"{s['truncated_answers']} cut-off answers; unplaced: "
             + (", ".join(f"{n} {reason}" for reason, n in s["unplaced"].items()) or "none")]
    if s["refused"]:
        lines.append(f"stopped: the endpoint refused the request ({s['refused']}); check --endpoint, --model and "
                     f"the key")
    if s["stopped_by_max_cost"]:
        lines.append("stopped: --max-cost reached; a re-run sends only what is missing")
    if not s["dry_run"]:
        lines.append(f"wrote {out}")
    return "\n".join(lines)


def _progress(total: int):
    try:
        from tqdm import tqdm
    except ModuleNotFoundError:
        class Quiet:
            def update(self, n): pass
            def close(self): pass
        return Quiet()
    return tqdm(total=total, unit="text", file=sys.stderr, disable=None, leave=False)


def run_export(args) -> int:
    from ..llm.cost import load_tokenizer
    from ..llm.export import export
    from ..llm.inputs import read_corpus_items
    from ..llm.prompt import load_guidelines, short_prompt, system_prompt

    schema = _schema(args)
    system = short_prompt(schema) if args.short_prompt else system_prompt(schema, load_guidelines(args.guidelines))
    items = read_corpus_items(args.corpus, args.fmt, schema=schema)
    tokenizer = load_tokenizer(args.tokenizer)
    how = f"tokenizer {args.tokenizer}" if tokenizer else "estimate (3 characters a token + 4 a message)"
    report = export(items, args.out, system=system, test_share=args.test_share, seed=args.seed,
                    max_tokens=args.max_tokens, tokenizer=tokenizer, token_count=how,
                    prices=prices_from(args, args.model), epochs=args.epochs, names=schema.names)
    print(f"{report.examples['train']} train / {report.examples['test']} test examples (split by {report.split_by}: "
          f"{report.documents['train']} / {report.documents['test']} documents); tokens {report.tokens['train']} / "
          f"{report.tokens['test']} ({report.token_count})")
    print("entities: " + (", ".join(f"{k} {v}" for k, v in report.labels.items()) or "none"))
    if prices_from(args, args.model).training:
        print(f"training cost for {report.epochs} epoch(s): {report.training_cost:.4f}")
    else:
        print(f"training cost for {report.epochs} epoch(s): – (no training price: --price-training USD_PER_1M or "
              f"--prices configs/llm_prices.toml)")
    if not args.short_prompt and report.tokens["train"]:
        print("most of these tokens are the system message repeated in every example; --short-prompt teaches the "
              "model to answer from a one-line one")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for o in report.over_limit:
        print(f"{args.corpus}:{o['line'] or o['id']}: {o['tokens']} tokens, over --max-tokens {args.max_tokens} "
              f"({o['split']})", file=sys.stderr)
    for a in report.ambiguous:
        print(f"{args.corpus}:{a['line'] or a['id']}: warning: a mention also stands untagged earlier in the text; "
              f"'ner llm annotate' places the answer {a['answer']} on the earlier occurrence", file=sys.stderr)
    print(f"wrote {args.out}/train.jsonl, test.jsonl, test.gold.jsonl (the held-out sentences), report.json")
    return 1 if report.over_limit else 0
