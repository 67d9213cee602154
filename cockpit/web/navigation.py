"""How a click or a control changes the page state. Pure functions of the current state and the
(untrusted) event; the result is re-validated by `cockpit.filters.resolve` before it is used."""

from __future__ import annotations

from typing import Any

from cockpit.filters import FilterState, valid_filter_value
from cockpit.visuals.base import safe_id
from cockpit.visuals.registry import get_visual
from cockpit.web.views import Views


def apply_trigger(views: Views, state: FilterState, trigger: Any, value: Any) -> FilterState:
    """The state after the control that fired; unknown or malformed triggers change nothing."""
    if not isinstance(trigger, dict):
        return state  # the URL itself changed (link, back button): it is the state
    kind = trigger.get("type")
    if kind == "period" and isinstance(value, str):
        return state.with_(period=value)
    if kind == "cmp" and isinstance(value, str):
        return state.with_(cmp=value)
    if kind == "snap" and isinstance(value, str):
        return state.with_(snap=value)
    if kind == "lang-btn" and value:
        return state.with_(lang="en" if state.lang == "zh" else "zh")
    if kind == "crumb" and value:
        return state.with_(region=safe_id(trigger, "code"), street=None)
    if kind == "chip" and value:
        field = safe_id(trigger, "field")
        return state.with_(filters={k: v for k, v in state.filters.items() if k != field})
    if kind == "street-pick":
        # Choosing a street selects it on the map too.
        return state.with_(street=value, region=value) if isinstance(value, str) else state
    if kind == "graph":
        return apply_click(views, state, safe_id(trigger, "panel"), value)
    return state


def apply_click(views: Views, state: FilterState, pid: str | None, click: Any) -> FilterState:
    """A click on a graph: the kind's own `click` hook first, else the panel's cross-filter toggles."""
    panel = views.holder.get().panels.get(pid) if pid else None
    if panel is None or not isinstance(click, dict):
        return state
    points = click.get("points")
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        return state
    point = points[0]
    visual = get_visual(panel.spec.kind)
    if visual.click is not None:
        # The kind's own reaction (e.g. a map drills down); None leaves it to the cross-filter.
        new = visual.click(state, point, panel.options)
        if new is not None:
            return _data_values(views, state, new)
    xf = panel.spec.cross_filter
    if xf is None:
        return state
    value = visual.point_value(point, panel.options, xf.column)
    if not isinstance(value, (str, int, float)):
        return state
    value = str(value)
    if xf.column in panel.spec.translate:
        # The chart shows display names; the filter needs the data value behind it.
        value = views.untranslate(value)
    if not valid_filter_value(value):
        return state
    filters = dict(state.filters)
    if filters.get(xf.field) == value:
        filters.pop(xf.field)  # clicking the active value again clears it
    else:
        filters[xf.field] = value
    return state.with_(filters=filters)



def _data_values(views: Views, state: FilterState, new: FilterState) -> FilterState:
    """A kind's click filters by the names it shows: each filter it changed gets the data value
    behind a translated name, and a value the page already filters on is cleared (a second click
    on a shown name the kind could not compare with the data value)."""
    filters = dict(new.filters)
    for key, shown in new.filters.items():
        if state.filters.get(key) == shown:
            continue
        value = views.untranslate(shown)
        if state.filters.get(key) == value:
            filters.pop(key)
        else:
            filters[key] = value
    return new.with_(filters=filters) if filters != new.filters else new
