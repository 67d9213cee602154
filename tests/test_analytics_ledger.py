"""Reform ledger: counts, iteration, visibility index, collaboration and the three lists —
expected values worked out by hand."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from cockpit.analytics import ledger

AS_OF = dt.date(2026, 11, 25)
D = dt.date

REGIONS = [
    ("330000", "浙江省", "province", None),
    ("330100", "杭州市", "city", "330000"),
    ("330102", "上城区", "county", "330100"),
    ("330200", "宁波市", "city", "330000"),
]
DEPTS = [("GGB", "改革办", "330000"), ("DSJ", "大数据局", "330000"),
         ("MZT", "民政局", "330100"), ("WJW", "卫健委", "330100")]
# app_id, name, runway, region, lead, co, stage, iterations, in_ledger, launched_on,
# central, provincial, demos, expert, endorsed
APPS = [
    # visibility 30·1/3 + 20·2/5 + 20·1/4 + 20·66.8/100 + 0 = 10 + 8 + 5 + 13.36 = 36.36
    ("A1", "一号应用", "数字政府", "330000", "GGB", ["DSJ", "MZT"], "实施建设", 2, True,
     D(2026, 1, 1), 1, 2, 1, 66.8, False),
    # saturated: 30·3/3 + 20·5/5 + 20·4/4 + 20·0.9 + 10 = 30 + 20 + 20 + 18 + 10 = 98;
    # launched after as_of → not live; MZT both lead and co → lead.
    ("A2", "二号应用", "数字政府", "330100", "MZT", ["MZT", "WJW"], "复制推广", 0, True,
     D(2026, 12, 1), 5, 7, 4, 90.0, True),
    # nothing yet, no expert score → 0; not formally in the ledger
    ("A3", "三号应用", "数字社会", "330102", "WJW", [], "实施建设", 1, False,
     None, 0, 0, 0, None, False),
    # 0 + 20·5/5 + 20·2/4 + 20·0.8 + 10 = 20 + 10 + 16 + 10 = 56
    ("A4", "四号应用", "数字社会", "330200", "DSJ", ["GGB"], "谋划生成", 0, True,
     D(2025, 5, 1), 0, 5, 2, 80.0, True),
]
# item_id, app_id, list, title, status, owner, due_on, done_on
ITEMS = [
    ("I1", "A1", "需求", "需求一", "done", "GGB", D(2026, 10, 1), D(2026, 9, 20)),
    ("I2", "A1", "需求", "需求二", "in_progress", "DSJ", D(2026, 11, 24), None),  # overdue 1 day
    ("I3", "A1", "需求", "需求三", "planned", "GGB", D(2026, 11, 25), None),      # due today: not yet
    ("I4", "A1", "场景", "场景一", "blocked", "MZT", D(2026, 6, 30), None),       # overdue 148 days
    ("I5", "A1", "改革", "改革一", "done", "GGB", D(2026, 1, 1), D(2026, 3, 1)),   # late but done
    ("I6", "A1", "改革", "改革二", "planned", None, None, None),                  # no deadline
    ("I7", "A2", "需求", "需求四", "in_progress", "MZT", D(2026, 12, 31), None),
    ("I8", "A4", "改革", "改革三", "planned", "DSJ", D(2025, 11, 25), None),      # overdue 365 days
]


def make_con():
    con = duckdb.connect()
    con.execute("create table regions (region_code varchar, name varchar, level varchar, parent_code varchar)")
    con.executemany("insert into regions values (?, ?, ?, ?)", REGIONS)
    parent = {c: p for c, _, _, p in REGIONS}
    tree = []
    for code in parent:
        anc, depth = code, 0
        while anc is not None:
            tree.append((anc, code, depth))
            anc, depth = parent[anc], depth + 1
    con.execute("create table region_tree (ancestor_code varchar, region_code varchar, depth integer)")
    con.executemany("insert into region_tree values (?, ?, ?)", tree)
    con.execute("create table departments (dept_code varchar, name varchar, region_code varchar)")
    con.executemany("insert into departments values (?, ?, ?)", DEPTS)
    con.execute("""create table reform_apps (app_id varchar, name varchar, runway varchar,
        region_code varchar, lead_dept varchar, co_depts varchar[], stage varchar,
        iterations bigint, in_ledger boolean, launched_on date, central_publications bigint,
        provincial_publications bigint, meeting_demos bigint, expert_score double,
        leader_endorsed boolean)""")
    con.executemany(f"insert into reform_apps values ({', '.join('?' * 15)})", APPS)
    con.execute("""create table ledger_items (item_id varchar, app_id varchar, list varchar,
        title varchar, status varchar, owner_dept varchar, due_on date, done_on date)""")
    con.executemany("insert into ledger_items values (?, ?, ?, ?, ?, ?, ?, ?)", ITEMS)
    return con


def test_kpis_by_hand():
    k = ledger.ledger_kpis(make_con(), AS_OF).iloc[0]
    # 4 apps; included A1 A2 A4; iterated A1 A3 → 2/4; included and iterated: A1 only;
    # live: A1 (2026-01) and A4 (2025-05), A2 launches after as_of; endorsed A2 A4.
    assert (k.apps, k.in_ledger, k.iterated, k.in_ledger_iterated, k.live, k.endorsed) == (4, 3, 2, 1, 2, 2)
    assert k.iterated_share == pytest.approx(0.5)
    assert k.avg_visibility == pytest.approx((36.36 + 98 + 0 + 56) / 4)
    # items 8; done I1 I5; overdue I2 I4 I8
    assert (k["items"], k.items_done, k.items_overdue) == (8, 2, 3)
    city = ledger.ledger_kpis(make_con(), AS_OF, region="330100").iloc[0]
    # 杭州: A2 (the city's own) and A3 (its district's); A3 iterated → 1/2
    assert (city.apps, city.iterated, city.in_ledger, city["items"]) == (2, 1, 1, 1)
    assert city.iterated_share == pytest.approx(0.5)


def test_visibility_by_hand():
    v = ledger.app_visibility(make_con()).set_index("app_id")["visibility"]
    assert v.to_dict() == pytest.approx({"A1": 36.36, "A2": 98.0, "A3": 0.0, "A4": 56.0})
    assert list(v.index) == ["A2", "A4", "A1", "A3"]
    assert sum(w for _, w, _ in ledger.VISIBILITY_WEIGHTS) == 100


def test_runway_stage_by_hand():
    rs = ledger.runway_stage(make_con())
    got = {(r.runway, r.stage): (r.apps, r.in_ledger, r.iterated) for r in rs.itertuples()}
    assert got == {("数字政府", "实施建设"): (1, 1, 1), ("数字政府", "复制推广"): (1, 1, 0),
                   ("数字社会", "谋划生成"): (1, 1, 0), ("数字社会", "实施建设"): (1, 0, 1)}
    # contract order: 数字政府 (2nd runway) before 数字社会 (4th); 谋划生成 (1st stage) first
    assert list(zip(rs.runway, rs.stage))[:3] == [("数字政府", "实施建设"), ("数字政府", "复制推广"),
                                                  ("数字社会", "谋划生成")]


def test_collaboration_by_hand():
    m = ledger.collaboration_matrix(make_con())
    got = {(r.dept_code, r.app_id): r.role for r in m.itertuples()}
    assert got == {("GGB", "A1"): "lead", ("DSJ", "A1"): "co", ("MZT", "A1"): "co",
                   ("MZT", "A2"): "lead", ("WJW", "A2"): "co", ("WJW", "A3"): "lead",
                   ("DSJ", "A4"): "lead", ("GGB", "A4"): "co"}
    d = ledger.department_collaboration(make_con()).set_index("dept_code")
    # GGB: leads A1, co-builds A4; partners DSJ, MZT (A1) and DSJ (A4) → 2
    # MZT: leads A2, co A1; partners GGB, DSJ (A1), WJW (A2) → 3; WJW: MZT only → 1
    assert d[["lead_apps", "co_apps", "apps", "partners"]].T.to_dict("list") == {
        "DSJ": [1, 1, 2, 2], "GGB": [1, 1, 2, 2], "MZT": [1, 1, 2, 3], "WJW": [1, 1, 2, 1]}
    assert list(d.index) == ["DSJ", "GGB", "MZT", "WJW"]  # all 2 apps → by code


def test_lists_progress_and_overdue_by_hand():
    p = ledger.lists_progress(make_con(), AS_OF, by="app")
    a1 = p[p.app_id == "A1"].set_index("list")
    assert list(a1.index) == ["需求", "场景", "改革"]
    # 需求: I1 done, I2 in progress (overdue), I3 planned (due today: not overdue)
    assert a1.loc["需求", ["items", "planned", "in_progress", "done", "blocked", "overdue"]].tolist() == [3, 1, 1, 1, 0, 1]
    assert a1.loc["需求", "done_share"] == pytest.approx(1 / 3)
    assert a1.loc["场景", ["items", "blocked", "overdue"]].tolist() == [1, 1, 1]
    # 改革: I5 done (late but done: not overdue), I6 no deadline → 0 overdue
    assert a1.loc["改革", ["items", "done", "planned", "overdue"]].tolist() == [2, 1, 1, 0]
    r = ledger.lists_progress(make_con(), AS_OF, by="runway").set_index(["runway", "list"])
    # 数字政府 = A1 + A2: 需求 I1 I2 I3 I7 → 4 items, 2 in progress, 1 overdue
    assert r.loc[("数字政府", "需求"), ["items", "in_progress", "overdue"]].tolist() == [4, 2, 1]
    assert r.loc[("数字社会", "改革"), ["items", "overdue"]].tolist() == [1, 1]
    o = ledger.overdue_items(make_con(), AS_OF)
    # oldest first: I8 2025-11-25 → 365 days; I4 2026-06-30 → day 329 − day 181 = 148; I2 → 1
    assert list(o.item_id) == ["I8", "I4", "I2"]
    assert list(o.days_overdue) == [365, 148, 1]
    assert o.set_index("item_id").loc["I4", "owner_name"] == "民政局"
    assert ledger.overdue_items(make_con(), AS_OF, region="330102").empty
    with pytest.raises(ValueError):
        ledger.lists_progress_sql("dept")
