"""`kpi-rules init`: a new policy repository from the files in `kpi_rules/scaffold/files/`.

Package data names hidden files `dot-*` (so that no tool skips them while
building the wheel); they are written as `.*`. `{{repo}}`, `{{rev}}` and
`{{install}}` are filled in with where this copy of kpi-rules comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from kpi_rules.common.errors import KpiRulesError
from kpi_rules.common.version import __version__

if TYPE_CHECKING:  # importlib.resources.abc is 3.11+; the older name type-checks on 3.10
    from importlib.abc import Traversable

HOME = "https://github.com/kpi-rules/kpi-rules"


class ScaffoldError(KpiRulesError):
    """The target folder cannot be used."""


@dataclass(frozen=True)
class Settings:
    repo: str = HOME
    rev: str = f"v{__version__}"
    install: str = f"kpi-rules=={__version__}"


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


def fill(text: str, settings: Settings) -> str:
    for key, value in (("repo", settings.repo), ("rev", settings.rev), ("install", settings.install)):
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
    for relative, text in template_files():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fill(text, settings), encoding="utf-8")
        written.append(path)
    return written
