"""The policies in service: every valid policy under POLICY_DIR (as `kpi-rules validate` finds
them), duplicate ids refused, reloaded on change with the last good version kept (SERVICE.md 6)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpi_rules.policy.compiler import compile_policy
from kpi_rules.policy.model import Policy
from kpi_rules.policy.validate import policy_files, validate_bytes
from kpi_rules.serve import gitinfo


@dataclass(frozen=True)
class Served:
    """One policy version in service."""

    policy: Policy
    path: Path
    source: bytes
    document: Any
    commit: str | None
    dirty: bool | None
    name: str  # its path relative to POLICY_DIR, as clients see it

    @property
    def id(self) -> str:
        return self.policy.id

    def summary(self) -> dict[str, Any]:
        p = self.policy
        return {"id": p.id, "title": p.title, "version": p.version, "locale": p.locale, "path": self.name,
                "sha256": p.sha256, "commit": self.commit, "dirty": self.dirty,
                "effective": {"from": p.effective_from, "to": p.effective_to}}

    def audit_ref(self) -> dict[str, Any]:
        p = self.policy
        return {"id": p.id, "version": p.version, "sha256": p.sha256, "commit": self.commit}


def problems_of(validation: Any) -> list[dict[str, Any]]:
    return [{**p.to_dict(), "column": p.col} for p in validation.problems]


def load_one(path: Path, raw: bytes, name: str | None = None,
             with_git: bool = True) -> tuple[Served | None, list[dict[str, Any]]]:
    validation = validate_bytes(raw, str(path))
    if validation.errors or validation.context is None:
        return None, problems_of(validation)
    commit, dirty = gitinfo.last_commit(path) if with_git else (None, None)
    served = Served(compile_policy(validation), path, raw, validation.context.data, commit, dirty, name or path.name)
    return served, []


@dataclass
class Catalog:
    """What is in service now, and what failed to load (with its problems)."""

    by_id: dict[str, Served] = field(default_factory=dict)
    failed: list[dict[str, Any]] = field(default_factory=list)
    stamps: dict[Path, tuple[int, int]] = field(default_factory=dict)


class Policies:
    def __init__(self, folder: Path, on_reload: Callable[[str, Served | None, int], None] | None = None) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._catalog = Catalog()
        self._on_reload = on_reload
        self.loaded = False
        self._good: dict[Path, Served] = {}

    def get(self, policy_id: str) -> Served | None:
        return self._catalog.by_id.get(policy_id)

    def all(self) -> list[Served]:
        return sorted(self._catalog.by_id.values(), key=lambda s: s.id)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return list(self._catalog.failed)

    def _stamps(self) -> dict[Path, tuple[int, int]]:
        stamps = {}
        for path in policy_files([self.folder]) if self.folder.is_dir() else []:
            try:
                st = path.stat()
            except OSError:
                continue
            stamps[path] = (st.st_mtime_ns, st.st_size)
        return stamps

    def refresh(self) -> bool:
        """Load what changed on disk; True when anything did."""
        with self._lock:
            stamps = self._stamps()
            if self.loaded and stamps == self._catalog.stamps:
                return False
            previous = self._catalog
            failed: list[dict[str, Any]] = []
            loaded: list[tuple[Path, Served]] = []
            for path in sorted(stamps):
                if previous.stamps.get(path) == stamps[path] and path in self._good:
                    continue
                try:
                    raw = path.read_bytes()
                except OSError as exc:
                    failed.append({"path": path.relative_to(self.folder).as_posix(),
                                   "problems": [{"message": f"cannot be read: {exc.strerror}"}]})
                    continue
                name = path.relative_to(self.folder).as_posix()
                served, problems = load_one(path, raw, name)
                if served is None:
                    failed.append({"path": name, "problems": problems})
                    self._notify(str(path), None, 422)
                else:
                    self._good[path] = served
                    loaded.append((path, served))
            for gone in set(self._good) - set(stamps):
                del self._good[gone]
            self._catalog = Catalog(self._by_id(previous, failed), failed, stamps)
            clashing = {f["path"] for f in failed if any(p.get("code") == "duplicate-id" for p in f["problems"])}
            for path, served in loaded:  # a file refused for its clashing id is not a good reload
                self._notify(str(path), served, 409 if served.name in clashing else 200)
            self.loaded = True
            return True

    def _by_id(self, previous: Catalog, failed: list[dict[str, Any]]) -> dict[str, Served]:
        claims: dict[str, list[Served]] = {}
        for served in self._good.values():
            claims.setdefault(served.id, []).append(served)
        by_id = {}
        for pid, versions in claims.items():
            if len(versions) == 1:
                by_id[pid] = versions[0]
                continue
            paths = sorted(v.name for v in versions)
            for path in paths:
                failed.append({"path": path, "problems": [{"code": "duplicate-id", "message":
                               f"policy id {pid!r} is claimed by {', '.join(paths)}: " + (
                                   "the version already in service stays" if pid in previous.by_id
                                   else "none of them is served") + " until the clash is resolved"}]})
            if pid in previous.by_id:  # the version in service stays until the clash is resolved
                by_id[pid] = previous.by_id[pid]
        return by_id

    def _notify(self, path: str, served: Served | None, status: int) -> None:
        if self._on_reload is not None and self.loaded:
            self._on_reload(path, served, status)
