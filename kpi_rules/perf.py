"""Keeping Python's own bookkeeping out of the hot paths."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Reading, the engine and the output make a few small lists per row and free nothing on the way: the
    cyclic collector would only rescan the whole table again and again (a third of the
    run time at 100k rows). Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
