"""The registry of visual kinds, filled from the `cockpit.visuals` entry-point group."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points

from cockpit.visuals.base import Visual

#: Third-party plug-ins that failed to load, by name, with the reason (a broken plug-in must not
#: take the built-in kinds down with it; `cockpit check` reports it, and panels of that kind).
load_errors: dict[str, str] = {}

#: Entry points whose value lies in this package are built-in kinds: one that fails to load is a
#: bug of the cockpit itself and raises instead of being recorded.
BUILTIN_PREFIX = "cockpit."


def is_builtin(ep: EntryPoint) -> bool:
    return ep.value.startswith(BUILTIN_PREFIX)


@lru_cache(maxsize=1)
def visuals() -> dict[str, Visual]:
    """Every installed visual kind by name. Built-ins are entry points like any plug-in."""
    load_errors.clear()
    found: dict[str, Visual] = {}
    for ep in entry_points(group="cockpit.visuals"):
        try:
            visual = ep.load()
        except Exception as exc:  # noqa: BLE001 - any import failure of a plug-in
            if is_builtin(ep):
                raise ImportError(f"built-in visual kind {ep.name} ({ep.value}) failed to load: {exc}") from exc
            load_errors[ep.name] = f"{ep.value} failed to load: {exc}"
            continue
        if not isinstance(visual, Visual):
            raise TypeError(f"entry point {ep.name} ({ep.value}) is not a cockpit Visual")
        if visual.name != ep.name:
            raise ValueError(f"entry point {ep.name} exposes a visual named {visual.name!r}")
        found[visual.name] = visual
    return found


def reload() -> dict[str, Visual]:
    """Scan the entry points again (after installing or removing a plug-in in this process)."""
    visuals.cache_clear()
    return visuals()


def get_visual(kind: str) -> Visual:
    """The visual kind `kind`; KeyError naming the known kinds when it is not registered."""
    try:
        return visuals()[kind]
    except KeyError:
        if kind in load_errors:
            raise KeyError(f"kind {kind!r} is installed but {load_errors[kind]}") from None
        raise KeyError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(visuals()))}") from None
