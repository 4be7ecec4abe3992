"""A small thread-safe LRU map: the explanations served last, in the server process, so that the same
explanation asked again (a manager's team page, a dashboard) costs neither a worker nor a computation."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def discard(self, keep: Callable[[K], bool]) -> None:
        """Forget every entry whose key `keep` refuses (an erased evaluation's)."""
        with self._lock:
            for key in [k for k in self._items if not keep(k)]:
                del self._items[key]

    def put(self, key: K, value: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
