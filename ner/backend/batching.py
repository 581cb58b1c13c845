"""Micro-batching for the ML backend: concurrent requests share one model call.

Label Studio and other clients send many small ``/predict`` requests at once; tagging
each alone leaves the model working on tiny batches in competing threads. ``Batcher``
queues the texts of every request and one thread tags whatever is queued together.

Left out: time windows (a request never waits for others to arrive; it joins
whatever is queued while the previous batch runs).
"""

from __future__ import annotations

import sys
import threading


class Batcher:
    """Tags the texts of concurrent requests together: one model call serves many requests.

    Requests queue their texts; one thread takes whatever is queued (up to ``max_texts``),
    tags the texts of each model in one ``analyze_many`` and hands each request its part. If a joint run fails,
    each request is run alone, so one bad request cannot fail the others.
    """

    def __init__(self, max_texts: int = 256):
        import queue

        self.max_texts = max_texts
        self.queue: "queue.Queue[dict]" = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def analyze(self, tagger, texts: list[str]) -> list:
        """``TaggedText`` of each text, tagged together with the texts of concurrent callers."""
        slot = {"tagger": tagger, "texts": texts, "done": threading.Event()}
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="ner-batcher", daemon=True)
                self._thread.start()
        self.queue.put(slot)
        slot["done"].wait()
        if "error" in slot:
            raise slot["error"]
        return slot["result"]

    def _loop(self) -> None:
        import queue

        while True:
            slots = [self.queue.get()]
            size = len(slots[0]["texts"])
            while size < self.max_texts:
                try:
                    slots.append(self.queue.get_nowait())
                except queue.Empty:
                    break
                size += len(slots[-1]["texts"])
            groups: dict[int, list[dict]] = {}  # one model call per model: projects are served different models
            for slot in slots:
                groups.setdefault(id(slot["tagger"]), []).append(slot)
            for group in groups.values():
                self._run(group)

    @staticmethod
    def _run(group: list[dict]) -> None:
        tagger = group[0]["tagger"]
        try:
            results = list(tagger.analyze_many([t for slot in group for t in slot["texts"]]))
        except Exception:
            if len(group) > 1:
                for slot in group:
                    Batcher._run([slot])
                return
            group[0]["error"] = sys.exc_info()[1]
            group[0]["done"].set()
            return
        k = 0
        for slot in group:
            slot["result"] = results[k:k + len(slot["texts"])]
            k += len(slot["texts"])
            slot["done"].set()
