"""`kpi-rules init`: a new policy repository from the files in `kpi_rules/scaffold/files/`.

Package data names hidden files `dot-*` (so that no tool skips them while
building the wheel); they are written as `.*`. `{{install}}` (what CI and the
pre-commit hooks give pip) is where this copy of kpi-rules comes from, and
`{{diff_period}}` the latest period of the scaffold's own `data/sample.csv`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.common.periods import PeriodError, parse_period
from kpi_rules.common.version import __version__

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; the older name type-checks on 3.10
    from importlib.abc import Traversable

class ScaffoldError(KpiRulesError):
    """The target folder cannot be used."""


@dataclass(frozen=True)
class Source:
    """Where pip can get this copy of kpi-rules: `spec` for `pip install`, and `local` set to the
    folder or file it was installed from when that is a path on this machine (which CI cannot reach)."""

    spec: str
    local: str | None = None


def running_source() -> Source:
    """The pip requirement that installs the kpi-rules running now (PEP 610 `direct_url.json`):
    `kpi-rules @ git+URL@COMMIT` when installed from git, `kpi-rules @ URL` from an archive,
    `kpi-rules==VERSION` from a package index (or when it cannot be told)."""
    pinned = Source(f"kpi-rules=={__version__}")
    try:
        text = metadata.distribution("kpi-rules").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return pinned
    if not text:
        return pinned
    try:
        info = json.loads(text)
        url = str(info["url"])
    except (ValueError, KeyError, TypeError):
        return pinned
    if url.startswith("file:"):
        return Source(pinned.spec, local=url.removeprefix("file://"))
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        return Source(f"kpi-rules @ git+{url}@{vcs.get('commit_id') or vcs.get('requested_revision') or 'HEAD'}")
    return Source(f"kpi-rules @ {url}")


def latest_period(csv_text: str) -> str:
    """The latest period in a CSV's `period` column (the one a pull request's diff compares)."""
    periods = []
    for row in csv.DictReader(io.StringIO(csv_text)):
        try:
            periods.append((parse_period(row.get("period") or ""), row["period"].strip()))
        except PeriodError:
            continue
    if not periods:
        raise ScaffoldError("the scaffold's data/sample.csv has no period")
    return max(periods)[1]


@dataclass(frozen=True)
class Settings:
    source: Source = field(default_factory=running_source)

    @property
    def install(self) -> str:
        return self.source.spec


def _files(folder: Traversable, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Traversable]]:
    out = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith((".", "__")):
            continue
        name = "." + entry.name[4:] if entry.name.startswith("dot-") else entry.name
        if entry.is_dir():
            out += _files(entry, (*prefix, name))
        else:
            out.append(((*prefix, name), entry))
    return out


def template_files() -> list[tuple[str, str]]:
    """(relative path, text) of every scaffold file, placeholders not yet filled."""
    root = resources.files("kpi_rules").joinpath("scaffold").joinpath("files")
    return [("/".join(parts), entry.read_text(encoding="utf-8")) for parts, entry in _files(root)]


def fill(text: str, settings: Settings, diff_period: str = "") -> str:
    for key, value in (("install", settings.install), ("diff_period", diff_period)):
        text = text.replace("{{" + key + "}}", value)
    return text


def scaffold(target: Path, force: bool = False, settings: Settings | None = None) -> list[Path]:
    """Write the scaffold into `target`; refuses a non-empty folder unless `force` (then files are overwritten)."""
    settings = settings or Settings()
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ScaffoldError(f"{target} is not empty; choose an empty folder, or use --force to write into it "
                            "(files of the same name are overwritten)")
    written = []
    files = template_files()
    diff_period = latest_period(dict(files)["data/sample.csv"])
    for relative, text in files:
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fill(text, settings, diff_period), encoding="utf-8")
        written.append(path)
    return written
