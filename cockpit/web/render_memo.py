"""A panel's rendered answer (`Rendered`, `patch_of`), and a worker's memory of panels it has rendered: for a state it has drawn before, a panel's answer
is sent again without reading its result back from the shared cache or running its kind's render.

Keyed by what the panel is drawn from (`Views.drawn_from`: its declaration, the snapshot, every
value its SQL binds, its kind's `reads`) plus the publication of the snapshot and the update key
the client holds, which is exactly what the client-side "unchanged" check trusts. Entries are the
answer's JSON (immutable: nothing sent to one viewer can be changed by another request), bounded
in count and in bytes, least recently used dropped first. Per process: a new code version is a new
process, so no entry outlives the code that rendered it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from dash import Patch
from plotly.io.json import to_json_plotly

#: Bounds of one worker's memo: entries and the bytes of their JSON.
MAX_ENTRIES = 512
MAX_BYTES = 32 * 1024 * 1024
#: An answer larger than this is not kept (it would push many others out).
MAX_ENTRY_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Rendered:
    """One panel's output: what to send (a full render or a Patch) and the update key to keep."""

    value: Any
    key: str | None = None
    patched: bool = False


def patch_of(changes: list[tuple[tuple, Any]]) -> Patch:
    """A Dash Patch setting each (path, value) of a kind's value-only update."""
    patch = Patch()
    for path, value in changes:
        if not path:
            raise ValueError("an update path names at least one key")
        target = patch
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return patch


class RenderMemo:
    """Least-recently-used answers (value JSON, update key, patched) by key; thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[tuple, tuple[bytes, Any, bool]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_render(self, key: tuple, render: Callable[[], Any]) -> tuple[Any, Any, bool]:
        """(value, update key, patched) for `key`: from memory (the value decoded from its JSON,
        the form Dash sends anyway), else `render()` (a `Rendered`), kept for next time."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                self.hits += 1
        if hit is not None:
            data, ukey, patched = hit
            return json.loads(data), ukey, patched
        out = render()
        data = to_json_plotly(out.value).encode()  # what Dash itself sends
        with self._lock:
            self.misses += 1
            if len(data) <= MAX_ENTRY_BYTES and key not in self._items:
                self._items[key] = (data, out.key, out.patched)
                self._bytes += len(data)
                while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
                    _, (old, _, _) = self._items.popitem(last=False)
                    self._bytes -= len(old)
        # The fresh answer goes out in the same JSON form as a remembered one.
        return json.loads(data), out.key, out.patched

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)
