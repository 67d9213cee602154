"""Map geometry: coverage-preserving simplification keeps neighbours' borders shared and stays small."""

from __future__ import annotations

import json

import pytest
import shapely

from cockpit.db import Database
from cockpit.geo import children_geojson, regions_frame


@pytest.fixture()
def db(demo_store):
    return Database(demo_store)


@pytest.mark.parametrize("parent", ["330000", "330100", "330106"])
def test_children_tile_their_parent_after_simplification(db, parent):
    snap = db.live_id()
    gj = children_geojson(db, snap, parent)
    frame = regions_frame(db, snap)
    kids = frame[frame["parent_code"] == parent]
    assert {f["id"] for f in gj["features"]} == set(kids.index)
    shapes = [shapely.geometry.shape(f["geometry"]) for f in gj["features"]]
    assert all(s.is_valid or shapely.make_valid(s).area > 0 for s in shapes)
    union = shapely.union_all(shapes)
    total = sum(s.area for s in shapes)
    # No slivers between neighbours and no overlaps: the pieces add up to their union.
    assert total == pytest.approx(union.area, rel=2e-3)
    # And the union still covers the parent's outline.
    parent_shape = frame.loc[parent].geometry
    assert union.area == pytest.approx(parent_shape.area, rel=2e-2)


def test_province_map_is_light(db):
    gj = children_geojson(db, db.live_id(), "330000")
    size = len(json.dumps(gj, separators=(",", ":")))
    assert size < 600_000, size


def test_a_leaf_has_no_children(db):
    assert children_geojson(db, db.live_id(), "330106001")["features"] == []
