"""Files and folders that appear whole or not at all: written beside their place, then renamed.

The temporary file is created with mode 0o666, so the operating system applies
the process's umask to it as to any ordinary file; nothing here reads or
changes the umask (process-wide state a threaded server must not touch).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty file beside `path` named `.<name>.<random>`, opened for writing."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}"
        try:
            return os.open(tmp, _FLAGS, 0o666), tmp
        except FileExistsError:
            continue


@contextmanager
def atomic_writer(path: Path, binary: bool = False) -> Iterator[Any]:
    """A file handle whose content appears at `path` only when the block completes:
    written to a temporary file beside it, then renamed. Never a half-written report;
    the temporary file is removed when the block fails or is interrupted (a signal)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = None
    try:
        fd, tmp = _create_temp(path)
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (see atomic_writer)."""
    with atomic_writer(path) as handle:
        handle.write(text)


@contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """A new folder, filled in the block, that replaces `path` whole when the block completes.

    The block writes into a hidden temporary folder beside `path`; on success the
    previous `path` (if any) is moved aside and removed. If the block fails or is
    interrupted, the temporary folder is removed and `path` is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}"
    old: Path | None = None
    try:
        tmp.mkdir()
        yield tmp
        if path.exists():
            old = path.parent / f".{path.name}.old-{secrets.token_hex(4)}"
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not path.exists():
            os.replace(old, path)  # put the previous folder back
            old = None
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
