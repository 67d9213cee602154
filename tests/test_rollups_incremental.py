"""The day-keyed request rollups after a daily drop: months the drop did not touch are the parent
snapshot's files (hard links) unless the new as_of moved an overdue count in them, changed days
are rolled up afresh and the rest of their month taken over — and the result equals a full
rebuild, row for row (cockpit.ingest.monthly)."""

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
from cockpit.ingest import monthly, rollups
from cockpit.snapshot import connect_snapshot, live_snapshot_dir

KEYS = ["day", "street_code", "category", "channel", "handling_level", "dept_code"]
#: The day-keyed rollups kept one file per month, and the keys of their rows.
DAY_KEYED = {"requests_daily": KEYS, "requests_street_daily": ["day", "street_code"],
             "requests_closing_daily": ["day", "street_code", "closed_day"]}
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


def _full_rebuild(snapshot, tmp_path) -> dict[str, pd.DataFrame]:
    """The day-keyed rollups of `snapshot` built whole (no parent), in a copy (its own rollups)."""
    copy = tmp_path / "rebuild" / "snapshot"
    shutil.copytree(snapshot, copy, copy_function=os.link, ignore=shutil.ignore_patterns("rollups"))
    (copy / "rollups").mkdir()
    shutil.copy2(snapshot / "rollups" / "region_tree.parquet", copy / "rollups" / "region_tree.parquet")
    rollups.build_rollups(copy)  # no parent: the whole build
    return {name: _read(copy, name) for name in DAY_KEYED}


def _read(snapshot, name) -> pd.DataFrame:
    return pd.read_parquet(snapshot / "rollups" / name)


def _sorted(df: pd.DataFrame, keys=KEYS) -> pd.DataFrame:
    return df.sort_values(keys, na_position="first").reset_index(drop=True)


@pytest.mark.parametrize("jump_days", [1, MAX_JUMP])
def test_a_daily_drop_rolls_up_as_a_full_rebuild(demo_store, tmp_path, jump_days):
    store = _copy_store(demo_store, tmp_path / "store")
    parent = live_snapshot_dir(store)
    months = sorted(p.name.split("=")[1] for p in (parent / "requests").glob("month=*"))
    _write_drop(parent, tmp_path / "drop", jump_days, old_month=months[3])
    assert cli_ingest(tmp_path / "drop", store) == 0
    snap = live_snapshot_dir(store)
    assert snap != parent
    # the months neither the drop nor the new as_of changed are the parent's very files
    parent_files = monthly.rollup_months(parent, "requests_daily")
    mine = monthly.rollup_months(snap, "requests_daily")
    assert os.path.samefile(mine[months[0]], parent_files[months[0]])
    assert not os.path.samefile(mine[months[3]], parent_files[months[3]])
    want = _full_rebuild(snap, tmp_path)
    for name, keys in DAY_KEYED.items():
        got = _read(snap, name)
        assert len(got) == len(want[name]) > 0, name
        pd.testing.assert_frame_equal(_sorted(got, keys), _sorted(want[name], keys), check_dtype=False, rtol=1e-12)
    assert tuple(_read(snap, "requests_daily").columns) == REQUESTS_DAILY_COLUMNS


@pytest.mark.skipif(MAX_JUMP < 7, reason="the clock is too close to the demo's as_of to move it to the next month")
def test_a_jump_that_makes_old_open_requests_overdue_is_counted(demo_store, tmp_path):
    """With as_of moved on, unchanged months gain overdue requests: the carried-over counts grow."""
    store = _copy_store(demo_store, tmp_path / "store")
    parent = live_snapshot_dir(store)
    months = sorted(p.name.split("=")[1] for p in (parent / "requests").glob("month=*"))
    _write_drop(parent, tmp_path / "drop", MAX_JUMP, old_month=months[3])
    assert cli_ingest(tmp_path / "drop", store) == 0
    snap = live_snapshot_dir(store)
    before = _read(parent, "requests_daily")
    after = _read(snap, "requests_daily")
    last_kept = months[-1]  # the as_of month of the parent: its new requests fall in the next month
    pick = lambda df: df[df["day"].astype(str).str.startswith(last_kept)]["overdue_open_asof"].sum()  # noqa: E731
    assert pick(after) > pick(before)


def test_an_earlier_as_of_or_no_parent_builds_whole(demo_store):
    parent = live_snapshot_dir(demo_store)
    as_of = dt.date.fromisoformat(json.loads((parent / "manifest.json").read_text())["as_of"])
    months = set(monthly.request_months(parent))
    con = duckdb.connect()
    every = {m: None for m in months}
    assert monthly.dirty_days(con, parent, monthly.Changes(as_of=as_of)) == every
    earlier = monthly.Changes(parent=parent, parent_as_of=as_of, as_of=as_of - dt.timedelta(days=1), days=frozenset())
    assert monthly.dirty_days(con, parent, earlier) == every
    same = monthly.Changes(parent=parent, parent_as_of=as_of, as_of=as_of, days=frozenset())
    assert monthly.dirty_days(con, parent, same) == {}  # the same files, the same as_of: all clean


def test_quality_flags_after_a_daily_drop_equal_a_full_count(demo_store, tmp_path):
    """The request state flags are counted per month and the untouched months taken over: the
    rollup equals counting every month afresh."""
    from cockpit.ingest.quality import PARTS, build_quality_flags

    store = _copy_store(demo_store, tmp_path / "store")
    parent = live_snapshot_dir(store)
    months = sorted(p.name.split("=")[1] for p in (parent / "requests").glob("month=*"))
    _write_drop(parent, tmp_path / "drop", 1, old_month=months[3])
    assert cli_ingest(tmp_path / "drop", store) == 0
    snap = live_snapshot_dir(store)
    assert os.path.samefile(snap / PARTS / f"{months[0]}.parquet", parent / PARTS / f"{months[0]}.parquet")
    assert not os.path.samefile(snap / PARTS / f"{months[3]}.parquet", parent / PARTS / f"{months[3]}.parquet")
    copy = tmp_path / "recount" / "snapshot"
    shutil.copytree(snap, copy, copy_function=os.link, ignore=shutil.ignore_patterns("parts", "quality_flags.parquet"))
    build_quality_flags(copy, tmp_path / "drop" / "requests.parquet", parent)
    got = pd.read_parquet(snap / "rollups" / "quality_flags.parquet")
    want = pd.read_parquet(copy / "rollups" / "quality_flags.parquet")
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want)
