"""Rollups: the builder loop, the registration API, snapshot views, region_tree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import drops
import cockpit.ingest.rollups as rollups
from cockpit.ingest import ingest
from cockpit.snapshot import connect_snapshot, snapshot_views
from cockpit.store import Store


@pytest.fixture(scope="module")
def snap(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("store")
    res = ingest(drops.write_drop(tmp_path_factory.mktemp("drop")), store, log=lambda s: None)
    assert res.ok
    return Store(store).snapshot_dir(res.snapshot_id)


def test_region_tree_pairs_every_region_with_every_ancestor(snap: Path):
    rows = pq.read_table(snap / "rollups" / "region_tree.parquet").to_pylist()
    assert set(rows[0]) == {"ancestor_code", "region_code", "depth", "level", "ancestor_level"}
    pairs = {(r["ancestor_code"], r["region_code"]): r for r in rows}
    assert len(rows) == len(pairs) == 25
    regions = drops.regions()
    parent = {c: (None if p is None or p != p else p) for c, p in zip(regions.region_code, regions.parent_code)}
    level = dict(zip(regions.region_code, regions.level))
    for code in regions.region_code:
        depth, anc = 0, code
        while anc is not None:
            r = pairs[(anc, code)]
            assert r["depth"] == depth and r["level"] == level[code] and r["ancestor_level"] == level[anc]
            anc, depth = parent[anc], depth + 1


def _copy(snap: Path, tmp_path: Path) -> Path:
    """A private copy of the snapshot (published snapshots are immutable; these tests write rollups)."""
    return Path(shutil.copytree(snap, tmp_path / "staging" / "snapshot"))


def test_builders_run_in_order_and_see_earlier_rollups(snap: Path, monkeypatch, tmp_path: Path):
    snap = _copy(snap, tmp_path)
    monkeypatch.setattr(rollups, "_BUILDERS", {})
    rollups.register_rollup("region_tree", rollups.region_tree)

    @rollups.rollup("street_count")
    def street_count(snapshot_dir, con):
        # uses the region_tree rollup built just before, and the requests view
        return rollups.write_rollup(con, snapshot_dir, "street_count", """
            SELECT t.ancestor_code, count(*) AS streets,
                   (SELECT count(*) FROM requests) AS requests
            FROM region_tree t WHERE t.level = 'street' AND t.depth > 0 GROUP BY ALL ORDER BY 1""")

    assert rollups.rollup_names() == ["region_tree", "street_count"]
    with pytest.raises(ValueError):
        rollups.register_rollup("street_count", street_count)
    counts = rollups.build_rollups(snap)
    assert counts == {"region_tree": 25, "street_count": 4}
    got = pq.read_table(snap / "rollups" / "street_count.parquet").to_pylist()
    assert {r["ancestor_code"]: r["streets"] for r in got} == {"330000": 4, "330100": 4, "330102": 2, "330106": 2}
    assert {r["requests"] for r in got} == {12}


def test_builder_with_params_and_missing_output(snap: Path, monkeypatch, tmp_path: Path):
    snap = _copy(snap, tmp_path)
    monkeypatch.setattr(rollups, "_BUILDERS", {})

    @rollups.rollup("big_streets")
    def big(snapshot_dir, con):
        return rollups.write_rollup(con, snapshot_dir, "big_streets",
                                    "SELECT region_code FROM regions WHERE level = $lvl", params={"lvl": "street"})

    assert rollups.build_rollups(snap) == {"big_streets": 4}

    monkeypatch.setattr(rollups, "_BUILDERS", {})
    rollups.register_rollup("lazy", lambda d, con: 0)
    with pytest.raises(RuntimeError, match="did not write lazy.parquet"):
        rollups.build_rollups(snap)


def test_snapshot_views(snap: Path, tmp_path: Path):
    views = snapshot_views(snap)
    assert {"regions", "departments", "requests", "region_tree"} <= set(views)
    con = connect_snapshot(snap)
    cols = [r[0] for r in con.execute("DESCRIBE requests").fetchall()]
    assert "month" not in cols and cols[0] == "request_id"
    con.close()
    # an empty snapshot dir still offers every core table, empty, with the contract's columns
    empty = tmp_path / "empty"
    empty.mkdir()
    con = connect_snapshot(empty)
    assert con.execute("SELECT count(*) FROM requests").fetchall() == [(0,)]
    assert [r[0] for r in con.execute("DESCRIBE street_vetoes").fetchall()] == ["period", "street_code", "reason"]
    con.close()
