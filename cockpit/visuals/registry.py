"""The registry of visual kinds, filled from the `cockpit.visuals` entry-point group."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from cockpit.visuals.base import Visual


@lru_cache(maxsize=1)
def visuals() -> dict[str, Visual]:
    """Every installed visual kind by name. Built-ins are entry points like any plug-in."""
    found: dict[str, Visual] = {}
    for ep in entry_points(group="cockpit.visuals"):
        visual = ep.load()
        if not isinstance(visual, Visual):
            raise TypeError(f"entry point {ep.name} ({ep.value}) is not a cockpit Visual")
        if visual.name != ep.name:
            raise ValueError(f"entry point {ep.name} exposes a visual named {visual.name!r}")
        found[visual.name] = visual
    return found


def get_visual(kind: str) -> Visual:
    """The visual kind `kind`; KeyError naming the known kinds when it is not registered."""
    try:
        return visuals()[kind]
    except KeyError:
        raise KeyError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(visuals()))}") from None
