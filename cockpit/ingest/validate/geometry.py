"""Geometry of regions.parquet: the GeoParquet metadata (encoding, CRS) and every geometry
(null, WKB, type, vertex count, emptiness, validity, lon/lat range), checked with shapely in batches.

A region whose boundary has more coordinates than the setting `max_region_vertices`
(COCKPIT_MAX_REGION_VERTICES) is refused, not simplified: the provider simplifies it, so the
published boundary is the one they sent."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cockpit.contract import ACCEPTED_CRS, GEOMETRY_TYPES, TableContract
from cockpit.ingest.validate.context import DropCheck
from cockpit.ingest.validate.problems import MAX_ROWS_SHOWN, Problem
from cockpit.settings import get_settings

# Lon/lat box of China (the same bounds as requests.lon/lat): catches projected coordinates and
# swapped axes, both of which would still look like "valid" polygons.
GEO_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def geo_covering_columns(schema: pa.Schema) -> set[str]:
    """Columns a GeoParquet 1.1 'covering' (e.g. the bbox column of `write_covering_bbox=True`)
    names: derived from the geometry, so they are ignored by the checks and not stored."""
    try:
        geo = json.loads((schema.metadata or {})[b"geo"])
        covering = geo["columns"]["geometry"].get("covering") or {}
        return {path[0] for spec in covering.values() for path in spec.values() if path}
    except (KeyError, ValueError, TypeError, AttributeError, IndexError):
        return set()


def _crs_name(crs) -> str:
    """'AUTHORITY:CODE' of a GeoParquet CRS (PROJJSON or a string), or its name."""
    if isinstance(crs, str):
        name = crs
    elif isinstance(crs, dict):
        ident = crs.get("id") or {}
        if ident.get("authority") and ident.get("code") is not None:
            name = f"{ident['authority']}:{ident['code']}"
        else:
            name = str(crs.get("name", "unknown CRS"))
            try:  # PROJJSON without an id: ask pyproj whether it is WGS 84 lon/lat
                import pyproj
                if pyproj.CRS.from_json_dict(crs).equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True):
                    return "EPSG:4326"
            except Exception:
                pass
    else:
        name = str(crs)
    return name.upper() if name.upper() in ACCEPTED_CRS else name


def check_geo_metadata(run: DropCheck, t: TableContract, schema: pa.Schema) -> None:
    """The GeoParquet 'geo' metadata: a geometry column, WKB encoding, an accepted CRS."""
    meta = (schema.metadata or {}).get(b"geo")
    if meta is None:
        run.add(Problem(t.file, "geometry", "not GeoParquet: no 'geo' metadata (write it with "
                        "geopandas GeoDataFrame.to_parquet)", "geo_metadata"))
        return
    try:
        geo = json.loads(meta)
        col = geo["columns"]["geometry"]
    except (ValueError, KeyError, TypeError):
        run.add(Problem(t.file, "geometry", "the 'geo' metadata does not describe a column named "
                        "geometry", "geo_metadata"))
        return
    encoding = str(col.get("encoding", "")).upper()
    if encoding != "WKB":
        run.add(Problem(t.file, "geometry", "geometry encoding must be WKB", "geo_metadata",
                        example=str(col.get("encoding"))))
    if col.get("crs") is None:
        run.add(Problem(t.file, "geometry", "CRS is missing; set it to EPSG:4326 "
                        "(gdf.set_crs('EPSG:4326')) before writing", "crs"))
        return
    name = _crs_name(col["crs"])
    if name not in ACCEPTED_CRS:
        run.add(Problem(t.file, "geometry", "CRS must be EPSG:4326 (WGS 84 lon/lat)", "crs",
                        example=name))


def _code(value: str | None) -> str:
    """A region_code as shown in a problem (it is the provider's text: shortened, escaped)."""
    if value is None:
        return "(no code)"
    text = value if len(value) <= 40 else value[:37] + "..."
    return text if text.isprintable() else ascii(text)


def check_geometry(run: DropCheck, t: TableContract, path: Path) -> None:
    """Null, WKB, type, vertex count, emptiness, validity and lon/lat range of every geometry, in batches."""
    if "geometry" not in run.usable.get(t.name, set()):
        return
    import numpy as np
    import shapely

    limit = get_settings().max_region_vertices
    found: dict[str, list] = {}  # code -> [rule, count, rows, example]
    too_big: list[tuple[int, str | None, int]] = []  # (row, region_code, vertices) of the first ones
    too_big_count = 0
    with_code = "region_code" in run.usable.get(t.name, set())

    def note(code: str, rule: str, idx: np.ndarray, offset: int, example=None) -> None:
        if len(idx) == 0:
            return
        entry = found.setdefault(code, [rule, 0, [], None])
        entry[1] += len(idx)
        room = MAX_ROWS_SHOWN - len(entry[2])
        if room > 0:
            entry[2].extend(int(i) + offset for i in idx[:room])
        if entry[3] is None and example is not None:
            entry[3] = example(int(idx[0]))

    offset = 0
    try:
        with pq.ParquetFile(path) as pf:
            columns = ["geometry", "region_code"] if with_code else ["geometry"]
            for batch in pf.iter_batches(columns=columns, batch_size=512):
                arr = batch.column("geometry")
                if isinstance(arr.type, pa.ExtensionType):
                    arr = arr.storage
                raw = arr.to_numpy(zero_copy_only=False)
                isnull = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
                geoms = shapely.from_wkb(np.where(isnull, None, raw), on_invalid="ignore")
                parsed = ~shapely.is_missing(geoms)
                note("null", "must not be null", np.flatnonzero(isnull), offset)
                note("geometry_wkb", "not valid WKB", np.flatnonzero(~isnull & ~parsed), offset)
                types = shapely.get_type_id(geoms)
                poly = np.isin(types, [3, 6])  # Polygon, MultiPolygon
                note("geometry_type", "must be a " + " or ".join(GEOMETRY_TYPES),
                     np.flatnonzero(parsed & ~poly), offset,
                     lambda i, g=geoms: g[i].geom_type)
                check = parsed & poly
                # Too many vertices: refused, and not checked further (validity is O(n log n)).
                vertices = np.where(check, shapely.get_num_coordinates(geoms), 0)
                big = np.flatnonzero(vertices > limit)
                if len(big):
                    codes = batch.column("region_code").to_pylist() if with_code else None
                    too_big_count += len(big)
                    for i in big[: max(MAX_ROWS_SHOWN - len(too_big), 0)]:
                        too_big.append((offset + int(i), None if codes is None else codes[i], int(vertices[i])))
                    check[big] = False
                empty = check & shapely.is_empty(geoms)
                note("geometry_empty", "must not be empty", np.flatnonzero(empty), offset)
                check &= ~empty
                invalid = check & ~shapely.is_valid(geoms)
                note("geometry_invalid", "must be a valid geometry", np.flatnonzero(invalid), offset,
                     lambda i, g=geoms: shapely.is_valid_reason(g[i]))
                b = shapely.bounds(geoms)
                with np.errstate(invalid="ignore"):
                    outside = check & ((b[:, 0] < GEO_BOUNDS[0]) | (b[:, 1] < GEO_BOUNDS[1])
                                       | (b[:, 2] > GEO_BOUNDS[2]) | (b[:, 3] > GEO_BOUNDS[3]))
                note("geometry_bounds", "coordinates must be longitude/latitude degrees in EPSG:4326 "
                     f"(lon {GEO_BOUNDS[0]:g}..{GEO_BOUNDS[2]:g}, lat {GEO_BOUNDS[1]:g}..{GEO_BOUNDS[3]:g})",
                     np.flatnonzero(outside), offset,
                     lambda i, bb=b: "bounds " + ", ".join(f"{x:.6g}" for x in bb[i]))
                offset += len(arr)
    except Exception as exc:
        run.unreadable(t.file, exc)
        return
    for code, (rule, count, rows, example) in found.items():
        run.add(Problem(t.file, "geometry", rule, code, tuple(rows), count,
                        None if example is None else str(example)))
    for row, region, vertices in too_big:
        run.add(Problem(t.file, "geometry", f"region {_code(region)} "
                        f"has {vertices} vertices, more than the limit of {limit} (setting "
                        "COCKPIT_MAX_REGION_VERTICES); simplify its boundary before sending it",
                        "geometry_vertices", (row,), 1))
    if too_big_count > len(too_big):
        run.add(Problem(t.file, "geometry", f"{too_big_count - len(too_big)} more regions have more than "
                        f"{limit} vertices", "geometry_vertices", (), too_big_count - len(too_big)))
