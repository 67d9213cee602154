"""Install visual-kind plug-ins the way a real package does: a `*.dist-info` folder with an
`entry_points.txt` on `sys.path` (in this process) or on `PYTHONPATH` (for a subprocess)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Iterator

TESTS = Path(__file__).resolve().parent


def write_dist_info(folder: Path, dist: str, kinds: dict[str, str]) -> Path:
    """A minimal installed distribution `dist` declaring `kinds` (name -> 'module:attr') in the
    `cockpit.visuals` entry-point group; returns the folder to put on the path."""
    info = folder / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
    lines = ["[cockpit.visuals]", *(f"{name} = {value}" for name, value in kinds.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@contextlib.contextmanager
def installed(folder: Path, dist: str, kinds: dict[str, str]) -> Iterator[None]:
    """The plug-in is installed in this process for the duration (the registry is rescanned on
    entry and on exit, so no other test sees it)."""
    from cockpit.visuals import registry

    path = str(write_dist_info(folder, dist, kinds))
    sys.path.insert(0, path)
    registry.visuals.cache_clear()
    try:
        yield
    finally:
        sys.path.remove(path)
        registry.visuals.cache_clear()
        registry.load_errors.clear()


def subprocess_env(folder: Path, **extra: str) -> dict[str, str]:
    """An environment whose Python finds the plug-in distribution in `folder` and the example
    plug-in package under tests/."""
    paths = [str(folder), str(TESTS), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p), **extra}
