"""Analytics on a real published snapshot: the rollups ingest builds and `cockpit scores`.

Uses the small hand-made drop of tests/drops.py (4 streets, 12 requests).
"""

from __future__ import annotations

import datetime as dt
import json

import drops
import pandas as pd
import pytest

from cockpit.analytics import connect_snapshot, flow, live_snapshot_dir, scores
from cockpit.ingest import ingest


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("analytics")
    res = ingest(drops.write_drop(tmp / "drop"), tmp / "store", log=lambda s: None)
    assert res.ok, [str(p) for p in res.problems]
    return tmp / "store"


def test_rollups_registered_and_published(store):
    snap = live_snapshot_dir(store)
    tables = json.loads((snap / "manifest.json").read_text(encoding="utf-8"))["tables"]
    assert tables["street_scores"] == {"rows": 8, "kind": "rollup"}  # 4 streets × 2 months
    assert tables["requests_daily"]["kind"] == "rollup"
    daily = pd.read_parquet(snap / "rollups" / "requests_daily")
    assert tuple(daily.columns) == flow.REQUESTS_DAILY_COLUMNS
    assert daily["received"].sum() == 12


def test_street_scores_rollup_by_hand(store):
    roll = pd.read_parquet(live_snapshot_dir(store) / "rollups" / "street_scores.parquet")
    nov = roll[roll.period == dt.date(2026, 11, 1)].set_index("street_code")
    # Street i (0…3) has closure 90+i (target 95, w .4), satisfaction 85+i (90, w .4),
    # response hours 20+i (lower is better, target 24, w .2). Weights sum to 1.
    # i=0: .4×90/95 + .4×85/90 + .2×24/20 = .378947 + .377778 + .24 = .996725 → 99.67
    # i=3: .4×93/95 + .4×88/90 + .2×24/23 = .391579 + .391111 + .208696 = .991386 → 99.14
    assert nov.loc["330102001", "score"] == pytest.approx(100 * (0.4 * 90 / 95 + 0.4 * 85 / 90 + 0.2 * 24 / 20))
    assert nov.loc["330106002", "score"] == pytest.approx(100 * (0.4 * 93 / 95 + 0.4 * 88 / 90 + 0.2 * 24 / 23))
    # i=1 → 99.40, i=2 → 99.22; 330106002 is vetoed in November → last of all and of its county
    assert nov["rank_all"].to_dict() == {"330102001": 1, "330102002": 2, "330106001": 3, "330106002": 4}
    assert nov.loc["330106002", "veto"] and nov.loc["330106002", "veto_reason"] == "安全生产事故"
    assert nov["rank_change"].tolist() == [0, 0, 0, 0]  # same order in October


def test_rollup_equals_direct_query(store):
    snap = live_snapshot_dir(store)
    roll = pd.read_parquet(snap / "rollups" / "street_scores.parquet")
    con = connect_snapshot(snap)
    direct = scores.street_scores(con, None)
    cols = ["street_code", "score", "rank", "rank_change", "rank_all", "veto"]
    pd.testing.assert_frame_equal(roll[cols].reset_index(drop=True),
                                  direct[cols].reset_index(drop=True), check_dtype=False)


def test_cli_scores_on_published_snapshot(store, capsys):
    assert scores.cli_scores(store, period="2026-11", fmt="csv") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("street_code,name,parent_code,score,rank,rank_change")
    assert [ln.split(",")[0] for ln in lines[1:]] == ["330102001", "330102002", "330106001", "330106002"]
    assert lines[4].endswith("True,安全生产事故")


def test_requests_daily_overdue_uses_snapshot_as_of(store):
    snap = live_snapshot_dir(store)
    daily = pd.read_parquet(snap / "rollups" / "requests_daily")
    # Open requests (every third: R0002, R0005, R0008, R0011) are due 5 days after receipt;
    # R0011 is received 2026-11-19 20:30 → due 11-24 20:30, before the end of as_of 11-25:
    # all four are overdue as of 2026-11-25.
    assert daily["open"].sum() == 4
    assert daily["overdue_open_asof"].sum() == 4
