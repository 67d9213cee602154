"""Map geometry as static files: `/geo/<snapshot>/<parent>.geojson` (`cockpit.geo.children_url`).

A snapshot never changes, so each file is cached by the browser for good (`immutable`, with an
ETag for revalidation): a map fetches each level once, and every answer of a map panel carries
values only. A file is served only to a viewer whose jurisdiction has that map (the same rule
that picks a page's map level: `filters.resolve`), from the published snapshots."""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, abort, request

from cockpit.filters import parse_query, resolve
from cockpit.geo import children_geojson_bytes

log = logging.getLogger("cockpit.web")

_SNAPSHOT = re.compile(r"^\d{5}_\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"^[0-9A-Za-z]{1,32}$")
CACHE = "private, max-age=31536000, immutable"  # per viewer (behind a login), never changes


def allowed(db, jurisdiction: str | None, snapshot: str, parent: str) -> bool:
    """Whether a viewer bound to `jurisdiction` has the map of `parent`'s children in `snapshot`:
    the map level of the region itself (a region with children) or of the jurisdiction (a
    jurisdiction without children shows its siblings)."""
    if not (_SNAPSHOT.match(snapshot) and _CODE.match(parent)) or snapshot not in db.snapshot_ids():
        return False
    for region in (parent, None):
        query = f"?snap={snapshot}" + (f"&region={parent}" if region else "")
        ctx = resolve(parse_query(query), db, jurisdiction).ctx
        if ctx.snapshot == snapshot and ctx.map_parent == parent:
            return True
    return False


def geojson_response(db, snapshot: str, parent: str, cache_control: str = CACHE) -> Response:
    """The level's GeoJSON, answering a revalidation (If-None-Match) with 304."""
    etag = f"{snapshot}.{parent}"
    if request.if_none_match.contains(etag):
        resp = Response(status=304)
    else:
        resp = Response(children_geojson_bytes(db, snapshot, parent), mimetype="application/geo+json")
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = cache_control
    return resp


def register_geo_routes(server: Flask, views) -> None:
    """Attach `/geo/<snapshot>/<parent>.geojson` to the app's server (`views`: the app's Views)."""

    @server.get("/geo/<snapshot>/<parent>.geojson")
    def map_geometry(snapshot: str, parent: str):
        try:
            jurisdiction = views.jurisdiction()
            ok = allowed(views.db, jurisdiction, snapshot, parent)
        except LookupError:  # nobody signed in, or no snapshot published
            ok = False
        if not ok:
            abort(404)
        return geojson_response(views.db, snapshot, parent)
