"""Bounded work per process: how many queries run at once, and which recently timed out.

Mechanics only (no SQL): `cockpit.query` takes a slot around every DuckDB query and remembers
the error of a query that ran past its timeout, so a slow panel holds one slot for at most its
timeout and is then answered with its error for a while instead of being run by every viewer.
A semaphore is per process: with gunicorn's threads above the slot count, a thread stays free
for cached answers and for queries of other panels.
"""

from __future__ import annotations

import threading
import time


class Busy(RuntimeError):
    """No query slot became free in time."""


class QuerySlots:
    """At most `max_concurrent_queries` DuckDB queries at once in this process; a query waits for
    its turn at most `query_wait_s`, so a slow panel holds one slot, never every worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._size = 0
        self._sem = threading.BoundedSemaphore(1)

    def _semaphore(self, size: int) -> threading.BoundedSemaphore:
        with self._lock:
            if size != self._size:
                self._size, self._sem = size, threading.BoundedSemaphore(size)
            return self._sem

    def acquire(self, size: int, wait_s: float) -> threading.BoundedSemaphore:
        """A slot of at most `size` (release it when the query is done); raises `Busy` after
        `wait_s` without one."""
        size = max(1, int(size))
        sem = self._semaphore(size)
        if not sem.acquire(timeout=max(0.0, wait_s)):
            raise Busy(f"the cockpit is busy ({size} queries already running); waited {wait_s:g} s, "
                       "try again in a moment")
        return sem


class RecentErrors:
    """Errors of queries that timed out, by query key, for a while (then the query may run again)."""

    def __init__(self, limit: int = 4096) -> None:
        self._lock = threading.Lock()
        self._errors: dict[str, tuple[float, str]] = {}
        self._limit = limit

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._errors.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._errors[key]
                return None
            return entry[1]

    def put(self, key: str, message: str, ttl: float) -> None:
        if ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._errors) >= self._limit:
                self._errors = {k: v for k, v in self._errors.items() if v[0] >= now}
                while len(self._errors) >= self._limit:
                    self._errors.pop(next(iter(self._errors)))
            self._errors[key] = (now + ttl, message)
