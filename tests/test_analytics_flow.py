"""Request flow: stage durations, on-time/overdue, Sankey and the requests_daily rollup.

Expected values are worked out by hand (arithmetic in comments), never copied from the code.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cockpit.analytics import flow
from cockpit.ingest.rollups import build_requests_daily
from analytics_support import REGIONS, tree_connection

T = dt.datetime
AS_OF = dt.date(2026, 11, 25)          # data runs to the end of this day → "now" = 11-26 00:00
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)

DEPARTMENTS = [("D1", "城管局", "330102"), ("D2", "住建局", "330102")]

REQ_COLS = ["request_id", "channel", "category", "street_code", "received_at", "relayed_at",
            "dispatched_at", "handled_at", "closed_at", "due_at", "dept_code", "handling_level",
            "status", "satisfaction", "reopened"]
REQUESTS = [
    # R1 on time: relay 08:00→09:30 = 1.5 h, convey →11:30 = 2 h, handle → next day 11:30 = 24 h,
    #    feedback → 17:30 = 6 h; total 33.5 h; due 11-04 08:00, closed 11-02 → on time.
    ("R1", "12345热线", "城市管理", "330102001", T(2026, 11, 1, 8), T(2026, 11, 1, 9, 30),
     T(2026, 11, 1, 11, 30), T(2026, 11, 2, 11, 30), T(2026, 11, 2, 17, 30), T(2026, 11, 4, 8),
     "D1", "street", "closed", 3, False),
    # R2 closed late: relay 0.25 h, convey 10:15→12:00 = 1.75 h, handle 72 h, feedback 24 h;
    #    total 11-03 10:00 → 11-07 12:00 = 98 h; due 11-06 10:00 < closed → late; reopened.
    ("R2", "浙里办", "城市管理", "330102001", T(2026, 11, 3, 10), T(2026, 11, 3, 10, 15),
     T(2026, 11, 3, 12), T(2026, 11, 6, 12), T(2026, 11, 7, 12), T(2026, 11, 6, 10),
     "D1", "county", "closed", 1, True),
    # R3 open, due 11-20 → overdue: relay 1 h, convey 4 h, no later stages.
    ("R3", "12345热线", "住房保障", "330102002", T(2026, 11, 10, 9), T(2026, 11, 10, 10),
     T(2026, 11, 10, 14), None, None, T(2026, 11, 20, 9), "D2", "county", "handling", None, False),
    # R4 just received, due 11-27 → in progress; no department yet.
    ("R4", "浙里办", "住房保障", "330105001", T(2026, 11, 24, 20), None, None, None, None,
     T(2026, 11, 27, 20), None, "street", "received", None, False),
    # R5 no deadline, closed → on time: relay 0.5, convey 0.5, handle 24, feedback 1, total 26 h.
    ("R5", "12345热线", "城市管理", "330105001", T(2026, 11, 20, 8), T(2026, 11, 20, 8, 30),
     T(2026, 11, 20, 9), T(2026, 11, 21, 9), T(2026, 11, 21, 10), None, "D1", "street",
     "closed", 2, False),
    # R6 due at 19:00 on the as_of day itself, still open at the cut-off (24:00) → overdue.
    ("R6", "浙里办", "城市管理", "330102002", T(2026, 11, 25, 7), T(2026, 11, 25, 7, 30), None,
     None, None, T(2026, 11, 25, 19), "D1", "street", "relayed", None, False),
    # R7 October: outside the November period; on time, satisfied.
    ("R7", "12345热线", "城市管理", "330102001", T(2026, 10, 15, 10), T(2026, 10, 15, 10, 30),
     T(2026, 10, 15, 11), T(2026, 10, 16, 11), T(2026, 10, 16, 12), T(2026, 10, 18),
     "D1", "street", "closed", 3, False),
]




def make_con(requests=REQUESTS):
    con = tree_connection(REGIONS)
    con.execute("create table departments (dept_code varchar, name varchar, region_code varchar)")
    con.executemany("insert into departments values (?, ?, ?)", DEPARTMENTS)
    con.execute("""create table requests (request_id varchar, channel varchar, category varchar,
        street_code varchar, received_at timestamp, relayed_at timestamp, dispatched_at timestamp,
        handled_at timestamp, closed_at timestamp, due_at timestamp, dept_code varchar,
        handling_level varchar, status varchar, satisfaction bigint, reopened boolean)""")
    if requests:
        con.executemany(f"insert into requests values ({', '.join('?' * len(REQ_COLS))})", requests)
    return con


def test_stage_durations_and_flags_by_hand():
    f = flow.request_facts(make_con(), AS_OF).set_index("request_id")
    assert list(f.index) == ["R7", "R1", "R2", "R3", "R5", "R4", "R6"]  # by received_at
    assert f.loc["R1", ["dur_relay_h", "dur_convey_h", "dur_dispatch_h", "dur_handle_h",
                        "dur_feedback_h", "dur_total_h"]].tolist() == pytest.approx(
        [1.5, 2.0, 3.5, 24.0, 6.0, 33.5])
    assert f.loc["R2", ["dur_relay_h", "dur_convey_h", "dur_dispatch_h", "dur_handle_h",
                        "dur_feedback_h", "dur_total_h"]].tolist() == pytest.approx(
        [0.25, 1.75, 2.0, 72.0, 24.0, 98.0])
    # R3 stopped after dispatch: later stages have no duration yet.
    assert f.loc["R3", "dur_dispatch_h"] == pytest.approx(5.0)
    assert f.loc["R3", ["dur_handle_h", "dur_feedback_h", "dur_total_h"]].isna().all()
    assert f["outcome"].to_dict() == {"R1": "按期办结", "R2": "超期办结", "R3": "超期未办",
                                      "R4": "办理中", "R5": "按期办结", "R6": "超期未办",
                                      "R7": "按期办结"}
    assert f.loc["R6", "overdue_open"]   # due 19:00 on the as_of day, cut-off at 24:00
    assert not f.loc["R4", "overdue_open"]
    assert f.loc["R5", "closed_on_time"]  # no deadline: closed counts as on time


def test_november_summary_by_hand():
    s = flow.flow_summary(make_con(), AS_OF, by="channel", start=NOV, end=DEC)
    tot = s.drop(columns=["key", "label"]).sum(numeric_only=True)
    # November: R1..R6 received; closed R1, R2, R5; on time R1, R5; late R2; overdue R3, R6.
    assert (tot["received"], tot["closed"], tot["closed_on_time"], tot["closed_late"],
            tot["overdue_open"], tot["reopened"], tot["rated"], tot["satisfied"]) == (6, 3, 2, 1, 2, 1, 3, 1)
    one = flow.flow_summary(make_con(), AS_OF, by="level", start=NOV, end=DEC)
    # Per level: 街道 R1 R4 R5 R6; 区县 R2 R3.
    lv = one.set_index("key")
    assert lv.loc["street", "label"] == "街道" and lv.loc["street", "received"] == 4
    # 街道 closed R1, R5 both on time → 2/2; relay R1 1.5, R5 0.5, R6 0.5 → 2.5/3
    assert lv.loc["street", "on_time_rate"] == pytest.approx(1.0)
    assert lv.loc["street", "avg_relay_h"] == pytest.approx(2.5 / 3)
    # 区县: R2 (late) only closed → 0/1; convey R2 1.75, R3 4 → 2.875
    assert lv.loc["county", "on_time_rate"] == pytest.approx(0.0)
    assert lv.loc["county", "avg_convey_h"] == pytest.approx(2.875)


def test_november_stage_averages_by_street_and_scope():
    s = flow.flow_summary(make_con(), AS_OF, by="street", start=NOV, end=DEC).set_index("key")
    # A1: R1, R2. handle (24 + 72)/2 = 48; feedback (6 + 24)/2 = 15; total (33.5 + 98)/2 = 65.75
    a1 = s.loc["330102001"]
    assert (a1["received"], a1["closed"], a1["closed_on_time"]) == (2, 2, 1)
    assert a1["on_time_rate"] == pytest.approx(0.5) and a1["reopen_rate"] == pytest.approx(0.5)
    assert [a1["avg_handle_h"], a1["avg_feedback_h"], a1["avg_total_h"]] == pytest.approx([48, 15, 65.75])
    # hours allowed: R1 11-01 08:00 → 11-04 08:00 = 72; R2 11-03 10:00 → 11-06 10:00 = 72
    assert a1["avg_deadline_h"] == pytest.approx(72)
    # satisfaction R1 3, R2 1 → satisfied 1 of 2 rated, mean 2.0
    assert a1["satisfaction_rate"] == pytest.approx(0.5) and a1["avg_satisfaction"] == pytest.approx(2.0)
    # A2: R3, R6 both open and overdue; nothing closed → on-time rate undefined (null), not 0.
    a2 = s.loc["330102002"]
    assert (a2["received"], a2["closed"], a2["overdue_open"]) == (2, 0, 2)
    assert pd.isna(a2["on_time_rate"]) and a2["label"] == "A2街道"
    b = flow.flow_summary(make_con(), AS_OF, region="330105", by="street", start=NOV, end=DEC)
    assert list(b["key"]) == ["330105001"] and b["received"].iloc[0] == 2
    # Whole history for A1 includes October's R7 as well.
    allh = flow.flow_summary(make_con(), AS_OF, region="330102001", by="street")
    assert allh["received"].iloc[0] == 3


def test_sankey_links_by_hand():
    links = flow.sankey_links(make_con(), AS_OF, start=NOV, end=DEC)
    got = {(r.source, r.target): r.value for r in links.itertuples()}
    assert got == {
        # channel → level: 12345 R1 街道, R3 区县, R5 街道; 浙里办 R2 区县, R4 街道, R6 街道
        ("12345热线", "街道"): 2, ("12345热线", "区县"): 1, ("浙里办", "区县"): 1, ("浙里办", "街道"): 2,
        # level → department: 街道 R1 R5 R6 城管局, R4 none; 区县 R2 城管局, R3 住建局
        ("街道", "城管局"): 3, ("街道", "未派单"): 1, ("区县", "城管局"): 1, ("区县", "住建局"): 1,
        # department → outcome: 城管局 R1 R5 on time, R2 late, R6 overdue; 住建局 R3 overdue; R4 open
        ("城管局", "按期办结"): 2, ("城管局", "超期办结"): 1, ("城管局", "超期未办"): 1,
        ("住建局", "超期未办"): 1, ("未派单", "办理中"): 1,
    }
    for step in ("channel", "level", "department"):
        assert links.loc[links.source_kind == step, "value"].sum() == 6


def test_requests_daily_rollup_by_hand(tmp_path):
    (tmp_path / "manifest.json").write_text('{"as_of": "2026-11-25"}', encoding="utf-8")
    assert build_requests_daily(tmp_path, make_con()) == 7
    out = tmp_path / "rollups" / "requests_daily"
    d = pd.read_parquet(out)
    assert tuple(d.columns) == flow.REQUESTS_DAILY_COLUMNS
    assert len(d) == 7  # every request fell on its own day
    r1 = d[d.day == dt.date(2026, 11, 1)].iloc[0]
    assert (r1.received, r1.closed, r1.closed_on_time, r1.reopened, r1.satisfied, r1.rated,
            r1.sat_sum, r1.overdue_open_asof, r1.open) == (1, 1, 1, 0, 1, 1, 3, 0, 0)
    assert (r1.dur_relay_h_sum, r1.dur_relay_n, r1.dur_feedback_h_sum) == (1.5, 1, 6.0)
    r6 = d[d.day == dt.date(2026, 11, 25)].iloc[0]
    assert (r6.open, r6.overdue_open_asof, r6.dur_relay_n, r6.dur_convey_n) == (1, 1, 1, 0)
    # The rollup answers the same KPIs as the raw rows.
    con = make_con()
    con.read_parquet(str(out)).create_view("requests_daily")
    raw = flow.flow_summary(con, AS_OF, by="street", start=NOV, end=DEC).set_index("key")
    fast = flow.daily_summary(con, by="street", start=NOV, end=DEC).set_index("key")
    for col in ("received", "closed", "closed_on_time", "overdue_open", "reopened", "rated",
                "satisfied"):
        assert fast[col].astype(int).to_dict() == raw[col].astype(int).to_dict(), col
    for col in ("on_time_rate", "avg_satisfaction", "avg_relay_h", "avg_handle_h"):
        pd.testing.assert_series_equal(fast[col], raw[col], check_dtype=False, check_names=False)


def test_bad_dimension_rejected():
    with pytest.raises(ValueError):
        flow.flow_summary_sql("street; drop table requests")


# ---------------------------------------------------------------- property: rollup == raw rows

BASE = T(2026, 10, 20)
hours = st.integers(0, 96 * 60).map(lambda m: dt.timedelta(minutes=m))


@st.composite
def request_rows(draw):
    n = draw(st.integers(0, 25))
    rows = []
    for k in range(n):
        received = BASE + dt.timedelta(minutes=draw(st.integers(0, 36 * 24 * 60)))
        times, t = [received], received
        for _ in range(4):  # a prefix of the later stage times is set, never running backwards
            if not draw(st.booleans()):
                break
            t = t + draw(hours)
            times.append(t)
        times += [None] * (5 - len(times))
        due = draw(st.one_of(st.none(), hours.map(lambda d: received + d)))
        rows.append((f"Q{k}", draw(st.sampled_from(["热线", "浙里办"])),
                     draw(st.sampled_from(["城管", "环保"])),
                     draw(st.sampled_from(["330102001", "330102002", "330105001"])),
                     *times, due, draw(st.sampled_from([None, "D1", "D2"])),
                     draw(st.sampled_from(["street", "county", "city", "province"])),
                     "closed" if times[4] else "received",
                     draw(st.sampled_from([None, 1, 2, 3])), draw(st.booleans())))
    return rows


def raw_expectation(rows, as_of):
    """The rollup's measures computed in plain Python from the rows, per street."""
    now = dt.datetime.combine(as_of, dt.time()) + dt.timedelta(days=1)
    out = {}
    for r in rows:
        d = dict(zip(REQ_COLS, r))
        e = out.setdefault(d["street_code"], {c: 0 for c in (
            "received", "closed", "closed_on_time", "reopened", "satisfied", "rated", "sat_sum",
            "overdue_open_asof", "open")} | {f"dur_{k}_{x}": 0 for k, *_ in flow.STAGES for x in ("h_sum", "n")})
        closed = d["closed_at"] is not None
        e["received"] += 1
        e["closed"] += closed
        e["closed_on_time"] += closed and (d["due_at"] is None or d["closed_at"] <= d["due_at"])
        e["reopened"] += d["reopened"]
        e["satisfied"] += d["satisfaction"] == 3
        e["rated"] += d["satisfaction"] is not None
        e["sat_sum"] += d["satisfaction"] or 0
        e["overdue_open_asof"] += (not closed) and d["due_at"] is not None and d["due_at"] < now
        e["open"] += not closed
        for key, _, a, b in flow.STAGES:
            if d[a] is not None and d[b] is not None:
                e[f"dur_{key}_h_sum"] += (d[b] - d[a]).total_seconds() / 3600
                e[f"dur_{key}_n"] += 1
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(rows=request_rows(), as_of=st.dates(dt.date(2026, 10, 25), dt.date(2026, 12, 31)))
def test_requests_daily_sums_equal_raw_rows(tmp_path, rows, as_of):
    con = make_con(rows)
    build_requests_daily(tmp_path, con, as_of=as_of)
    out = tmp_path / "rollups" / "requests_daily"
    d = pd.read_parquet(out)
    assert tuple(d.columns) == flow.REQUESTS_DAILY_COLUMNS
    got = d.drop(columns=["day", "category", "channel", "handling_level", "dept_code"]) \
           .groupby("street_code").sum()
    exp = raw_expectation(rows, as_of)
    assert set(got.index) == set(exp)
    for street, e in exp.items():
        for col, v in e.items():
            g = got.loc[street, col]
            assert (0 if pd.isna(g) else float(g)) == pytest.approx(v, abs=1e-6), (street, col)
    # and the same query on the rollup equals it on the raw rows, for any day window
    con.read_parquet(str(out)).create_view("requests_daily")
    start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 15)
    raw = flow.flow_summary(con, as_of, by="category", start=start, end=end).set_index("key")
    fast = flow.daily_summary(con, by="category", start=start, end=end).set_index("key")
    assert sorted(raw.index) == sorted(fast.index)
    for col in ("received", "closed", "closed_on_time", "overdue_open", "reopened", "rated"):
        assert fast[col].astype(int).to_dict() == raw[col].astype(int).to_dict(), col
    for col in ("avg_relay_h", "avg_convey_h", "avg_dispatch_h", "avg_handle_h", "avg_feedback_h"):
        for k in raw.index:
            a, b = raw.loc[k, col], fast.loc[k, col]
            assert (pd.isna(a) and pd.isna(b)) or a == pytest.approx(b), (k, col)
