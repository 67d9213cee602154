"""The declarations the app serves, loaded at start-up and, in dev mode, reloaded when a file changes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from cockpit.specs.loader import Catalog, SpecError, load_catalog


class BrokenSpecs(SystemExit):
    """Raised at start-up when a declaration is invalid: the app refuses to serve it."""

    def __init__(self, errors: list[SpecError]):
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"cockpit: refusing to start, the declarations have {len(errors)} problem(s):\n{lines}\n"
                         "Run `cockpit check` for details.")
        self.errors = errors


class CatalogHolder:
    """Holds the current catalog. With `dev`, a changed file under layouts/ triggers a reload; a
    reload that fails keeps the last good catalog and exposes the errors for a banner."""

    def __init__(self, layouts: Path, dev: bool = False):
        self.layouts = layouts
        self.dev = dev
        self._lock = threading.Lock()
        self._checked = 0.0
        self.errors: list[SpecError] = []
        catalog = load_catalog(layouts)
        if catalog.errors:
            raise BrokenSpecs(catalog.errors)
        self._catalog = catalog
        self.version = 0  # counts successful reloads: memo keys of things built from the catalog
        self._stamp = self._mtimes()

    def _mtimes(self) -> tuple:
        files = [*sorted(self.layouts.glob("*.toml")), *sorted((self.layouts / "panels").glob("*.toml")),
                 *sorted((self.layouts / "walls").glob("*.toml"))]
        return tuple((str(f), f.stat().st_mtime_ns) for f in files if f.exists())

    def get(self) -> Catalog:
        """The catalog to serve now."""
        if self.dev and time.monotonic() - self._checked > 0.5:
            with self._lock:
                self._checked = time.monotonic()
                stamp = self._mtimes()
                if stamp != self._stamp:
                    self._stamp = stamp
                    fresh = load_catalog(self.layouts)
                    self.errors = fresh.errors
                    if not fresh.errors:
                        self._catalog = fresh
                        self.version += 1
        return self._catalog
