"""Who calls: the tokens file (YAML, a list of `{name, sha256, role, teams, employee_id, created}`),
read again whenever it changes on disk, so that a revoked token fails from the next request on."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from kpi_rules.writers.atomic import write_atomic

log = logging.getLogger("kpi_rules.serve")

ROLES = ("hr", "service", "manager", "employee")


class TokensFileError(ValueError):
    """The tokens file cannot be read or holds an entry that is not valid; the message says where."""


@dataclass(frozen=True)
class Identity:
    name: str
    role: str
    teams: tuple[str, ...] = ()
    employee_id: str | None = None


LOCAL_HR = Identity("local", "hr")  # every caller, when the server runs without tokens on loopback


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _entry(item: Any, where: str) -> tuple[str, Identity]:
    if not isinstance(item, dict):
        raise TokensFileError(f"{where}: each entry is a mapping with name, sha256, role")
    name, digest, role = item.get("name"), item.get("sha256"), item.get("role")
    if not isinstance(name, str) or not name or not isinstance(digest, str) or len(digest) != 64:
        raise TokensFileError(f"{where}: an entry needs a name and the sha256 of its token (64 hex characters)")
    if role not in ROLES:
        raise TokensFileError(f"{where}: {name}: role {role!r} is not one of {', '.join(ROLES)}")
    teams = item.get("teams") or []
    employee = item.get("employee_id")
    if not isinstance(teams, list) or not all(isinstance(t, str) for t in teams):
        raise TokensFileError(f"{where}: {name}: teams is a list of team names")
    if employee is not None and not isinstance(employee, str):
        raise TokensFileError(f"{where}: {name}: employee_id is a string")
    return digest.lower(), Identity(name, role, tuple(teams), employee)


def read_entries(path: Path) -> list[dict[str, Any]]:
    """The file's entries as written (an absent or empty file has none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise TokensFileError(f"{path}: cannot be read: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TokensFileError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise TokensFileError(f"{path}: the tokens file is a YAML list of entries")
    for item in data:
        _entry(item, str(path))
    return data


def _write_entries(path: Path, entries: list[dict[str, Any]]) -> None:
    write_atomic(path, yaml.safe_dump(entries, allow_unicode=True, sort_keys=False))
    os.chmod(path, 0o600)


def add_token(path: Path, name: str, role: str, teams: tuple[str, ...], employee_id: str | None) -> str:
    """Add an identity and return its new random token; the file keeps only the token's sha256."""
    if role not in ROLES:
        raise TokensFileError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if role == "manager" and not teams:
        raise TokensFileError("a manager needs at least one --team")
    if role == "employee" and not employee_id:
        raise TokensFileError("an employee needs --employee ID")
    entries = read_entries(path)
    if any(e["name"] == name for e in entries):
        raise TokensFileError(f"{path}: {name} exists; revoke it first or choose another name")
    token = secrets.token_urlsafe(32)
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    entries.append({"name": name, "sha256": token_digest(token), "role": role,
                    "teams": list(teams) if role == "manager" else [],
                    "employee_id": employee_id if role == "employee" else None, "created": created})
    _write_entries(path, entries)
    return token


def revoke_token(path: Path, name: str) -> bool:
    """Remove the identity `name`; False when there is none."""
    entries = read_entries(path)
    kept = [e for e in entries if e["name"] != name]
    if len(kept) == len(entries):
        return False
    _write_entries(path, kept)
    return True


class TokenStore:
    """The identities of a tokens file, read again when its modification time or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._by_digest: dict[str, Identity] = {}
        self.error: str | None = None
        self._refresh()

    def _stat(self) -> tuple[int, int, int]:
        try:
            st = self.path.stat()
            return (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            return (0, 0, 0)

    def _refresh(self) -> None:
        stamp = self._stat()
        if stamp == self._stamp:
            return
        try:
            entries = [_entry(item, str(self.path)) for item in read_entries(self.path)]
        except TokensFileError as exc:
            # A file being edited by hand may be broken for a moment: nobody gets in until it is fixed.
            log.error("the tokens file cannot be read, so every caller is refused until it is fixed: %s", exc)
            self.error, self._by_digest, self._stamp = str(exc), {}, stamp
            return
        if self.error is not None:
            log.warning("the tokens file %s reads again: %d identities", self.path, len(entries))
        self.error, self._by_digest, self._stamp = None, dict(entries), stamp

    def lookup(self, token: str) -> Identity | None:
        """The identity holding `token`, comparing every digest in constant time."""
        return self.lookup_digest(token_digest(token))

    def lookup_digest(self, given: str) -> Identity | None:
        """The identity whose token has this SHA-256 (a web session keeps only the digest)."""
        if self._stat() != self._stamp:  # changed on disk: read again, one thread at a time
            with self._lock:
                self._refresh()
        known = self._by_digest.items()  # a dict replaced whole by _refresh, never changed in place
        found = None
        for digest, identity in known:
            if hmac.compare_digest(digest, given):
                found = identity
        return found
