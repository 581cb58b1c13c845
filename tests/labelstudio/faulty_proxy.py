"""A real HTTP proxy on 127.0.0.1 that forwards to Label Studio and misbehaves on cue, for fault tests.

Each request is matched against the queued faults (``fail(method, path_part, action)``,
each fires once, first match wins); after ``refuse_after`` requests every request
gets a 503. Actions:

``503``         answer 503 without forwarding
``drop``        close the connection without forwarding (the server never sees it)
``drop_after``  forward, let the server finish, then close without answering
``cut``         forward, then send the headers and half the body and close
``short``       forward, then answer a JSON list without its last item

``log`` keeps ``(method, path, action)`` of every request. Left out: HTTPS, streaming bodies.
"""

from __future__ import annotations

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
              "content-length", "host"}
ACTIONS = {"503", "drop", "drop_after", "cut", "short"}


class FaultyProxy:
    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port or 80)
        self.faults: list[list] = []  # [method, path_part, action]
        self.refuse_after: int | None = None
        self.log: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                proxy._handle(self)

            do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail(self, method: str, path_part: str, action: str) -> None:
        """Queue one fault for the next ``method`` request whose path contains ``path_part``."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; one of {sorted(ACTIONS)}")
        with self._lock:
            self.faults.append([method, path_part, action])

    def actions(self, method: str, path_part: str = "") -> list[str]:
        return [a for m, p, a in self.log if m == method and path_part in p]

    def __enter__(self) -> "FaultyProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _action(self, method: str, path: str) -> str:
        with self._lock:
            if self.refuse_after is not None and len(self.log) >= self.refuse_after:
                action = "503"
            else:
                action = "pass"
                for k, (m, part, act) in enumerate(self.faults):
                    if m == method and part in path:
                        action = act
                        del self.faults[k]
                        break
            self.log.append((method, path, action))
            return action

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0)) or None
        action = self._action(h.command, h.path)
        h.close_connection = True
        if action == "drop":
            return
        if action == "503":
            self._answer(h, 503, [("Content-Type", "application/json")],
                         json.dumps({"detail": "proxy: service unavailable"}).encode())
            return
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = f"{self.upstream[0]}:{self.upstream[1]}"
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if action == "drop_after":
            return
        if action == "short":  # a JSON list answered without its last item (an export a task short)
            data = json.dumps(json.loads(data)[:-1]).encode()
        self._answer(h, resp.status, resp.getheaders(), data, cut=action == "cut")

    @staticmethod
    def _answer(h, status: int, headers, data: bytes, cut: bool = False) -> None:
        h.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP_BY_HOP:
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(data[: len(data) // 2] if cut else data)
