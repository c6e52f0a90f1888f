"""A small in-process cache for public page fragments.

The public conference pages are what a crowd opens at once (a link shared in a Zalo group at
7:00). Their content changes rarely, so each worker keeps the rendered fragment for a few
seconds: seats left may lag by at most ``ttl`` seconds, while every registration itself is
still decided exactly in the database. Staff (logged in) always get a fresh page.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class FragmentCache:
    def __init__(self, *, ttl: float, max_entries: int = 512):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_build(self, key: tuple, build: Callable[[], object]) -> object:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                self._entries.move_to_end(key)
                return hit[1]
        value = build()
        if self.ttl > 0:
            with self._lock:
                self._entries[key] = (now + self.ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
