"""Map geometry: the children of a region as light GeoJSON, simplified without gaps, and the URL
a map loads it from (`children_url`: one static, cacheable file per snapshot and level, so a map
update sends values only).

`shapely.coverage_simplify` simplifies the shared edges of a coverage once, so neighbouring
regions keep identical borders (per-polygon `simplify` opens slivers between them). The tolerance
follows the size of the area shown, so a province view and a county view both stay ~100–400 KB."""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import shapely

from cockpit.db import Database

# Map detail: the tolerance is the shown extent divided by this (in degrees).
DETAIL = 1200.0
# Islands smaller than this many tolerances across are drawn this big (about 6 px on a province
# map): an island group at the edge of a province would otherwise be a few specks of outline.
MIN_ISLAND = 6.0
_lock = threading.Lock()


@lru_cache(maxsize=8)
def _regions(path: Path) -> gpd.GeoDataFrame:
    gdf = gpd.read_parquet(path)
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return gdf.set_index("region_code", drop=False)


def regions_frame(db: Database, snapshot: str) -> gpd.GeoDataFrame:
    """All regions of a snapshot with geometry (cached; snapshots are immutable)."""
    info = db.attach(snapshot)
    with _lock:
        return _regions(info.path / "tables" / "regions.parquet")


def _round(coords, nd=5):
    # 5 decimals ≈ 1 m: plenty for a screen, and a third shorter JSON.
    if isinstance(coords[0], (float, int)):
        return [round(c, nd) for c in coords]
    return [_round(c, nd) for c in coords]


def grow_small_islands(geoms, size: float):
    """Each region's parts that are smaller than `size` across and touch no other region (islands,
    whatever the drop) grown to about `size` across, so they stay visible on a map of the whole
    parent; parts that touch a neighbour keep their shape, so shared borders stay shared."""
    geoms = list(geoms)
    tree = shapely.STRtree(geoms)
    grown = []
    for i, geom in enumerate(geoms):
        parts = list(shapely.get_parts(geom)) if geom is not None else []
        if len(parts) < 2 and not (parts and _small(parts[0], size)):
            grown.append(geom)
            continue
        changed = False
        out = []
        for part in parts:
            if _small(part, size):
                bigger = part.buffer(size / 2 - _extent(part) / 2, quad_segs=3)
                neighbours = [j for j in tree.query(bigger, predicate="intersects") if j != i]
                if not neighbours:
                    out.append(bigger)
                    changed = True
                    continue
            out.append(part)
        grown.append(shapely.union_all(out) if changed else geom)
    return grown


def _extent(part) -> float:
    minx, miny, maxx, maxy = part.bounds
    return max(maxx - minx, maxy - miny)


def _small(part, size: float) -> bool:
    return part.geom_type == "Polygon" and _extent(part) < size


@lru_cache(maxsize=256)
def _children_geojson(path: Path, parent: str) -> dict:
    gdf = _regions(path)
    kids = gdf[gdf["parent_code"] == parent]
    if kids.empty:
        return {"type": "FeatureCollection", "features": [], "bbox": None}
    minx, miny, maxx, maxy = kids.total_bounds
    tolerance = max(maxx - minx, maxy - miny) / DETAIL
    simplified = shapely.coverage_simplify(kids.geometry.values, tolerance)
    simplified = grow_small_islands(simplified, MIN_ISLAND * tolerance)
    # plotly's geo (d3-geo) reads rings on the sphere: an exterior ring wound counter-clockwise is
    # the whole globe minus the shape. coverage_simplify (and any drop) may wind either way, so the
    # last geometry step fixes the winding: exteriors clockwise, holes counter-clockwise.
    simplified = shapely.orient_polygons(simplified, exterior_cw=True)
    features = []
    for code, geom in zip(kids.index, simplified):
        gj = shapely.geometry.mapping(geom)
        features.append({"type": "Feature", "id": code, "properties": {},
                         "geometry": {"type": gj["type"], "coordinates": _round(gj["coordinates"])}})
    return {"type": "FeatureCollection", "features": features,
            "bbox": [round(float(v), 4) for v in (minx, miny, maxx, maxy)]}


def children_geojson(db: Database, snapshot: str, parent: str) -> dict:
    """GeoJSON FeatureCollection of `parent`'s children (feature id = region_code)."""
    info = db.attach(snapshot)
    with _lock:
        return _children_geojson(info.path / "tables" / "regions.parquet", parent)


#: Where a map loads the children of a region from: the web layer serves it, as an immutable file
#: (snapshots never change), to viewers whose jurisdiction has that map.
GEO_PATH = "/geo/{snapshot}/{parent}.geojson"


def children_url(snapshot: str, parent: str) -> str:
    """The URL of `children_geojson(…, snapshot, parent)` (a page's map loads it once per level)."""
    return GEO_PATH.format(snapshot=snapshot, parent=parent)


@lru_cache(maxsize=256)
def _children_json(path: Path, parent: str) -> bytes:
    return json.dumps(_children_geojson(path, parent), separators=(",", ":")).encode()


def children_geojson_bytes(db: Database, snapshot: str, parent: str) -> bytes:
    """`children_geojson` as compact JSON bytes (memoised: served as a file)."""
    info = db.attach(snapshot)
    with _lock:
        return _children_json(info.path / "tables" / "regions.parquet", parent)
