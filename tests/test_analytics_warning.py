"""Early warning and monthly growth on hand-made weekly counts, expected values worked by hand."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cockpit.analytics import warning
from analytics_support import REGIONS, tree_connection

AS_OF = dt.date(2026, 11, 25)   # week 0 = 11-19 … 11-25, week k = as_of − 7k − 6 … as_of − 7k


# Weekly volumes, index = week number (0 = the week ending as_of), 16 weeks.
WEEKLY = {
    # P1: baseline (weeks 1–8) 4 5 6 5 4 6 5 5 → median 5; |dev| 1 0 1 0 1 1 0 0 → MAD 0.5;
    #     spread = max(1.4826 × 0.5 = 0.74, √5 = 2.236) = 2.236; z = (14 − 5)/2.236 = 4.025 → flag.
    #     Week 1 (4) is below its baseline → the run is 1 week, since 11-19.
    ("330102001", "城市管理"): [14, 4, 5, 6, 5, 4, 6, 5, 5] + [5] * 7,
    # P2: three-week jump 20 18 16 on a flat 2. Run from week 2: its baseline (weeks 3–10) is all
    #     2 → median 2, MAD 0 → spread max(0, √2) = √2; weeks 2, 1, 0: z = 14/√2 = 9.9,
    #     16/√2 = 11.3, 18/√2 = 12.73, all ≥ 10 requests → elevated. A run from week 3 fails
    #     (week 3 has 2). So 3 weeks since week 2's first day, as_of − 20 = 11-05; ratio 20/2 = 10.
    ("330102002", "环境保护"): [20, 18, 16] + [2] * 13,
    # P5: a jump to 12 that has lasted five weeks (weeks 0–4) on a flat 2. Against week 0's own
    #     previous 8 weeks (12 12 12 12 2 2 2 2: median 7, MAD 5) it would look normal
    #     (z = 5/7.41 = 0.67); against the 8 weeks before the run (weeks 5–12, all 2: median 2,
    #     MAD 0, spread √2) every week 0–4 has z = 10/√2 = 7.07 and ≥ 10 requests → run s = 4:
    #     5 weeks, since week 4's first day = as_of − 34 = 10-22; week 5 (2) is not elevated.
    ("330102002", "城市管理"): [12] * 5 + [2] * 11,
    # P3: 9 on a zero baseline: z would be 9/1 = 9, but 9 < the minimum volume 10 → no warning.
    ("330105001", "城市管理"): [9] + [0] * 15,
    # P4: busy and noisy. Baseline 100 110 90 105 95 100 98 102 → median 100;
    #     |dev| 0 10 10 5 5 0 2 2 → sorted 0 0 2 2 5 5 10 10 → MAD 3.5 → 1.4826 × 3.5 = 5.19,
    #     √100 = 10 → spread 10; z = (130 − 100)/10 = 3.0 < 3.5 → no warning (MAD alone: 5.8).
    ("330105001", "环境保护"): [130, 100, 110, 90, 105, 95, 100, 98, 102] + [100] * 7,
}




def day(x):
    """A DATE from a result frame (DuckDB gives Timestamps) as a datetime.date."""
    return pd.Timestamp(x).date()


def base_con():
    con = tree_connection(REGIONS)
    con.execute("create table requests (street_code varchar, category varchar, received_at timestamp)")
    con.execute("create table requests_daily (day date, street_code varchar, category varchar, received bigint)")
    return con


def add_requests(con, rows):
    """rows: (street, category, received_at) — into requests, and counted into requests_daily."""
    con.executemany("insert into requests values (?, ?, ?)", rows)
    con.execute("delete from requests_daily")
    con.execute("insert into requests_daily select cast(received_at as date), street_code, category, "
                "count(*) from requests group by all")


def weekly_con():
    con = base_con()
    rows = []
    for (street, cat), counts in WEEKLY.items():
        for week, n in enumerate(counts):
            # spread each week's requests over its first and last day, to test both edges
            first = AS_OF - dt.timedelta(days=7 * week + 6)
            last = AS_OF - dt.timedelta(days=7 * week)
            for i in range(n):
                when = first if i % 2 else last
                rows.append((street, cat, dt.datetime.combine(when, dt.time(23 if i % 3 else 0, 30))))
    add_requests(con, rows)
    return con


def test_constants_match_sql():
    sql = warning.EARLY_WARNINGS_SQL
    assert (warning.BASELINE_WEEKS, warning.LOOKBACK_WEEKS) == (8, 8)
    assert "g.x >= 10 and (g.x - st.med) / st.spread >= 3.5" in sql
    assert "greatest(1.4826 * median(abs(b.x - m.med)), sqrt(greatest(m.med, 1)))" in sql
    assert warning.MIN_VOLUME == 10 and warning.Z_THRESHOLD == 3.5 and warning.MAD_SCALE == 1.4826
    assert "'112 days'" in sql  # 16 weeks = (lookback 8 + baseline 8) × 7 days


@pytest.mark.parametrize("source", ["requests", "requests_daily"])
def test_early_warnings_by_hand(source):
    w = warning.early_warnings(weekly_con(), AS_OF, source=source)
    # by z: P2 12.73, P5 7.07, P1 4.02
    assert list(zip(w.street_code, w.category)) == [("330102002", "环境保护"),
                                                    ("330102002", "城市管理"),
                                                    ("330102001", "城市管理")]
    p2, p5, p1 = w.iloc[0], w.iloc[1], w.iloc[2]
    assert (p5.volume, p5.baseline_median, p5.baseline_mad, p5.weeks_flagged) == (12, 2, 0, 5)
    assert p5.z == pytest.approx(10 / math.sqrt(2)) and p5.ratio == pytest.approx(6)
    assert day(p5.since) == dt.date(2026, 10, 22)
    assert (p2.volume, p2.baseline_median, p2.baseline_mad) == (20, 2, 0)
    assert p2.z == pytest.approx(18 / math.sqrt(2)) and p2.ratio == pytest.approx(10)
    assert p2.weeks_flagged == 3 and day(p2.since) == dt.date(2026, 11, 5)
    assert day(p2.week_start) == dt.date(2026, 11, 19) and day(p2.week_end) == AS_OF
    assert (p1.volume, p1.baseline_median, p1.baseline_mad) == (14, 5, 0.5)
    assert p1.spread == pytest.approx(math.sqrt(5)) and p1.z == pytest.approx(9 / math.sqrt(5))
    assert p1.ratio == pytest.approx(2.8) and p1.weeks_flagged == 1
    assert day(p1.since) == dt.date(2026, 11, 19) and p1.street_name == "A1街道"


def test_early_warnings_scope_and_edges():
    con = weekly_con()
    assert warning.early_warnings(con, AS_OF, region="330105").empty  # P3 too small, P4 z = 3.0
    assert len(warning.early_warnings(con, AS_OF, region="330102")) == 3
    # One day later every week shifts by a day. Each old week had half its requests (n // 2) on
    # its first day and the rest on its last, so for P2 (old 20 18 16 2 …): new week 0 = old
    # week 0's last day 10; new week 1 = old week 1's last 9 + old week 0's first 10 = 19;
    # new week 2 = 8 + 9 = 17; new week 3 = 1 + 8 = 9; then 1 + 1 = 2 …
    # Run from week 2: baseline weeks 3–10 = 9 2 2 2 2 2 2 2 → median 2, |dev| 7 0 … → MAD 0,
    # spread √2; weeks 2, 1, 0 = 17, 19, 10 all ≥ 10 and z ≥ 5.66 → 3 weeks; week 3 (9) too few.
    later = warning.early_warnings(con, AS_OF + dt.timedelta(days=1), region="330102002")
    p2 = later[later.category == "环境保护"].iloc[0]
    assert (p2.volume, p2.weeks_flagged) == (10, 3)
    assert p2.z == pytest.approx(8 / math.sqrt(2))


def test_monthly_growth_by_hand():
    con = base_con()
    rows = []
    for when, n, cat in [
        (dt.date(2025, 9, 20), 1, "城管"),     # the first day of data
        (dt.date(2025, 10, 10), 10, "城管"), (dt.date(2025, 11, 5), 20, "城管"),
        (dt.date(2025, 11, 25), 3, "环保"),    # = as_of − 1 year: inside last year's same period
        (dt.date(2025, 11, 26), 7, "城管"),    # after as_of − 1 year: outside the same period
        (dt.date(2026, 9, 15), 4, "城管"),     # 2025-09 is not covered from its 1st: no growth
        (dt.date(2026, 10, 3), 15, "城管"), (dt.date(2026, 11, 1), 30, "城管"),
        (dt.date(2026, 11, 25), 6, "环保"),
        (dt.date(2026, 11, 26), 100, "城管"),  # after as_of: ignored
    ]:
        rows += [("330102001", cat, dt.datetime.combine(when, dt.time(12)))] * n
    add_requests(con, rows)
    for source in warning.SOURCES:
        g = warning.monthly_volume_growth(con, AS_OF, source=source)
        g = g.set_index(g["month"].map(day))
        # 2025-09: 1; 2025-10: 10; 2025-11: 20 + 3 + 7 = 30; 2026-09: 4 (last year's September
        # starts before the data → no comparison); 2026-10: 15 vs 10 → +50 %;
        # 2026-11 (to the 25th): 30 + 6 = 36 vs 2025-11 to the 25th: 20 + 3 = 23 → 13/23.
        assert g["volume"].astype(int).to_dict() == {
            dt.date(2025, 9, 1): 1, dt.date(2025, 10, 1): 10, dt.date(2025, 11, 1): 30,
            dt.date(2026, 9, 1): 4, dt.date(2026, 10, 1): 15, dt.date(2026, 11, 1): 36}
        assert g.loc[dt.date(2026, 10, 1), "yoy_growth"] == pytest.approx(0.5)
        assert g.loc[dt.date(2026, 11, 1), "volume_ly"] == 23
        assert g.loc[dt.date(2026, 11, 1), "yoy_growth"] == pytest.approx(13 / 23)
        assert g["yoy_growth"].isna().sum() == 4  # three months of the first year, and 2026-09
        assert g["complete"].tolist() == [True] * 5 + [False]
        env = warning.monthly_volume_growth(con, AS_OF, category="环保", source=source)
        # 环保: 2025-11 3, 2026-11 6 vs 3 → +100 % (coverage is of the data as a whole)
        assert env["volume"].astype(int).tolist() == [3, 6]
        assert env["yoy_growth"].iloc[1] == pytest.approx(1.0)
    assert warning.monthly_volume_growth(con, AS_OF, region="330105").empty
