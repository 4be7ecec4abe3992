"""The audit log of SERVICE.md section 5: append-only, hash-chained, one chain under concurrent
writers (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock in the appending transaction)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from kpi_rules.serve.storage.db import reading
from kpi_rules.serve.storage.schema import audit

GENESIS = "0" * 64
APPEND_LOCK = 0x6B70_6902  # pg_advisory_xact_lock key held while reading the last entry and appending
FIELDS = ("seq", "at", "actor", "role", "action", "target", "policy", "data_sha256", "result_sha256", "status",
          "prev")


@dataclass(frozen=True)
class Event:
    """What happened, before it has its place in the chain."""

    actor: str
    role: str | None
    action: str
    target: str
    status: int
    policy: dict[str, Any] | None = None
    data_sha256: str | None = None
    result_sha256: str | None = None


def canonical(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: dict[str, Any]) -> str:
    """sha256 hex of prev followed by the entry's canonical JSON without `hash`."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256((entry["prev"] + canonical(body)).encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _entry_of(row: Any) -> dict[str, Any]:
    entry = {name: getattr(row, name) for name in FIELDS}
    entry["seq"] = int(entry["seq"])
    entry["status"] = int(entry["status"])
    entry["policy"] = json.loads(row.policy) if row.policy is not None else None
    entry["hash"] = row.hash
    return entry


entry_of = _entry_of  # an audit row as an entry (storage/audit_query.py reads pages of them)


def append_in(conn: Connection, event: Event) -> dict[str, Any]:
    """Append within the caller's transaction (which then commits the entry with its own writes)."""
    return append_many_in(conn, [event])[0]


def append_many_in(conn: Connection, events: list[Event]) -> list[dict[str, Any]]:
    """Append events in order within the caller's transaction: one lock, one read of the chain's end."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK})
    last = conn.execute(select(audit.c.seq, audit.c.hash).order_by(audit.c.seq.desc()).limit(1)).first()
    seq, prev = (int(last.seq), str(last.hash)) if last else (0, GENESIS)
    made, rows = [], []
    for event in events:
        seq += 1
        entry: dict[str, Any] = {
            "seq": seq, "at": _now(), "actor": event.actor, "role": event.role,
            "action": event.action, "target": event.target, "policy": event.policy,
            "data_sha256": event.data_sha256, "result_sha256": event.result_sha256, "status": event.status,
            "prev": prev,
        }
        entry["hash"] = prev = entry_hash(entry)
        made.append(entry)
        rows.append(dict(entry, policy=json.dumps(event.policy, sort_keys=True) if event.policy is not None else None))
    conn.execute(insert(audit), rows)
    return made


def append(engine: Engine, event: Event) -> dict[str, Any]:
    """Append one entry in a transaction of its own."""
    with engine.begin() as conn:
        return append_in(conn, event)


def append_many(engine: Engine, events: list[Event]) -> list[dict[str, Any]]:
    """Append entries in one transaction of their own (one commit for all: a group commit)."""
    with engine.begin() as conn:
        return append_many_in(conn, events)


def last_seq(engine: Engine) -> int:
    """The chain's length: the last entry's seq (0 for none)."""
    with reading(engine) as conn:
        value = conn.execute(select(audit.c.seq).order_by(audit.c.seq.desc()).limit(1)).scalar_one_or_none()
    return int(value or 0)


def entries(engine: Engine, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    with reading(engine) as conn:
        rows = conn.execute(select(audit).where(audit.c.seq > after).order_by(audit.c.seq).limit(limit))
        return [_entry_of(row) for row in rows]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    first_bad: int | None
    reason: str | None = None
    last_hash: str = GENESIS  # the hash of the last entry checked (when ok)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_bad": self.first_bad}


def verify(engine: Engine, batch: int = 5000, start: tuple[int, str] = (0, GENESIS)) -> Verdict:
    """Walk the chain from seq 1 (or on from `start`: a seq already verified and its hash): a gap, a
    broken link or a changed entry names the first bad seq."""
    expected, prev, count = start[0] + 1, start[1], start[0]
    with reading(engine) as conn:
        while True:
            rows = conn.execute(select(audit).where(audit.c.seq >= expected).order_by(audit.c.seq).limit(batch))
            got = 0
            for row in rows:
                got += 1
                count += 1
                try:
                    entry = _entry_of(row)
                except (ValueError, TypeError):
                    return Verdict(False, count, int(row.seq), "the entry cannot be read")
                if entry["seq"] != expected:
                    return Verdict(False, count, expected, f"seq {expected} is missing")
                if entry["prev"] != prev:
                    return Verdict(False, count, expected, "its prev is not the hash of the entry before")
                if entry_hash(entry) != entry["hash"]:
                    return Verdict(False, count, expected, "its content does not match its hash")
                prev, expected = entry["hash"], expected + 1
            if got < batch:
                return Verdict(True, count, None, last_hash=prev)
