"""Which plotly.js the pages load: the partial bundle built at install time (bundles/, only the
trace types the built-in kinds draw), or plotly's full bundle (`COCKPIT_PLOTLY_BUNDLE=full`, for a
plug-in kind that draws another trace type, and whenever the partial bundle was not built).

Dash's graphs load plotly.js themselves, from the URL the renderer puts in
`window._dashPlotlyJSURL`, unless `window.Plotly` exists; the index page names the partial
bundle's versioned URL in a data block and assets/01_first_response.js makes the graphs load it."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import plotly
from flask import Flask, Response

log = logging.getLogger("cockpit.web")

STATIC = Path(__file__).with_name("static")
PARTIAL = STATIC / "plotly-cockpit.min.js"
#: Written beside the bundle by bundles/build.mjs: the trace types it has.
PARTIAL_TRACES = STATIC / "plotly-cockpit.json"
FULL = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
ROUTE = "/static-bundles/plotly-cockpit.min.js"


def partial_traces() -> list[str] | None:
    """The trace types of the built partial bundle (None: it was not built)."""
    if not (PARTIAL.is_file() and PARTIAL_TRACES.is_file()):
        return None
    return list(json.loads(PARTIAL_TRACES.read_text(encoding="utf-8"))["traces"])


def plotly_file(setting: str) -> Path:
    """The plotly.js file `setting` ("partial" or "full") asks for."""
    return PARTIAL if setting == "partial" and partial_traces() is not None else FULL


def register(server: Flask, setting: str) -> str | None:
    """Serve the partial bundle when `setting` asks for it and it is built; its versioned URL (the
    content's digest: cached for good, see cockpit.web.compression), or None for plotly's own."""
    if plotly_file(setting) != PARTIAL:
        if setting == "partial":
            log.warning("the partial plotly.js bundle is not built (run `make install`): serving the full one")
        return None
    data = PARTIAL.read_bytes()

    @server.get(ROUTE)
    def _partial_plotly():
        return Response(data, mimetype="text/javascript")

    return f"{ROUTE}?v={hashlib.sha256(data).hexdigest()[:12]}"
