"""A local OpenAI-compatible chat-completions server that answers from a script, faults included.

Run as a process (``python tests/llm/fake_llm.py [--delay S]``): it prints its port and serves
``POST /v1/chat/completions`` until killed. Tests script it over HTTP:

``POST /_script``  ``{"texts": {TEXT: [STEP, ...]}, "default": STEP, "reject_response_format": bool}``;
                   the steps for a text (its last user message) are taken one per request, the
                   last one repeating
``GET /_log``      every request so far: ``{"text", "messages", "response_format", "authorization", "step"}``
``POST /_reset``   forget the script and the log

A STEP is ``{"content": "...", "usage": [in, out]}`` (an answer), ``{"status": 429, "retry_after": 1}``,
``{"status": 500}``, ``{"html": true}`` (200 with a web page), ``{"sleep": S, ...}`` (wait first, then do the rest of the step), ``{"drop": true}``
(close without answering), ``{"empty": true}`` (no choices), ``{"echo_key": true}`` (a 500 whose body
repeats the Authorization header, as a careless proxy might). ``--delay S`` waits S before every answer.

Left out: streaming, tools, the Responses API.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMPTY = '{"entities": []}'


class State:
    def __init__(self, delay: float):
        self.delay = delay
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.texts, self.default, self.reject_rf, self.log, self.used = {}, {"content": EMPTY}, False, [], {}

    def step(self, text: str) -> dict:
        with self.lock:
            steps = self.texts.get(text)
            if not steps:
                return self.default
            n = self.used.get(text, 0)
            self.used[text] = n + 1
            return steps[min(n, len(steps) - 1)]


def make_handler(state: State):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # headers and body go out as two writes: without this, Nagle and the client's delayed ACK
            # add about 40 ms to every answer on a kept-alive connection
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args):
            pass

        def _send(self, status: int, body, headers=()):
            data = json.dumps(body, ensure_ascii=False).encode() if not isinstance(body, bytes) else body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return json.loads(raw or b"{}")

        def do_GET(self):
            if self.path == "/_log":
                with state.lock:
                    self._send(200, list(state.log))
            else:
                self._send(404, {"error": {"message": "not found"}})

        def do_POST(self):
            body = self._body()
            if self.path == "/_script":
                with state.lock:
                    state.texts = body.get("texts", {})
                    state.default = body.get("default", {"content": EMPTY})
                    state.reject_rf = bool(body.get("reject_response_format"))
                    state.used = {}
                self._send(200, {"ok": True})
                return
            if self.path == "/_reset":
                with state.lock:
                    state.reset()
                self._send(200, {"ok": True})
                return
            if not self.path.endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            messages = body.get("messages", [])
            text = messages[-1]["content"] if messages else ""
            step = state.step(text)
            with state.lock:
                state.log.append({"text": text, "messages": messages, "response_format": body.get("response_format"),
                                  "authorization": self.headers.get("Authorization"), "step": step,
                                  "time": time.time()})
            if state.delay:
                time.sleep(state.delay)
            if step.get("sleep"):
                time.sleep(step["sleep"])
            if step.get("drop"):
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if state.reject_rf and body.get("response_format"):
                self._send(400, {"error": {"message": "response_format is not supported", "type": "invalid_request"}})
                return
            if step.get("echo_key"):
                self._send(500, {"error": {"message": f"upstream refused {self.headers.get('Authorization')}"}})
                return
            if step.get("html"):  # a login page or a web server where the API should be: 200, not JSON
                data = b"<html><body>Sign in</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if step.get("status"):
                headers = [("Retry-After", str(step["retry_after"]))] if "retry_after" in step else []
                self._send(step["status"], {"error": {"message": f"scripted {step['status']}"}}, headers)
                return
            usage = step.get("usage", [100, 20])
            choices = [] if step.get("empty") else [
                {"index": 0, "finish_reason": step.get("finish_reason", "stop"),
                 "message": {"role": "assistant", "content": step.get("content", EMPTY)}}]
            self._send(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
                             "model": body.get("model", ""), "choices": choices,
                             "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                                       "total_tokens": usage[0] + usage[1]}})

    return Handler


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State(args.delay)))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
