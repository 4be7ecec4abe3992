"""Group commit of the audit log: requests that finish together have their entries appended in one
transaction (one lock of the chain, one commit, one fsync) by one writer thread, and each request
waits for its own entry to be committed before its response starts. Under load that is what keeps
an audited read from paying a whole commit of its own while it queues behind everybody else's."""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Engine

from kpi_rules.serve.audit import Event, append_many

log = logging.getLogger("kpi_rules.serve.audit")
Entry = dict[str, Any]


class AuditWriter:
    def __init__(self, engine: Engine, max_batch: int = 500) -> None:
        self.engine, self.max_batch = engine, max_batch
        self._queue: queue.Queue[tuple[Event, Future[Entry]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, event: Event) -> Future[Entry]:
        """The entry's future: done when it is committed (or failed: then nothing of it is stored)."""
        future: Future[Entry] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kpi-rules-audit", daemon=True)
                self._thread.start()
            self._queue.put((event, future))
        return future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
            try:
                entries = append_many(self.engine, [event for event, _ in batch])
            except Exception as exc:  # every waiting request fails with it; none of them is answered
                log.error("appending %d audit entries failed", len(batch), exc_info=exc)
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), entry in zip(batch, entries):
                future.set_result(entry)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is not None:
                self._queue.put(None)
        if thread is not None:
            thread.join(timeout=30)
