"""``annotate``: texts sent to an OpenAI-compatible endpoint, answers placed, in input order.

For each text the request is built (``prompt.messages``; with ``shots`` the most similar
annotated sentences come first), looked up in the cache, sent otherwise (``client.complete``:
retries and backoff there), parsed and placed (``place``). An answer that is not JSON is
asked for once more and then recorded as the text's error; the run goes on. Up to
``concurrency`` requests are in flight (daemon threads; the ``openai`` client is thread-safe).
Only answers that parse are cached, so a re-run sends nothing for them and asks again for
the rest; an interrupted run resumes from the cache. ``max_cost`` stops sending new texts
once the money spent reaches it (requests in flight still finish and count); a 401, 403 or
404 (a wrong key, endpoint or model), or an endpoint that never answered a text's every attempt,
stops sending at once. ``dry_run``
sends nothing and estimates the tokens and cost of what would be sent.

The result (``Run``) holds one ``Outcome`` per text that was handled and the summary
(``Run.summary()``: texts, answers, failures, requests, tokens, cost, unplaced by reason).

Left out: batch APIs (OpenAI's Batch API halves the price at a day's latency).
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .cache import cache_key
from .client import Endpoint, RequestFailed, complete
from .cost import Prices, estimate_tokens, message_tokens
from .output import similar_shots
from .place import AnswerError, Placement, parse_answer, place_entities
from .prompt import messages, response_format


@dataclass(frozen=True, slots=True)
class AnnotateConfig:
    endpoint: Endpoint
    concurrency: int = 4
    retries: int = 5            # further tries after a 429, 5xx, timeout or dropped connection
    backoff: float = 1.0        # seconds before the first retry, doubled each time (Retry-After wins)
    structured: bool = True     # send response_format (dropped by itself if the server refuses it)
    temperature: float = 0.0
    max_tokens: int | None = None
    shots: int = 0
    prices: Prices = Prices()
    max_cost: float | None = None
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    index: int
    placement: Placement | None
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    cached: bool = False
    fatal: bool = False         # the endpoint refused us (401/403/404): no further text is sent


@dataclass
class Run:
    total: int
    config: AnnotateConfig
    outcomes: list[Outcome] = field(default_factory=list)
    stopped: bool = False       # max_cost reached before every text was sent
    refused: str | None = None  # why the endpoint stopped the run (a 401/403/404 error)
    structured: bool = True

    @property
    def cost(self) -> float:
        return self.config.prices.cost(sum(o.input_tokens for o in self.outcomes if not o.cached),
                                       sum(o.output_tokens for o in self.outcomes if not o.cached))

    def summary(self) -> dict:
        fresh = [o for o in self.outcomes if not o.cached]
        placed = [o.placement for o in self.outcomes if o.placement is not None]
        reasons = Counter(u.reason for p in placed for u in p.unplaced)
        return {"annotator": self.config.endpoint.annotator, "texts": self.total,
                "answered": len(placed), "failed": sum(1 for o in self.outcomes if o.error),
                "not_sent": self.total - len(self.outcomes), "cached": len(self.outcomes) - len(fresh),
                "requests": sum(o.requests for o in fresh), "dry_run": self.config.dry_run,
                "input_tokens": sum(o.input_tokens for o in fresh),
                "output_tokens": sum(o.output_tokens for o in fresh),
                "cost": round(self.cost, 6), "prices_per_1m": {"input": self.config.prices.input,
                                                               "output": self.config.prices.output},
                "stopped_by_max_cost": self.stopped, "refused": self.refused, "structured_output": self.structured,
                "spans": sum(len(p.spans) for p in placed), "widened_to_tokens": sum(p.widened for p in placed),
                "truncated_answers": sum(p.truncated for p in placed),
                "unplaced": dict(sorted(reasons.items()))}


def build_request(item, config: AnnotateConfig, system: str, schema, pool=()) -> dict:
    """The keyword arguments of ``chat.completions.create`` for one text."""
    shots = similar_shots(item.text, pool, config.shots) if config.shots else []
    request = {"model": config.endpoint.model, "messages": messages(item.text, system, shots),
               "temperature": config.temperature}
    if config.max_tokens:
        request["max_tokens"] = config.max_tokens
    if config.structured:
        request["response_format"] = response_format(schema)
    return request


def _place(item, content: str, names) -> Placement:
    entities, truncated = parse_answer(content)
    placed = place_entities(item.text, entities, names, item.offsets)
    return Placement(placed.spans, placed.unplaced, placed.widened, truncated)


def annotate(items, *, config: AnnotateConfig, schema, system: str, cache, client=None, key: str | None = None,
             pool=(), progress: Callable[[Outcome], None] = lambda outcome: None,
             sleep=None) -> Run:
    """Annotate ``items`` (``inputs.Item``); ``client`` is an ``openai.OpenAI`` (None for a dry run)."""
    run = Run(len(items), config)
    lock = threading.Lock()
    endpoint = config.endpoint
    extra = {"sleep": sleep} if sleep else {}

    def one(index: int) -> Outcome:
        item = items[index]
        request = build_request(item, config, system, schema, pool)
        key_ = cache_key(endpoint.base_url, endpoint.model, request)
        hit = cache.get(key_)
        if hit is not None:
            return Outcome(index, _place(item, hit["content"], schema.names), None, hit.get("input_tokens", 0),
                           hit.get("output_tokens", 0), 0, True)
        if config.dry_run:
            return Outcome(index, None, None, message_tokens(request["messages"]),
                           estimate_tokens(item.text) // 2 + 8)
        if not run.structured:
            request.pop("response_format", None)
        used, tokens_in, tokens_out, error = 0, 0, 0, None
        for _ in range(2):  # an answer that is not JSON is asked for once more
            try:
                sent = complete(client, request, retries=config.retries, backoff=config.backoff, key=key, **extra)
            except RequestFailed as e:
                return Outcome(index, None, str(e), tokens_in, tokens_out, used + e.attempts, fatal=e.fatal)
            used, tokens_in, tokens_out = used + sent.attempts, tokens_in + sent.input_tokens, \
                tokens_out + sent.output_tokens
            if "response_format" in request and not sent.structured:
                run.structured = False
                request.pop("response_format")
            try:
                placement = _place(item, sent.content, schema.names)
            except AnswerError as e:
                error = f"{e} (finish reason: {sent.finish_reason})"
                continue
            cache.put(key_, {"content": sent.content, "input_tokens": sent.input_tokens,
                             "output_tokens": sent.output_tokens, "finish_reason": sent.finish_reason})
            return Outcome(index, placement, None, tokens_in, tokens_out, used)
        return Outcome(index, None, error, tokens_in, tokens_out, used)

    def spent() -> float:
        with lock:
            return run.cost

    jobs: queue.Queue = queue.Queue()
    results: queue.Queue = queue.Queue()

    def worker():
        while (index := jobs.get()) is not None:
            try:
                results.put(one(index))
            except BaseException as e:  # handed to the caller's thread, which raises it
                results.put(e)

    # daemon threads: an interrupted run exits at once instead of waiting for requests in flight
    for _ in range(max(1, config.concurrency)):
        threading.Thread(target=worker, daemon=True).start()
    in_flight, next_index = 0, 0
    try:
        while next_index < len(items) or in_flight:
            while (next_index < len(items) and in_flight < config.concurrency and not run.stopped
                   and run.refused is None):
                if config.max_cost is not None and spent() >= config.max_cost:
                    run.stopped = True
                    break
                jobs.put(next_index)
                next_index, in_flight = next_index + 1, in_flight + 1
            if not in_flight:
                break
            try:
                outcome = results.get(timeout=0.5)
            except queue.Empty:
                continue
            in_flight -= 1
            if isinstance(outcome, BaseException):
                raise outcome
            with lock:
                run.outcomes.append(outcome)
            if outcome.fatal:
                run.refused = outcome.error
            progress(outcome)
    finally:
        for _ in range(max(1, config.concurrency)):
            jobs.put(None)
    run.outcomes.sort(key=lambda o: o.index)
    return run
