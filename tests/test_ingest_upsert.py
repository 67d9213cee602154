"""Requests are upserted by request_id: latest updated_at wins, ties go to the new drop,
a request whose received_at moved to another month is not duplicated, untouched months are shared."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import drops
from cockpit.ingest import ingest
from cockpit.store import Store


def _publish(folder: Path, store: Path) -> Path:
    res = ingest(folder, store, log=lambda s: None)
    assert res.ok, [str(p) for p in res.problems]
    return Store(store).snapshot_dir(res.snapshot_id)


def _by_id(snap: Path) -> dict[str, dict]:
    return {r["request_id"]: r for r in drops.read_requests(snap).to_pylist()}


def _month_of(snap: Path, request_id: str) -> list[str]:
    """The month partitions that hold a request id."""
    found = []
    for f in sorted((snap / "requests").glob("month=*/data.parquet")):
        t = pq.read_table(f, columns=["request_id"])
        if request_id in t.column("request_id").to_pylist():
            found.append(f.parent.name.split("=")[1])
    return found


@pytest.fixture()
def base(tmp_path: Path):
    """A store with the 12 requests R0000..R0011 (September to November 2026)."""
    store = tmp_path / "store"
    snap = _publish(drops.write_drop(tmp_path / "d0"), store)
    return store, snap, _by_id(snap)


def _drop(tmp_path: Path, name: str, rows: list[dict]) -> Path:
    return drops.write_drop(tmp_path / name, as_of="2026-11-26", only=(), requests=drops.requests_table(rows))


def test_latest_updated_at_wins(base, tmp_path: Path):
    store, _, live = base
    newer = dict(live["R0002"], status="closed", updated_at=live["R0002"]["updated_at"] + timedelta(days=3),
                 relayed_at=live["R0002"]["received_at"] + timedelta(hours=1),
                 closed_at=live["R0002"]["received_at"] + timedelta(days=3), satisfaction=2)
    older = dict(live["R0003"], category="OLD VERSION", updated_at=live["R0003"]["updated_at"] - timedelta(days=1))
    snap = _publish(_drop(tmp_path, "d1", [newer, older]), store)
    got = _by_id(snap)
    assert len(got) == 12
    assert got["R0002"]["status"] == "closed" and got["R0002"]["satisfaction"] == 2
    assert got["R0003"]["category"] == live["R0003"]["category"]  # the live version is newer: kept
    assert got["R0004"] == live["R0004"]


def test_tie_goes_to_the_new_drop(base, tmp_path: Path):
    store, _, live = base
    same_time = dict(live["R0005"], category="新分类")
    snap = _publish(_drop(tmp_path, "d1", [same_time]), store)
    assert _by_id(snap)["R0005"]["category"] == "新分类"


def test_several_versions_in_one_drop(base, tmp_path: Path):
    store, _, live = base
    r = live["R0006"]
    v1 = dict(r, category="v1", updated_at=r["updated_at"] + timedelta(hours=1))
    v3 = dict(r, category="v3", updated_at=r["updated_at"] + timedelta(hours=3))
    v2 = dict(r, category="v2", updated_at=r["updated_at"] + timedelta(hours=2))
    snap = _publish(_drop(tmp_path, "d1", [v1, v3, v2]), store)
    got = _by_id(snap)
    assert got["R0006"]["category"] == "v3" and len(got) == 12


def test_request_moved_to_another_month_is_not_duplicated(base, tmp_path: Path):
    store, old_snap, live = base
    r = live["R0001"]  # received 2026-09-10
    assert _month_of(old_snap, "R0001") == ["2026-09"]
    moved_at = datetime(2026, 11, 2, 10, 0)
    moved = dict(r, received_at=moved_at, relayed_at=moved_at + timedelta(hours=1),
                 dispatched_at=moved_at + timedelta(hours=2), handled_at=moved_at + timedelta(days=1),
                 closed_at=moved_at + timedelta(days=2), updated_at=moved_at + timedelta(days=3))
    snap = _publish(_drop(tmp_path, "d1", [moved]), store)
    assert _month_of(snap, "R0001") == ["2026-11"]
    got = _by_id(snap)
    assert len(got) == 12 and got["R0001"]["received_at"] == moved_at
    # September and November were rewritten; October was untouched and is shared (hardlink)
    def ino(s: Path, m: str) -> int:
        return os.stat(s / "requests" / f"month={m}" / "data.parquet").st_ino
    assert ino(snap, "2026-10") == ino(old_snap, "2026-10")
    assert ino(snap, "2026-09") != ino(old_snap, "2026-09")
    assert ino(snap, "2026-11") != ino(old_snap, "2026-11")
    assert Store(store).manifest(snap.name)["tables"]["requests"]["rows"] == 12


def test_stale_move_does_not_move(base, tmp_path: Path):
    """An older version with another month leaves the live row where it is (and no copy appears)."""
    store, _, live = base
    r = live["R0000"]
    stale = dict(r, received_at=datetime(2026, 8, 1, 9), relayed_at=None, dispatched_at=None, handled_at=None,
                 closed_at=None, status="received", updated_at=r["received_at"])
    snap = _publish(_drop(tmp_path, "d1", [stale]), store)
    assert _month_of(snap, "R0000") == ["2026-09"]
    assert not (snap / "requests" / "month=2026-08").exists()
    assert len(_by_id(snap)) == 12


def test_emptied_month_disappears(tmp_path: Path):
    store = tmp_path / "store"
    only = drops.request_row("X1", datetime(2026, 7, 5, 9))
    other = drops.request_row("X2", datetime(2026, 8, 5, 9))
    snap = _publish(drops.write_drop(tmp_path / "d0", requests=drops.requests_table([only, other])), store)
    assert sorted(p.name for p in (snap / "requests").iterdir()) == ["month=2026-07", "month=2026-08"]
    moved_at = datetime(2026, 8, 20, 9)
    moved = drops.request_row("X1", moved_at, updated_at=moved_at + timedelta(days=10))
    snap2 = _publish(_drop(tmp_path, "d1", [moved]), store)
    assert sorted(p.name for p in (snap2 / "requests").iterdir()) == ["month=2026-08"]
    assert sorted(_by_id(snap2)) == ["X1", "X2"]


def test_new_requests_add_up_across_drops(base, tmp_path: Path):
    store, _, _ = base
    rows = [drops.request_row(f"N{i:03d}", datetime(2026, 10, 1) + timedelta(days=i)) for i in range(40)]
    snap = _publish(_drop(tmp_path, "d1", rows), store)
    assert len(_by_id(snap)) == 52
    assert Store(store).manifest(snap.name)["tables"]["requests"]["rows"] == 52
    months = sorted(p.name for p in (snap / "requests").iterdir())
    assert months == ["month=2026-09", "month=2026-10", "month=2026-11"]
