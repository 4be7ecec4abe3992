"""Keeping Python's own bookkeeping out of the hot paths."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

# Set by the command-line entry point: this process runs one command and ends.
ONE_RUN = False


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """In the one-shot command line only: reading, the engine and the output make a few small
    lists per row and free nothing on the way, so the cyclic collector would only rescan the
    whole table again and again (a third of the run time at 100k rows). Reference counting
    still frees everything.

    A library call leaves the collector alone: switching it off is process-wide, so another
    thread of a server would see it off, and two overlapping calls could leave it off for good."""
    if not ONE_RUN:
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def one_run() -> None:
    """Settings for a process that runs one command and ends; call before numpy is imported.

    numpy asks the kernel for huge pages for large arrays (4 MB and more: columns of 500k rows
    and up). Where the kernel then compacts memory to find them (`defrag: madvise`, common on
    servers), the first use of each new array can stall: at 1M rows this doubled the engine's
    time after another large process had run. NUMPY_MADVISE_HUGEPAGE=0 (numpy's own switch)
    leaves them as ordinary pages. A value already set is kept."""
    global ONE_RUN
    ONE_RUN = True
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")


def settle_loaded_data() -> None:
    """After loading a data table that lives until the process ends (one CLI run): freeze
    what the cyclic collector tracks, so that it never traverses the table's millions of
    cells (its first pass alone costs about 25 ms per 100k rows). Later objects are
    collected as usual. A library caller's process is left alone."""
    if ONE_RUN:
        gc.freeze()
