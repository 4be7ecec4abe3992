"""git lookups for policy files: argv lists, never a shell; refs checked and passed after
`--end-of-options`, so a ref can never be read as an option (`--output=x`) or a path (`../`)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

_REF = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/~^@{}-]{1,200}$")
TIMEOUT = 20


class RefError(ValueError):
    """A ref that is not a plain git revision name."""


def check_ref(ref: str) -> str:
    if not _REF.match(ref) or ref.startswith("/") or ref.endswith((".lock", "/", ".")) or "@{" in ref:
        raise RefError(f"{ref!r} is not a git revision: use a commit, a branch, a tag, or HEAD~N")
    return ref


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd, capture_output=True,
                              timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def last_commit(path: Path) -> tuple[str | None, bool | None]:
    """The last commit that touched `path`, and whether the file differs from it; (None, None)
    outside a git repository or for an untracked file."""
    path = path.resolve()
    commit = _git(path.parent, "log", "-1", "--format=%H", "--end-of-options", "HEAD", "--", path.name)
    if not commit or not commit.strip():
        return None, None
    changed = _git(path.parent, "status", "--porcelain", "--", path.name)
    return commit.strip(), bool(changed and changed.strip())


def resolve(path: Path, ref: str) -> str | None:
    """The commit a revision names, or None."""
    check_ref(ref)
    out = _git(path.resolve().parent, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    return out.strip() if out and out.strip() else None


def show(path: Path, ref: str) -> bytes | None:
    """The file's bytes at `ref`, or None when the revision or the file there does not exist."""
    check_ref(ref)
    path = path.resolve()
    top = _git(path.parent, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    relative = path.relative_to(Path(top.strip()).resolve()).as_posix()
    commit = resolve(path, ref)
    if not commit:
        return None
    try:
        done = subprocess.run(["git", "cat-file", "blob", f"{commit}:{relative}"], cwd=path.parent,
                              capture_output=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def history(path: Path, limit: int = 1000) -> list[dict[str, str]]:
    """The commits that touched the file, newest first: commit, date, author, subject."""
    path = path.resolve()
    out = _git(path.parent, "log", f"-n{limit}", "--format=%H%x1f%aI%x1f%an%x1f%s%x1e", "--end-of-options",
               "HEAD", "--", path.name)
    items = []
    for record in (out or "").split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 4:
            items.append({"commit": fields[0], "date": fields[1], "author": fields[2], "subject": fields[3]})
    return items
