"""The service's parts that outlive a request: settings, database, identities, policies, workers."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from multiprocessing import get_context
from typing import Any, TypeVar

from sqlalchemy import Engine, text

from kpi_rules.serve import audit
from kpi_rules.serve.audit import Event
from kpi_rules.serve.audit_batch import AuditWriter
from kpi_rules.serve.identity import TokenStore
from kpi_rules.serve.metrics import Metrics
from kpi_rules.serve.policies import Policies, Served
from kpi_rules.serve.problems import ProblemError
from kpi_rules.serve.settings import Settings
from kpi_rules.serve.storage.db import kind_of, open_engine, reading
from kpi_rules.serve.storage.migrate import migrate

log = logging.getLogger("kpi_rules.serve")
T = TypeVar("T")


@dataclass
class Service:
    settings: Settings
    engine: Engine
    schema_version: int
    tokens: TokenStore | None
    policies: Policies
    metrics: Metrics = field(default_factory=Metrics)
    _stop: threading.Event = field(default_factory=threading.Event)
    _pool: ProcessPoolExecutor | None = None
    _pool_lock: threading.Lock = field(default_factory=threading.Lock)
    _inline: ThreadPoolExecutor | None = None
    _watcher: threading.Thread | None = None
    _audit_writer: AuditWriter | None = None
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds")
                            .replace("+00:00", "Z"))

    @classmethod
    def open(cls, settings: Settings) -> Service:
        engine = open_engine(settings.db_url)
        version = migrate(engine)
        tokens = TokenStore(settings.tokens_file) if settings.tokens_file is not None else None
        service = cls(settings, engine, version, tokens, Policies(settings.policy_dir))
        service.policies.refresh()
        service.policies._on_reload = service._reloaded
        return service

    @property
    def db_kind(self) -> str:
        return kind_of(self.settings.db_url)

    @property
    def audit_writer(self) -> AuditWriter:
        if self._audit_writer is None:
            self._audit_writer = AuditWriter(self.engine)
        return self._audit_writer

    def audit(self, event: audit.Event) -> dict[str, Any]:
        """Append one entry (with whatever other requests append at the same moment) and wait for it."""
        entry = self.audit_writer.submit(event).result()
        self.metrics.audit_entries.inc()
        return entry

    async def audit_async(self, event: Event) -> dict[str, Any]:
        entry = await asyncio.wrap_future(self.audit_writer.submit(event))
        self.metrics.audit_entries.inc()
        return entry

    def _reloaded(self, path: str, served: Served | None, status: int) -> None:
        self.metrics.reloads.labels("loaded" if served else "refused").inc()
        self.audit(audit.Event(actor="system", role=None, action="policy.reload", target=path, status=status,
                               policy=served.audit_ref() if served else None))

    def not_ready(self) -> list[str]:
        reasons = []
        if not self.policies.loaded:
            reasons.append("policies are not loaded yet")
        try:
            with reading(self.engine) as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to answer is "not ready", with its kind only
            reasons.append(f"the database does not answer ({type(exc).__name__})")
        return reasons

    def pool(self) -> ProcessPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.settings.workers, mp_context=get_context("spawn"))
            return self._pool

    async def run_cpu(self, fn: Callable[..., T], *args: Any) -> T:
        """Run CPU-heavy work in a worker process, off the request loop. A worker that died
        (killed, out of memory) costs this request a 503, not the service its pool."""
        pool = self.pool()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool as exc:
            with self._pool_lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise ProblemError(503, "a worker process stopped during this request; try again",
                               kind="worker-lost") from exc

    async def run_inline(self, fn: Callable[..., T], *args: Any) -> T:
        """Run small CPU work (a few tens of ms) in a thread of this process: no worker round trip,
        no pickling of its input and result, no queue behind large evaluations. Two threads at
        most, apart from the threads of the request routes; the event loop keeps answering."""
        with self._pool_lock:
            if self._inline is None:  # made again after close(): a service may serve several app lifespans
                self._inline = ThreadPoolExecutor(2, "kpi-rules-inline")
            inline = self._inline
        return await asyncio.get_running_loop().run_in_executor(inline, fn, *args)

    def start_background(self) -> None:
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="kpi-rules-policy-watch", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.reload_seconds):
            try:
                self.policies.refresh()
            except Exception:  # keep watching; the last good versions stay in service
                log.exception("reloading policies failed")

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            inline, self._inline = self._inline, None
        if inline is not None:
            inline.shutdown(wait=True, cancel_futures=True)
        if self._audit_writer is not None:
            self._audit_writer.close()
        self.engine.dispose()
