"""The backend on a real port, as Label Studio reaches it (uvicorn in a thread), for the backend tests."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

from ner.backend.app import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(backend, timeout: float = 30.0):
    """``backend``'s app served on 127.0.0.1 until the block ends; yields its URL once it is up."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(backend), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the backend did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
