"""The service's settings, from the command line's options: one frozen value the app shares."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "sqlite:///kpi-rules-service.db"
DEFAULT_MAX_UPLOAD = 100 * 1024**2
DEFAULT_MAX_ROWS = 2_000_000
MAX_WORKERS = 64

_SIZE = re.compile(r"^\s*(\d+)\s*(?:([KMG])(?:i?B)?|B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class SettingsError(ValueError):
    """A setting that cannot be used as given; the message says which and why."""


def parse_size(text: str) -> int:
    """Bytes from `1048576`, `1MiB`, `100M`, `2GiB`: K, M and G are binary, with or without `iB`."""
    match = _SIZE.match(text)
    if match is None:
        raise SettingsError(f"{text!r} is not a size: write bytes or a unit, e.g. 1MiB, 100M, 2GiB")
    size = int(match.group(1)) * _UNITS[(match.group(2) or "").lower()]
    if size <= 0:
        raise SettingsError(f"{text!r}: a size must be more than 0 bytes")
    return size


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds from `3600`, `90s`, `30m`, `8h`, `1d`."""
    match = _DURATION.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise SettingsError(f"{text!r} is not a duration: write seconds or a unit, e.g. 90s, 30m, 8h, 1d")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2).lower()]


def is_loopback(host: str) -> bool:
    """Whether binding to `host` keeps the service on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    policy_dir: Path = Path("policies")
    host: str = "127.0.0.1"
    port: int = 8080
    db_url: str = DEFAULT_DB
    tokens_file: Path | None = None
    max_upload: int = DEFAULT_MAX_UPLOAD
    max_rows: int = DEFAULT_MAX_ROWS
    reload_seconds: float = 2.0
    workers: int = 2  # processes for evaluations, off the request loop
    session_idle: float = 8 * 3600.0  # the web app's sessions end after this many idle seconds
    keep_evaluations: int = 2  # evaluations each worker keeps computed for explain and reports (LRU)

    @property
    def open_access(self) -> bool:
        """No tokens: every caller is hr, which is only allowed on loopback."""
        return self.tokens_file is None

    def check(self) -> None:
        """Refuse settings that would expose the service: no tokens on a non-loopback address."""
        if self.open_access and not is_loopback(self.host):
            raise SettingsError(f"refusing to bind to {self.host} without --tokens: every caller would be hr; "
                                "create tokens with `kpi-rules token add` or bind to 127.0.0.1")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"--port {self.port} is not a TCP port")
        if self.max_rows <= 0:
            raise SettingsError("--max-rows must be more than 0")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise SettingsError(f"--workers {self.workers}: from 1 to {MAX_WORKERS} worker processes")
        if self.keep_evaluations < 1:
            raise SettingsError(f"--keep-evaluations {self.keep_evaluations}: each worker keeps at least 1")
