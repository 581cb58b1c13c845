"""``export``: an annotated corpus as chat fine-tuning data, in the exact shape ``annotate`` sends.

Writes ``train.jsonl`` and ``test.jsonl`` (chat examples), ``test.gold.jsonl`` (the held-out
sentences as a corpus, to annotate with each model and score against) and ``report.json``.

Each sentence becomes ``{"messages": [system, user, assistant]}``: the system message of
``prompt.system_prompt``, the sentence's text verbatim, and ``prompt.format_answer`` of its
spans (mentions in text order; sentences without entities teach ``{"entities": []}``).
Documents are split into train and test, seeded (``test_share`` of the documents; a corpus
of one document is split by sentence, and the report says so). The checks follow OpenAI's
fine-tuning guide: fewer than ``MIN_EXAMPLES`` examples is an error, fewer than
``ADVISED_EXAMPLES`` a warning, examples over ``max_tokens`` are listed, and so are examples whose
answer would be placed elsewhere by ``annotate`` (a mention that also stands untagged earlier in
the text: ``round_trips``). Tokens are counted
with a local tokenizer when one is given, else estimated (``cost.message_tokens``).

Left out: uploading and starting the fine-tuning job (the provider's own tool does that).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from .cost import Prices, message_tokens
from .output import format_record
from .place import parse_answer, place_entities
from .prompt import format_answer, messages

MIN_EXAMPLES = 10
ADVISED_EXAMPLES = 50


@dataclass
class ExportReport:
    examples: dict[str, int]
    tokens: dict[str, int]
    token_count: str                     # "tokenizer DIR" or "estimate (...)"
    labels: dict[str, int]
    documents: dict[str, int]
    split_by: str                        # "document" or "sentence"
    over_limit: list[dict] = field(default_factory=list)
    ambiguous: list[dict] = field(default_factory=list)   # answers that place back elsewhere (see ``round_trips``)
    warnings: list[str] = field(default_factory=list)
    epochs: int = 3
    training_cost: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def split_items(items, test_share: float, seed: int) -> tuple[list, list, str]:
    """``(train, test, unit)``: whole documents to test (``test_share`` of them, seeded), or
    sentences when the corpus is one document."""
    if not 0 <= test_share < 1:
        raise UserError(f"--test-share {test_share}: give a share from 0 up to (not including) 1")
    documents = list(dict.fromkeys(item.document for item in items))
    unit = "document" if len(documents) > 1 else "sentence"
    keys = documents if unit == "document" else list(range(len(items)))
    order = list(keys)
    random.Random(seed).shuffle(order)
    n_test = round(len(order) * test_share)
    if test_share > 0 and n_test == 0 and len(order) > 1:
        n_test = 1
    test = set(order[:n_test])
    in_test = [(item.document if unit == "document" else k) in test for k, item in enumerate(items)]
    return ([i for i, t in zip(items, in_test) if not t], [i for i, t in zip(items, in_test) if t], unit)


def round_trips(item, answer: str, names) -> bool:
    """Whether ``answer``, placed as ``annotate`` places it, gives back ``item``'s spans: not when a mention
    also stands untagged earlier in the text (the earlier occurrence would be taken)."""
    placed = place_entities(item.text, parse_answer(answer)[0], names, item.offsets)
    return list(placed.spans) == [(s.start, s.end, s.label) for s in item.spans]


def export(items, out: str | Path, *, system: str, test_share: float = 0.1, seed: int = 13,
           max_tokens: int = 4096, tokenizer=None, token_count: str = "estimate", prices: Prices = Prices(),
           epochs: int = 3, names=None) -> ExportReport:
    """Write ``out/train.jsonl``, ``out/test.jsonl``, ``out/test.gold.jsonl`` and ``out/report.json``."""
    if len(items) < MIN_EXAMPLES:
        raise UserError(f"{len(items)} example(s): fine-tuning needs at least {MIN_EXAMPLES} "
                        f"(about {ADVISED_EXAMPLES} good ones to start); annotate more sentences")
    train, test, unit = split_items(items, test_share, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tokens, over, ambiguous = {}, [], []
    names = names or sorted({s.label for item in items for s in item.spans})
    for name, part in (("train", train), ("test", test)):
        total = 0
        with open(out / f"{name}.jsonl", "w", encoding="utf-8", newline="\n") as f:
            for item in part:
                answer = format_answer(item.spans)
                chat = messages(item.text, system) + [{"role": "assistant", "content": answer}]
                if not round_trips(item, answer, names):
                    ambiguous.append({"split": name, "id": item.id, "line": item.line, "answer": answer})
                n = message_tokens(chat, tokenizer)
                total += n
                if n > max_tokens:
                    over.append({"split": name, "id": item.id, "line": item.line, "tokens": n})
                f.write(json.dumps({"messages": chat}, ensure_ascii=False) + "\n")
        tokens[name] = total
    warnings = []
    if len(items) < ADVISED_EXAMPLES:
        warnings.append(f"{len(items)} examples: OpenAI's guide suggests starting with about {ADVISED_EXAMPLES} "
                        f"good ones")
    if unit == "sentence":
        warnings.append("the corpus is one document: split by sentence (sentences of one text may fall on "
                        "both sides)")
    report = ExportReport(
        {"train": len(train), "test": len(test)}, tokens, token_count,
        dict(sorted(Counter(s.label for item in items for s in item.spans).items())),
        {"train": len({i.document for i in train}), "test": len({i.document for i in test})}, unit, over,
        ambiguous, warnings, epochs, round(prices.training_cost(tokens["train"], epochs), 6))
    with open(out / "test.gold.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for item in test:  # the held-out sentences as a corpus: to annotate and to score against
            spans = [(s.start, s.end, s.label) for s in item.spans]
            f.write(json.dumps(format_record(item, spans), ensure_ascii=False) + "\n")
    (out / "report.json").write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n",
                                     encoding="utf-8")
    return report
