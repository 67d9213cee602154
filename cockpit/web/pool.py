"""Runs the panels of one batched callback concurrently: a small pool per process, each task in a
copy of the request's context (the viewer, the jurisdiction), so uncached panels are computed side
by side (DuckDB releases the GIL while it runs) while the answer stays one HTTP response."""

from __future__ import annotations

import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pid: int | None = None


def _executor(workers: int) -> ThreadPoolExecutor:
    """The process's pool, made on first use (after a gunicorn fork: a pool does not survive one)."""
    global _pool, _pid
    with _lock:
        if _pool is None or _pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="cockpit-panel")
            _pid = os.getpid()
        return _pool


def run_all(tasks: Sequence[Callable[[], Any]], workers: int) -> list[Any]:
    """Each task's result, in order. One task runs on the calling thread (no hand-over for a single
    panel); the others on the pool, which bounds how many run at once in the process (the query
    slots bound the queries). A task must catch its own failures."""
    if len(tasks) <= 1:
        return [task() for task in tasks]
    pool = _executor(workers)
    futures = [pool.submit(contextvars.copy_context().run, task) for task in tasks[1:]]
    first = tasks[0]()
    return [first, *(f.result() for f in futures)]
