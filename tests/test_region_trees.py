"""The cockpit works for any region tree: here the top is a city, not a province."""

from __future__ import annotations

import drops
import pytest

from cockpit.db import Database
from cockpit.filters import FilterState, resolve
from cockpit.geo import children_geojson
from cockpit.query import run_sql
from cockpit.specs.check import check_all
from cockpit.settings import PROJECT_ROOT


@pytest.fixture()
def city_store(tmp_path, use_store):
    store = drops.city_store(tmp_path)
    use_store(store)
    return store


def test_city_topped_tree_resolves_and_maps(city_store):
    db = Database(city_store)
    res = resolve(FilterState(), db, None)
    assert res.root == "330100" and res.ctx.region == "330100"
    assert {f["id"] for f in children_geojson(db, res.ctx.snapshot, res.ctx.map_parent)["features"]} == {
        "330102", "330106"}
    # A region from another tree is refused; the city's own county is accepted.
    assert resolve(FilterState(region="330200"), db, None).ctx.region == "330100"
    county = resolve(FilterState(region="330106"), db, None)
    n = run_sql("select count(*) as n from requests_scoped", county.ctx).n[0]
    # The unscoped total, read directly (panel SQL may not read `requests`).
    total = db.snapshot_cursor(county.ctx.snapshot).execute("select count(*) as n from requests").df().n[0]
    assert 0 < n < total


def test_every_shipped_panel_runs_on_a_small_foreign_tree(city_store):
    _, errors = check_all(city_store, PROJECT_ROOT / "layouts")
    # Extra tables of the analyst examples are absent from this store: only those panels may fail.
    unexpected = [str(e) for e in errors if "report_burden" not in str(e) and "disability_tasks" not in str(e)]
    assert unexpected == []
