"""Pages of the audit log, newest first, filtered by actor, action, subject (the target contains
it), status and date, read a page at a time by sequence number (never the whole log)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, select, true

from kpi_rules.serve.audit import entry_of
from kpi_rules.serve.storage.db import reading
from kpi_rules.serve.storage.schema import audit

MAX_SEQ = 2**63 - 1  # a seq is a 64-bit integer in both databases


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    subject: str = ""  # a part of the target
    status: int | None = None
    since: date | None = None  # the first day (UTC)
    until: date | None = None  # the last day (UTC)

    def where(self) -> list[ColumnElement[bool]]:
        c = audit.c
        found: list[ColumnElement[bool]] = []
        if self.actor:
            found.append(c.actor == self.actor)
        if self.action:
            found.append(c.action == self.action)
        if self.subject:
            found.append(c.target.contains(self.subject, autoescape=True))
        if self.status is not None:
            found.append(c.status == self.status)
        if self.since is not None:  # `at` is ISO 8601 in UTC: text order is time order
            found.append(c.at >= self.since.isoformat())
        if self.until is not None:
            found.append(c.at < (self.until + timedelta(days=1)).isoformat())
        return found


@dataclass(frozen=True)
class AuditPage:
    items: list[dict[str, Any]]  # newest first
    older: bool  # entries before the last one shown match too
    newer: bool  # entries after the first one shown match too


def _any(engine: Engine, where: list[ColumnElement[bool]]) -> bool:
    with reading(engine) as conn:
        return conn.execute(select(audit.c.seq).where(and_(*where)).limit(1)).first() is not None


def page(engine: Engine, chosen: AuditFilter, size: int, before: int | None = None,
         after: int | None = None) -> AuditPage:
    """`size` matching entries, newest first: the newest ones, those just before seq `before`
    (older), or those just after seq `after` (newer)."""
    where, seq = chosen.where(), audit.c.seq
    query = select(audit).limit(size + 1)
    if after is not None:
        query = query.where(and_(seq > after, *where)).order_by(seq)
    else:
        query = query.where(and_(seq < before, *where) if before is not None else and_(true(), *where))
        query = query.order_by(seq.desc())
    with reading(engine) as conn:
        items = [entry_of(row) for row in conn.execute(query)]
    more = len(items) > size
    items = items[:size]
    if after is not None:
        items.reverse()
        older = _any(engine, [seq <= after, *where])
        return AuditPage(items, older, more)
    newer = before is not None and _any(engine, [seq >= before, *where])
    return AuditPage(items, more, newer)
