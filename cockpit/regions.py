"""The region tree of a snapshot, in memory: names, levels, parents, children, ancestors.

Small (a province has a few thousand regions) and immutable per snapshot, so it is loaded once
per snapshot and used to validate every region a client asks for."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cockpit.db import Database

LEVELS = ("province", "city", "county", "street")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    name_en: str | None
    level: str
    parent: str | None

    def label(self, lang: str) -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


class RegionIndex:
    """Lookups over one snapshot's regions."""

    def __init__(self, rows: list[tuple]):
        self.by_code: dict[str, Region] = {}
        self.children: dict[str, list[str]] = {}
        for code, name, name_en, level, parent in rows:
            self.by_code[code] = Region(code, name, name_en, level, parent)
        for r in sorted(self.by_code.values(), key=lambda r: r.code):
            if r.parent is not None:
                self.children.setdefault(r.parent, []).append(r.code)
        self.tops = sorted(c for c, r in self.by_code.items() if r.parent is None)

    def get(self, code: str | None) -> Region | None:
        return self.by_code.get(code) if isinstance(code, str) else None

    def ancestors(self, code: str) -> list[str]:
        """From the top down to `code` itself."""
        chain = []
        node = self.by_code.get(code)
        while node is not None:
            chain.append(node.code)
            node = self.by_code.get(node.parent) if node.parent else None
        return chain[::-1]

    def is_within(self, code: str, root: str) -> bool:
        return root in self.ancestors(code)

    def streets_under(self, code: str) -> list[str]:
        out, stack = [], [code]
        while stack:
            c = stack.pop()
            if self.by_code[c].level == "street":
                out.append(c)
            stack.extend(self.children.get(c, []))
        return sorted(out)


_cache: dict[tuple[str, str], RegionIndex] = {}
_lock = threading.Lock()


def region_index(db: Database, snapshot: str) -> RegionIndex:
    """The RegionIndex of a snapshot (cached per process)."""
    key = (str(db.store), snapshot)
    if key not in _cache:
        en = "name_en" if "name_en" in db.columns(snapshot, "regions") else "NULL"
        rows = db.snapshot_cursor(snapshot).execute(
            f"SELECT region_code, name, {en}, level, parent_code FROM regions").fetchall()
        with _lock:
            _cache[key] = RegionIndex(rows)
    return _cache[key]
