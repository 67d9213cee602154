"""Plain `dash.html` component trees as HTML text, for walls (which run no Dash renderer).

Only html components are accepted: an interactive component (a grid, a slider) has no meaning on a
screen nobody touches, so a kind must give a wall variant instead. Every text and attribute value
is escaped; attributes are an allow-list, styles are plain declarations (no url(), no expressions)."""

from __future__ import annotations

import html as _html
import re

from dash.development.base_component import Component

from cockpit.visuals.base import TrustedHTML

_ATTRS = {"className": "class", "title": "title", "role": "role", "dateTime": "datetime", "colSpan": "colspan",
          "rowSpan": "rowspan", "lang": "lang"}
_TAG = re.compile(r"^[a-z][a-z0-9]{0,15}$")
_VOID = {"br", "hr", "img", "wbr"}
_STYLE_KEY = re.compile(r"^(--)?[a-zA-Z][a-zA-Z0-9\-]{0,40}$")
_STYLE_BAD = re.compile(r"url\(|expression|javascript:|[<>{};\\]", re.I)


class NotForWalls(TypeError):
    """A component that cannot be shown on a wall (not a plain html element)."""


def _css_name(key: str) -> str:
    return key if key.startswith("--") else re.sub(r"(?<!^)([A-Z])", r"-\1", key).lower()


def _style(style: dict) -> str:
    parts = []
    for key, value in style.items():
        text = str(value)
        if _STYLE_KEY.match(str(key)) and not _STYLE_BAD.search(text):
            parts.append(f"{_css_name(str(key))}:{text}")
    return ";".join(parts)


def _attrs(node: Component) -> str:
    out = []
    props = node.to_plotly_json()["props"]
    for key, value in props.items():
        if key == "children" or value is None:
            continue
        if key == "style" and isinstance(value, dict):
            name, text = "style", _style(value)
        elif key in _ATTRS:
            name, text = _ATTRS[key], str(value)
        elif re.match(r"^(aria|data)-[a-z0-9\-]{1,40}$", key):
            name, text = key, str(value)
        else:
            continue  # ids, callbacks' props, event counters: nothing a wall needs
        out.append(f' {name}="{_html.escape(text, quote=True)}"')
    return "".join(out)


def to_html(node) -> str:
    """HTML text of a component tree (strings, numbers, lists and html components)."""
    if node is None or node is False:
        return ""
    if isinstance(node, TrustedHTML):
        return str(node)  # sanitised by the kind that made it (e.g. markdown, through nh3)
    if isinstance(node, (str, int, float)):
        return _html.escape(str(node), quote=False)
    if isinstance(node, (list, tuple)):
        return "".join(to_html(n) for n in node)
    if isinstance(node, Component) and getattr(node, "_namespace", "") == "dash_html_components":
        tag = node._type.lower()
        if not _TAG.match(tag) or tag in ("script", "style", "iframe", "object", "embed", "form", "a"):
            raise NotForWalls(f"<{tag}> is not shown on walls")
        inner = "" if tag in _VOID else to_html(getattr(node, "children", None))
        return f"<{tag}{_attrs(node)}>" + ("" if tag in _VOID else f"{inner}</{tag}>")
    raise NotForWalls(f"{type(node).__name__} is not a plain html component; the kind needs a wall variant")
