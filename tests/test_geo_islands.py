"""Small islands stay visible on a map of their whole parent: an island part smaller than the
minimum size is drawn at about that size (any drop, any region: decided by geometry alone),
without overlapping a neighbour; parts that touch a neighbour keep their shape."""

from __future__ import annotations

import pytest
import shapely

from cockpit.db import Database
from cockpit.geo import DETAIL, MIN_ISLAND, children_geojson, grow_small_islands, regions_frame


def _extent(part) -> float:
    minx, miny, maxx, maxy = part.bounds
    return max(maxx - minx, maxy - miny)


@pytest.fixture()
def db(demo_store):
    return Database(demo_store)


def test_islands_are_visible_at_province_level(db):
    snap = db.live_id()
    frame = regions_frame(db, snap)
    kids = frame[frame["parent_code"] == "330000"]
    minx, miny, maxx, maxy = kids.total_bounds
    size = MIN_ISLAND * max(maxx - minx, maxy - miny) / DETAIL
    shapes = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in children_geojson(db, snap, "330000")["features"]}
    tiny_before = {code: sum(_extent(p) < size for p in shapely.get_parts(g)) for code, g in kids.geometry.items()}
    assert max(tiny_before.values()) > 20  # the demo has an island group (舟山) to test with
    others = {code: shapely.union_all([g for c, g in shapes.items() if c != code]) for code in shapes}
    for code, shape in shapes.items():
        for part in shapely.get_parts(shape):
            if _extent(part) < size * 0.9:
                # still small: only a part that touches another region may be
                assert shapely.distance(part, others[code]) < size, code
    # nothing overlaps a neighbour
    total = sum(s.area for s in shapes.values())
    assert total == pytest.approx(shapely.union_all(list(shapes.values())).area, rel=1e-4)


def test_an_island_is_grown_and_a_touching_part_is_not():
    mainland = shapely.box(0, 0, 10, 10)
    island = shapely.box(20, 20, 20.1, 20.1)
    neighbour = shapely.box(10, 0, 20, 10)
    exclave = shapely.box(10.0, 10.0, 10.1, 10.1)  # touches the neighbour's corner
    left = shapely.MultiPolygon([mainland, island])
    right = shapely.MultiPolygon([neighbour, exclave])
    grown_left, grown_right = grow_small_islands([left, right], 2.0)
    parts = sorted(shapely.get_parts(grown_left), key=lambda p: p.area)
    assert _extent(parts[0]) == pytest.approx(2.0, rel=0.05)  # the island, ~2 across
    assert parts[0].contains(island) and parts[1].equals(mainland)
    assert grown_right.equals(right)  # the touching part keeps its shape
    # a region without small parts is the same object
    assert grow_small_islands([mainland], 2.0)[0] is mainland
