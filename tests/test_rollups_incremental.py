"""The daily request rollup after a daily drop: months the drop did not touch are carried over
from the parent snapshot's rollup (their overdue counts moved on to the new as_of), the others
rolled up afresh — and the result equals a full rebuild, row for row."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import duckdb
import pandas as pd
import pytest

from cockpit.analytics.flow import REQUESTS_DAILY_COLUMNS
from cockpit.ingest import cli_ingest
from cockpit.ingest import rollups
from cockpit.snapshot import connect_snapshot, live_snapshot_dir

KEYS = ["day", "street_code", "category", "channel", "handling_level", "dept_code"]
DEMO_AS_OF = dt.date(2026, 11, 25)
#: The furthest an as_of may move on from the demo's: the contract allows at most a day ahead of today.
MAX_JUMP = min(40, (dt.date.today() + dt.timedelta(days=1) - DEMO_AS_OF).days)


def _copy_store(store, dest):
    shutil.copytree(store, dest, copy_function=os.link)
    (dest / "CURRENT").unlink()
    shutil.copy2(store / "CURRENT", dest / "CURRENT")
    return dest


def _write_drop(snapshot, out, jump_days: int, old_month: str) -> dict:
    """New requests received `jump_days` after as_of (as_of moves there), and a new version of
    a few requests of `old_month` (updated later, otherwise the same)."""
    as_of = dt.date.fromisoformat(json.loads((snapshot / "manifest.json").read_text())["as_of"])
    new_as_of = as_of + dt.timedelta(days=jump_days)
    out.mkdir()
    files = [str(p) for p in sorted((snapshot / "requests").glob("month=*/data.parquet"))]
    con = duckdb.connect()
    rel = f"read_parquet({files!r}, hive_partitioning = false)"
    times = ("received_at", "relayed_at", "dispatched_at", "handled_at", "closed_at", "due_at", "updated_at")
    cols = [r[0] for r in con.execute(f"describe select * from {rel}").fetchall()]
    shifted = ", ".join(f"{c} + interval {jump_days} day as {c}" if c in times else
                        ("request_id || '-n' as request_id" if c == "request_id" else c) for c in cols)
    bumped = ", ".join(f"updated_at + interval {jump_days} day as updated_at" if c == "updated_at" else c for c in cols)
    day = dt.datetime.combine(as_of, dt.time())
    con.execute(f"""copy (
        select {shifted} from {rel} where received_at >= $d and received_at < $d + interval 1 day
        union all
        (select {bumped} from {rel} where strftime(received_at, '%Y-%m') = $m order by request_id limit 20)
      ) to '{out / "requests.parquet"}' (format parquet)""", {"d": day, "m": old_month})
    (out / "manifest.json").write_text(json.dumps({"as_of": new_as_of.isoformat()}))
    return {"as_of": new_as_of}


def _full_rebuild(snapshot, tmp_path) -> pd.DataFrame:
    """requests_daily of `snapshot` built whole, in a copy (its own rollups folder)."""
    copy = tmp_path / "rebuild" / "snapshot"
    shutil.copytree(snapshot, copy, copy_function=os.link, ignore=shutil.ignore_patterns("rollups"))
    (copy / "rollups").mkdir()
    shutil.copy2(snapshot / "rollups" / "region_tree.parquet", copy / "rollups" / "region_tree.parquet")
    con = connect_snapshot(copy)
    try:
        rollups.build_requests_daily(copy, con)  # no parent: the whole build
    finally:
        con.close()
    return pd.read_parquet(copy / "rollups" / "requests_daily.parquet")


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(KEYS, na_position="first").reset_index(drop=True)


@pytest.mark.parametrize("jump_days", [1, MAX_JUMP])
def test_a_daily_drop_rolls_up_as_a_full_rebuild(demo_store, tmp_path, jump_days):
    store = _copy_store(demo_store, tmp_path / "store")
    parent = live_snapshot_dir(store)
    months = sorted(p.name.split("=")[1] for p in (parent / "requests").glob("month=*"))
    _write_drop(parent, tmp_path / "drop", jump_days, old_month=months[3])
    assert cli_ingest(tmp_path / "drop", store) == 0
    snap = live_snapshot_dir(store)
    assert snap != parent
    new_as_of = dt.date.fromisoformat(json.loads((snap / "manifest.json").read_text())["as_of"])
    plan = rollups._carry_over(snap, parent, new_as_of)
    assert plan is not None and months[0] in plan["kept"] and months[3] not in plan["kept"], plan
    got = pd.read_parquet(snap / "rollups" / "requests_daily.parquet")
    assert tuple(got.columns) == REQUESTS_DAILY_COLUMNS
    want = _full_rebuild(snap, tmp_path)
    pd.testing.assert_frame_equal(_sorted(got), _sorted(want), check_dtype=False, rtol=1e-12)
    # the day × street rollup follows the fine one
    coarse = pd.read_parquet(snap / "rollups" / "requests_street_daily.parquet")
    assert coarse["received"].sum() == want["received"].sum()
    assert coarse["overdue_open_asof"].sum() == want["overdue_open_asof"].sum()


@pytest.mark.skipif(MAX_JUMP < 7, reason="the clock is too close to the demo's as_of to move it to the next month")
def test_a_jump_that_makes_old_open_requests_overdue_is_counted(demo_store, tmp_path):
    """With as_of moved on, unchanged months gain overdue requests: the carried-over counts grow."""
    store = _copy_store(demo_store, tmp_path / "store")
    parent = live_snapshot_dir(store)
    months = sorted(p.name.split("=")[1] for p in (parent / "requests").glob("month=*"))
    _write_drop(parent, tmp_path / "drop", MAX_JUMP, old_month=months[3])
    assert cli_ingest(tmp_path / "drop", store) == 0
    snap = live_snapshot_dir(store)
    before = pd.read_parquet(parent / "rollups" / "requests_daily.parquet")
    after = pd.read_parquet(snap / "rollups" / "requests_daily.parquet")
    last_kept = months[-1]  # the as_of month of the parent: its new requests fall in the next month
    pick = lambda df: df[df["day"].astype(str).str.startswith(last_kept)]["overdue_open_asof"].sum()  # noqa: E731
    assert pick(after) > pick(before)


def test_an_earlier_as_of_or_no_parent_builds_whole(demo_store, tmp_path):
    parent = live_snapshot_dir(demo_store)
    as_of = dt.date.fromisoformat(json.loads((parent / "manifest.json").read_text())["as_of"])
    assert rollups._carry_over(parent, None, as_of) is None
    assert rollups._carry_over(parent, parent, as_of - dt.timedelta(days=1)) is None
