"""Map geometry is wound the way plotly's geo needs it, whatever a drop or the simplifier does:
exterior rings clockwise, holes counter-clockwise (else d3-geo fills the globe but the shape)."""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry import Polygon

from cockpit.db import Database
from cockpit.geo import _children_geojson, regions_frame


def _signed_area(ring) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:]))


def _rings(geometry: dict):
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for poly in polys:
        yield poly[0], poly[1:]


def _assert_wound_for_plotly(fc: dict) -> None:
    for feature in fc["features"]:
        for exterior, holes in _rings(feature["geometry"]):
            assert _signed_area(exterior) < 0, f"{feature['id']}: exterior ring is counter-clockwise"
            for hole in holes:
                assert _signed_area(hole) > 0, f"{feature['id']}: hole is clockwise"


def test_every_parent_map_of_the_demo_is_wound_for_plotly(demo_store):
    db = Database(demo_store)
    snap = db.live_id()
    path = db.attach(snap).path / "tables" / "regions.parquet"
    parents = sorted(set(regions_frame(db, snap)["parent_code"].dropna()))
    assert len(parents) > 90  # the province, 11 cities, 90 counties
    for parent in parents:
        _assert_wound_for_plotly(_children_geojson(path, parent))


def test_a_drop_with_reversed_rings_draws_right(tmp_path):
    square = Polygon([(120, 30), (121, 30), (121, 31), (120, 31)], holes=[[(120.4, 30.4), (120.6, 30.4),
                                                                           (120.6, 30.6), (120.4, 30.6)]])
    other = Polygon([(121, 30), (122, 30), (122, 31), (121, 31)])
    # both windings reversed, against what plotly needs and against RFC 7946 alike
    reversed_geoms = [shapely.reverse(square), shapely.reverse(other)]
    gdf = gpd.GeoDataFrame({"region_code": ["330101", "330102"], "name": ["甲", "乙"], "level": ["county"] * 2,
                            "parent_code": ["330100"] * 2}, geometry=reversed_geoms, crs=4326)
    path = tmp_path / "regions.parquet"
    gdf.to_parquet(path)
    fc = _children_geojson(path, "330100")
    assert [f["id"] for f in fc["features"]] == ["330101", "330102"]
    _assert_wound_for_plotly(fc)
    gdf.geometry = [shapely.orient_polygons(g, exterior_cw=False) for g in gdf.geometry]  # RFC 7946 winding
    gdf.to_parquet(path)
    _children_geojson.cache_clear()
    _assert_wound_for_plotly(_children_geojson(path, "330100"))
