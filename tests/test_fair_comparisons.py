"""Like-for-like comparisons: rate changes in percentage points, the comparison measured at the
same age as the period, the compared spans said on the tile, the unfinished month marked."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from callback_support import views  # noqa: F401 - fixture
from cockpit.query import run_sql
from cockpit.visuals import kpi
from cockpit.visuals.base import RenderContext
from query_support import ctx_for, db  # noqa: F401 - fixture


def _tile(views, panel_id: str, search: str, path: str = "/") -> dict:
    return views.render(views.panel(panel_id), views.resolve(search, path)).value


def test_a_rate_change_is_in_percentage_points_not_percent():
    df = pd.DataFrame({"v": [0.934], "c": [0.951]})
    opts = kpi.KpiOptions(value="v", compare="c", relative=False, format={"d3": ".1%"})
    (ind,) = kpi.render(df, opts, RenderContext(panel_id="p"))["data"]
    # Both figures in percent units, so plotly's delta is the difference in points: −1.7 个百分点.
    assert abs(ind["value"] - 93.4) < 1e-9 and abs(ind["delta"]["reference"] - 95.1) < 1e-9
    assert ind["number"]["valueformat"] == ".1f" and ind["number"]["suffix"] == "%"
    assert ind["delta"]["valueformat"] == ".1f" and ind["delta"]["suffix"] == " 个百分点"
    (en,) = kpi.render(df, opts, RenderContext(panel_id="p", lang="en"))["data"]
    assert en["delta"]["suffix"] == " pp"
    wall = kpi.wall(df, opts, RenderContext(panel_id="p", wall=True))
    assert "1.7 个百分点" in str(wall) and "1.7%" not in str(wall)
    # A relative change of a count stays in percent.
    (count,) = kpi.render(pd.DataFrame({"v": [120], "c": [100]}), kpi.KpiOptions(value="v", compare="c"),
                          RenderContext(panel_id="p"))["data"]
    assert count["delta"]["relative"] is True and "suffix" not in count["delta"]


def test_the_comparison_is_measured_at_the_same_age(db):
    ctx = ctx_for(db)  # November 2026, as of the 25th, against October
    assert (ctx.period_start, ctx.period_end) == (date(2026, 11, 1), date(2026, 11, 26))
    assert (ctx.cmp_start, ctx.cmp_end, ctx.cmp_as_of) == (date(2026, 10, 1), date(2026, 10, 26), date(2026, 10, 25))
    # A past month against the one before: both measured as many days after their start.
    october = ctx_for(db, period="2026-10")
    assert october.cmp_as_of == date(2026, 9, 1) + (october.as_of - date(2026, 10, 1))
    assert ctx_for(db, cmp="yoy").cmp_as_of == date(2025, 11, 25)

    # The tile's comparison against the requests themselves, closures cut at the same age.
    rows = run_sql("select received_at, closed_at from requests_scoped", ctx)
    cut = datetime(2026, 10, 26)
    prev = rows[(rows.received_at >= datetime(2026, 10, 1)) & (rows.received_at < cut)]
    cur = rows[(rows.received_at >= datetime(2026, 11, 1)) & (rows.received_at < datetime(2026, 11, 26))]
    expected_prev = (prev.closed_at < cut).sum() / len(prev)
    now_closed_prev = prev.closed_at.notna().sum() / len(prev)
    import tomllib
    from cockpit.settings import PROJECT_ROOT
    sql = tomllib.loads((PROJECT_ROOT / "layouts/panels/kpi_closure.toml").read_text())["sql"]
    got = run_sql(sql, ctx)
    assert abs(got.previous[0] - expected_prev) < 1e-12
    assert abs(got.value[0] - cur.closed_at.notna().sum() / len(cur)) < 1e-12
    # The unfair figure (October's requests as closed today) would differ: the cut matters here.
    assert now_closed_prev > expected_prev


def test_the_tiles_say_what_they_compare_in_points(views):
    fig = _tile(views, "kpi_closure", "")
    (ind,) = [t for t in fig["data"] if t["type"] == "indicator"]
    assert ind["delta"]["suffix"] == " 个百分点"
    notes = [a["text"] for a in fig["layout"].get("annotations", [])]
    assert "11-01–11-25 vs 10-01–10-25" in notes
    yoy = [a["text"] for a in _tile(views, "kpi_closure", "?cmp=yoy")["layout"].get("annotations", [])]
    assert "11-01–11-25 vs 2025-11-01–2025-11-25" in yoy
    # Comparison off: nothing compared, nothing said.
    off = _tile(views, "kpi_closure", "?cmp=none")
    assert not [a for a in off["layout"].get("annotations", []) if " vs " in a["text"]]
    # Month-keyed tiles compare whole months.
    score = _tile(views, "street_score", "", "/street")
    assert "2026-11 vs 2026-10" in [a["text"] for a in score["layout"].get("annotations", [])]


def test_the_unfinished_month_is_marked_and_last_year_counts_the_same_days(db):
    import tomllib
    from cockpit.settings import PROJECT_ROOT
    sql = tomllib.loads((PROJECT_ROOT / "layouts/panels/volume_trend.toml").read_text())["sql"]
    ctx = ctx_for(db)
    trend = run_sql(sql, ctx)
    assert trend.month.iloc[-1] == "2026-11（1–25日）" and trend.month.iloc[-2] == "2026-10"
    assert run_sql(sql, ctx_for(db, lang="en")).month.iloc[-1] == "2026-11 (days 1–25)"
    days = run_sql("select day, sum(received) as n from requests_daily_scoped group by day", ctx)
    days["day"] = pd.to_datetime(days.day)
    same_days = days[(days.day >= "2025-11-01") & (days.day <= "2025-11-25")].n.sum()
    whole = days[(days.day >= "2025-11-01") & (days.day < "2025-12-01")].n.sum()
    assert trend.last_year.iloc[-1] == same_days and same_days < whole
    assert trend.last_year.iloc[-2] == days[(days.day >= "2025-10-01") & (days.day < "2025-11-01")].n.sum()
    # A whole past month is not marked.
    assert not run_sql(sql, ctx_for(db, period="2026-10")).month.str.contains("日").any()


def test_stage_durations_compare_stages_finished_by_the_same_age(db):
    import tomllib
    from cockpit.settings import PROJECT_ROOT
    sql = tomllib.loads((PROJECT_ROOT / "layouts/panels/stage_durations.toml").read_text())["sql"]
    ctx = ctx_for(db)
    got = run_sql(sql, ctx).set_index("stage")
    rows = run_sql("select received_at, dispatched_at, handled_at from requests_scoped", ctx)
    hours = (rows.handled_at - rows.dispatched_at).dt.total_seconds() / 3600
    prev = (rows.received_at >= datetime(2026, 10, 1)) & (rows.received_at < datetime(2026, 10, 26))
    cur = (rows.received_at >= datetime(2026, 11, 1)) & (rows.received_at < datetime(2026, 11, 26))
    same_age = prev & (rows.handled_at < datetime(2026, 10, 26))
    assert abs(got.loc["处理", "prev"] - hours[same_age].mean()) < 1e-9
    assert abs(got.loc["处理", "cur"] - hours[cur & rows.handled_at.notna()].mean()) < 1e-9
    # Handling finished later is slower: counting it would make this month look faster than it is.
    assert hours[prev & rows.handled_at.notna()].mean() > hours[same_age].mean()
