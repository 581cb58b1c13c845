"""One chat completion through the official ``openai`` client, with retries the way servers ask.

``Endpoint`` names the server (``base_url``, the client's base URL) and the model;
``annotator`` is what outputs record (host and model, never a key or a user name).
``complete(client, request)`` sends one request: on 429 it waits what ``Retry-After`` says
(else an exponential backoff), on 5xx, timeouts and dropped connections it backs off and
tries again, ``retries`` times; a 400 to a request with ``response_format`` is retried once
without it (the server does not take structured output) and ``Sent.structured`` says so. The key
is handed to the client and nowhere else; ``redact`` takes it out of any message.

Left out: streaming; the Responses API; provider SDKs (GigaChat and YandexGPT are reached
through OpenAI-compatible endpoints, see docs/llm.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")
MAX_WAIT = 120.0


@dataclass(frozen=True, slots=True)
class Endpoint:
    base_url: str
    model: str

    @property
    def host(self) -> str:
        parts = urlsplit(self.base_url)
        return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else self.base_url

    @property
    def annotator(self) -> str:
        return f"{self.host}/{self.model}"

    @property
    def local(self) -> bool:
        host = urlsplit(self.base_url).hostname or ""
        return host in LOCAL_HOSTS or host.startswith("127.")


@dataclass(frozen=True, slots=True)
class Sent:
    """What came back for one request."""

    content: str | None
    input_tokens: int
    output_tokens: int
    finish_reason: str | None
    attempts: int           # requests made (1 when the first one answered)
    structured: bool        # whether the answer came under response_format


class RequestFailed(Exception):
    """No answer after the retries; the message names the last error (key redacted)."""

    def __init__(self, message: str, attempts: int, fatal: bool = False):
        super().__init__(message)
        self.attempts = attempts
        self.fatal = fatal  # the key, the endpoint or the model is wrong: every other text would fail alike


def redact(message: str, key: str | None) -> str:
    return message.replace(key, "[key]") if key else message


def make_client(endpoint: Endpoint, key: str | None, timeout: float):
    import openai

    # the client wants some key; local servers take none ("none" is what their docs suggest)
    return openai.OpenAI(base_url=endpoint.base_url, api_key=key or "none", max_retries=0, timeout=timeout)


def _retry_after(error) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return min(float(value), MAX_WAIT) if value is not None else None
    except ValueError:
        return None


def complete(client, request: dict, *, retries: int = 5, backoff: float = 1.0, key: str | None = None,
             sleep: Callable[[float], None] = time.sleep) -> Sent:
    """One chat completion of ``request`` (the keyword arguments of ``chat.completions.create``)."""
    import openai

    request = dict(request)
    attempts = 0
    while True:
        attempts += 1
        try:
            answer = client.chat.completions.create(**request)
        except openai.BadRequestError as e:
            if "response_format" in request:
                request.pop("response_format")  # plain JSON from here on: the prompt asks for it
                continue
            raise RequestFailed(redact(f"HTTP {e.status_code}: {e.message}", key), attempts) from None
        except (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
                openai.APIConnectionError) as e:
            if attempts > retries:
                status = getattr(e, "status_code", None)
                what = f"HTTP {status}" if status else type(e).__name__
                # nothing answered at all on any attempt (refused, no such host): the next text will fare the same
                unreachable = type(e) is openai.APIConnectionError
                raise RequestFailed(redact(f"{what} after {attempts} attempt(s): {e}", key), attempts,
                                    unreachable) from None
            wait = _retry_after(e)
            sleep(wait if wait is not None else min(backoff * 2 ** (attempts - 1), MAX_WAIT))
            continue
        except openai.APIStatusError as e:  # 401, 403, 404...: asking again will not help
            raise RequestFailed(redact(f"HTTP {e.status_code}: {e.message}", key), attempts,
                                e.status_code in (401, 403, 404)) from None
        if not hasattr(answer, "choices"):  # 200 with an HTML page or other text: not a chat-completions API
            raise RequestFailed(redact(f"the endpoint answered with something that is not a chat completion "
                                       f"({str(answer)[:60]!r}); check --endpoint (does it end in /v1?)", key),
                                attempts, True)
        usage = getattr(answer, "usage", None)
        choices = answer.choices or []
        message = choices[0].message if choices else None
        return Sent(message.content if message is not None else None,
                    getattr(usage, "prompt_tokens", 0) or 0, getattr(usage, "completion_tokens", 0) or 0,
                    choices[0].finish_reason if choices else None, attempts, "response_format" in request)
