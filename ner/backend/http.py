"""The HTTP side of the ML backend: routes, JSON in and out, authentication (``app.py`` holds the logic).

``create_app(backend, auth)`` is a Starlette application: each route reads the JSON
body, runs the backend method in a worker thread and answers JSON. ``BadRequest``
and ``UserError`` become 400, ``Refused`` 409 (the message in ``error``),
anything else 500 with the error logged. Basic auth is what Label Studio sends when
the backend asks for it; a bearer token suits other clients.

Left out: TLS (put a proxy in front), rate limits.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from dataclasses import dataclass

from ..errors import UserError

log = logging.getLogger("ner.backend")


class BadRequest(Exception):
    """A payload the backend cannot work with; answered with 400 and this message."""


class Refused(Exception):
    """A training request the backend cannot run; answered with 409 and this message."""


@dataclass(frozen=True, slots=True)
class Auth:
    """Credentials a request must carry: a bearer token, or a basic-auth user and password."""

    token: str | None = None
    user: str | None = None
    password: str | None = None

    @staticmethod
    def parse_basic(value: str) -> "Auth":
        user, sep, password = value.partition(":")
        if not sep or not user or not password:
            raise UserError(f"--basic-auth takes USER:PASSWORD, not {value!r}")
        return Auth(user=user, password=password)

    def allows(self, header: str | None) -> bool:
        if self.token is None and self.user is None:
            return True
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if self.token is not None and scheme.lower() == "bearer":
            return hmac.compare_digest(value.strip().encode(), self.token.encode())
        if self.user is not None and scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return (hmac.compare_digest(user.encode(), self.user.encode())
                    & hmac.compare_digest(password.encode(), self.password.encode()))
        return False


def create_app(backend, auth: Auth | None = None):
    """The ASGI application serving ``backend`` (a ``serve.Backend``)."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route


    auth = auth or Auth()

    async def body(request: Request):
        raw = await request.body()
        try:
            return json.loads(raw or b"null")
        except ValueError as e:
            raise BadRequest(f"the body is not JSON ({e})") from None

    def endpoint(work, method: str = "POST"):
        async def handle(request: Request):
            if not auth.allows(request.headers.get("authorization")):
                return PlainTextResponse("Unauthorized", 401, {"WWW-Authenticate": 'Basic realm="ner"'})
            try:
                payload = await body(request) if method == "POST" else None
                result = await run_in_threadpool(work, payload)
                content, status = result if isinstance(result, tuple) else (result, 200)
                return JSONResponse(content, status)
            except (BadRequest, UserError) as e:
                return JSONResponse({"status": "error", "error": str(e)}, 400)
            except Refused as e:
                return JSONResponse({"status": "error", "error": str(e)}, 409)
            except Exception as e:  # one failed request is answered and logged; the server keeps serving
                log.exception("%s %s failed", request.method, request.url.path)
                return JSONResponse({"status": "error", "error": f"{type(e).__name__}: {e}"[:2000]}, 500)

        return handle

    health = endpoint(lambda _: backend.health(), "GET")
    routes = [
        Route("/", health, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/setup", endpoint(backend.setup), methods=["POST"]),
        Route("/predict", endpoint(backend.predict), methods=["POST"]),
        Route("/webhook", endpoint(backend.webhook), methods=["POST"]),
        Route("/train", endpoint(backend.train), methods=["POST"]),
        Route("/metrics", endpoint(lambda _: {}, "GET"), methods=["GET"]),
    ]
    return Starlette(routes=routes)
