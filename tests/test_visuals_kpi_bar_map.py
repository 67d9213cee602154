"""KPI tiles, bars and the choropleth against hand-made inputs: what each draws, and the hooks
they own (the map's geometry, value-only update and drill-down click; a bar's clicked value)."""

from __future__ import annotations

import pandas as pd
import pytest

from cockpit.db import Database
from cockpit.filters import FilterState, resolve
from cockpit.settings import get_settings
from cockpit.visuals import bar, choropleth, kpi
from cockpit.visuals.base import RenderContext
from cockpit.web.catalog import CatalogHolder
from cockpit.web.views import Views
from visual_samples import GEOJSON, NAN, render

GOOD, BAD = "#26a69a", "#e15759"


# --------------------------------------------------------------------------- kpi

def test_kpi_delta_colours_follow_higher_is_better():
    df = pd.DataFrame({"v": [12.0], "c": [10.0]})
    (up,) = render("kpi", {"value": "v", "compare": "c"}, df)["data"]
    assert up["mode"] == "number+delta" and up["delta"]["reference"] == 10.0 and up["delta"]["relative"] is True
    assert (up["delta"]["increasing"]["color"], up["delta"]["decreasing"]["color"]) == (GOOD, BAD)
    (down,) = render("kpi", {"value": "v", "compare": "c", "higher_is_better": False}, df)["data"]
    # Lower is better: a rise is drawn red, a fall green.
    assert (down["delta"]["increasing"]["color"], down["delta"]["decreasing"]["color"]) == (BAD, GOOD)


def test_kpi_value_format_total_and_threshold_colour():
    df = pd.DataFrame({"v": [0.93], "t": [4]})
    opts = {"value": "v", "of": "t", "format": {"d3": ".1f", "scale": 100}, "relative": False,
            "thresholds": [{"from": 0, "color": BAD}, {"from": 90, "color": GOOD}]}
    (ind,) = render("kpi", opts, df)["data"]
    assert ind["value"] == pytest.approx(93.0) and ind["mode"] == "number"  # no comparison: no delta
    assert ind["number"]["suffix"] == " / 400.0"  # the total, formatted the same way
    assert ind["number"]["valueformat"] == ".1f"
    assert ind["number"]["font"]["color"] == GOOD
    assert render("kpi", opts, df.assign(v=[0.5]))["data"][0]["number"]["font"]["color"] == BAD


def test_kpi_missing_value_shows_a_dash_and_no_change():
    fig = render("kpi", {"value": "v", "compare": "c"}, pd.DataFrame({"v": [NAN], "c": [10.0]}))
    (ind,) = fig["data"]
    assert "delta" not in ind and ind["number"]["font"]["color"] == "rgba(0,0,0,0)"
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["—"]


def test_kpi_sparkline_from_its_extra_query():
    visual = kpi.VISUAL
    assert dict(visual.queries) == {"sparkline": ("x", "y")} and visual.renamed_queries == {"spark": "sparkline"}
    ctx = RenderContext(panel_id="k", frames={"sparkline": pd.DataFrame({"x": ["2026-10", "2026-11"], "y": [3, NAN]})})
    fig = visual.render(pd.DataFrame({"v": [1]}), kpi.KpiOptions(value="v"), ctx)
    spark = fig["data"][1]
    assert (spark["type"], spark["x"], spark["y"]) == ("scatter", ["2026-10", "2026-11"], [3.0, None])
    assert fig["layout"]["yaxis"]["domain"] == [0, 0.32]  # under the number
    # The old name is not drawn any more (and `cockpit check` says it was renamed).
    old = RenderContext(panel_id="k", frames={"spark": pd.DataFrame({"x": ["a"], "y": [1]})})
    assert len(visual.render(pd.DataFrame({"v": [1]}), kpi.KpiOptions(value="v"), old)["data"]) == 1


# --------------------------------------------------------------------------- bar

DF = pd.DataFrame({"c": ["噪音", "路灯", "占道"], "a": [5, 3, 1], "b": [2, NAN, 4]})


def test_bar_vertical_grouped_with_colours_and_scale():
    fig = render("bar", {"x": "c", "y": ["a", "b"], "colors": ["#111111"], "format": {"scale": 10}}, DF)
    first, second = fig["data"]
    assert "orientation" not in first
    assert (first["x"], first["y"]) == (["噪音", "路灯", "占道"], [50.0, 30.0, 10.0])
    assert second["y"] == [20.0, None, 40.0]
    assert [t["marker"]["color"] for t in fig["data"]] == ["#111111", "#111111"]  # the colours cycle
    assert fig["layout"]["barmode"] == "group" and fig["layout"]["showlegend"] is True
    assert fig["layout"]["xaxis"]["type"] == "category" and "autorange" not in fig["layout"]["xaxis"]


def test_bar_horizontal_stacked_puts_categories_on_y_top_down():
    fig = render("bar", {"x": "c", "y": "a", "horizontal": True, "stacked": True}, DF)
    (trace,) = fig["data"]
    assert trace["orientation"] == "h" and trace["y"] == ["噪音", "路灯", "占道"] and trace["x"] == [5.0, 3.0, 1.0]
    assert fig["layout"]["yaxis"]["autorange"] == "reversed" and fig["layout"]["yaxis"]["type"] == "category"
    assert fig["layout"]["barmode"] == "stack" and fig["layout"]["showlegend"] is False
    assert trace["hovertemplate"].startswith("%{y}: %{x:")


def test_bar_long_format_one_trace_per_series():
    df = pd.DataFrame({"m": ["10", "11", "10"], "s": ["热线", "热线", "网站"], "n": [1, 2, 3]})
    fig = render("bar", {"x": "m", "y": "n", "series": "s"}, df)
    assert [(t["name"], t["x"], t["y"]) for t in fig["data"]] == [("热线", ["10", "11"], [1.0, 2.0]),
                                                                ("网站", ["10"], [3.0])]


def test_bar_clicked_value_follows_the_orientation():
    vertical = bar.BarOptions(x="c", y="a")
    horizontal = bar.BarOptions(x="c", y="a", horizontal=True)
    point = {"x": 5, "y": "噪音", "label": "label"}
    assert bar.VISUAL.point_value(point, horizontal, "c") == "噪音"
    assert bar.VISUAL.point_value({"x": "路灯", "y": 3}, vertical, "c") == "路灯"
    assert bar.VISUAL.point_value({**point, "customdata": ["占道"]}, horizontal, "c") == "占道"  # customdata first


@pytest.fixture()
def views(demo_store, use_store):
    use_store(demo_store, COCKPIT_CACHE_TYPE="NullCache")
    return Views(CatalogHolder(get_settings().layouts), Database(demo_store), get_settings())


def test_the_cross_filtering_bar_keeps_every_value_while_the_page_is_filtered(views):
    res = views.resolve("?f_category=%E5%9F%8E%E5%B8%82%E7%AE%A1%E7%90%86")  # 城市管理
    filtering = views.panel("category_bar")
    assert views.panel_context(filtering, res).filters == {}
    assert views.panel_context(views.panel("kpi_requests"), res).filters == {"category": "城市管理"}
    df, _ = views.data(filtering, res)
    assert len(df) > 1 and "城市管理" in set(df.category)  # every category stays to switch to
    fig = views.render(filtering, res).value
    assert fig["data"][0]["orientation"] == "h" and set(fig["data"][0]["y"]) == set(df.category)


# --------------------------------------------------------------------------- choropleth

def map_ctx(**extra) -> RenderContext:
    return RenderContext(panel_id="m", extra={"geojson": GEOJSON, "names": {"330102": "上城区", "330106": "西湖区"},
                                              **extra})


def test_choropleth_values_in_feature_order_over_a_grey_base():
    df = pd.DataFrame({"region_code": ["330106", "330102", "330199"], "v": [7.0, 2.0, 9.0]})
    o = choropleth.ChoroplethOptions(value="v", format={"suffix": " 件"})
    base, trace = choropleth.render(df, o, map_ctx())["data"]
    assert trace["locations"] == ["330102", "330106"] and trace["z"] == [2.0, 7.0]  # a code off the map is dropped
    assert trace["text"] == ["上城区<br>2 件", "西湖区<br>7 件"] and trace["customdata"] == ["330102", "330106"]
    assert "zauto" not in trace and "zmin" not in trace  # plotly's own range
    assert base["locations"] == trace["locations"] and base["z"] == [0, 0] and base["hoverinfo"] == "skip"
    assert base["colorscale"] == [[0, "#dde3ec"], [1, "#dde3ec"]] and base["showscale"] is False
    missing = choropleth.render(df[df.region_code != "330102"], o, map_ctx())["data"][1]
    assert missing["z"] == [None, 7.0]  # drawn grey underneath, no colour


def test_choropleth_outlines_the_selected_region():
    df = pd.DataFrame({"region_code": ["330102", "330106"], "v": [1.0, 2.0]})
    o = choropleth.ChoroplethOptions(value="v")
    outline = choropleth.render(df, o, map_ctx(selected="330106"))["data"][2]
    assert outline["locations"] == ["330106"] and outline["marker"]["line"] == {"color": "#f28e2b", "width": 3}
    assert len(choropleth.render(df, o, map_ctx(selected="330999"))["data"]) == 2  # not on this map: no outline


def test_choropleth_one_value_is_read_as_an_amount_from_zero():
    o = choropleth.ChoroplethOptions(value="v")
    one = choropleth.render(pd.DataFrame({"region_code": ["330102"], "v": [40.0]}), o, map_ctx())["data"][1]
    assert (one["zauto"], one["zmin"], one["zmax"]) == (False, 0, 40.0)
    small = choropleth.values(pd.DataFrame({"region_code": ["330102", "330106"], "v": [0.5, 0.5]}), o, map_ctx())
    assert (small["zmin"], small["zmax"]) == (0, 1)


def test_choropleth_update_is_the_value_trace_only():
    df = pd.DataFrame({"region_code": ["330102", "330106"], "v": [1.0, 3.0]})
    o = choropleth.ChoroplethOptions(value="v")
    ctx = map_ctx()
    trace = choropleth.render(df, o, ctx)["data"][choropleth.VALUE_TRACE]
    changes = dict(choropleth.update(df, o, ctx))
    assert set(changes) == {("data", 1, k) for k in ("z", "text", "customdata", "zmin", "zmax", "zauto")}
    assert changes[("data", 1, "z")] == trace["z"] and changes[("data", 1, "text")] == trace["text"]
    assert choropleth.update_key(ctx) is None  # outside the app there is no level to compare


def test_choropleth_prepares_its_level_and_patches_it(views):
    panel = views.panel("map_requests")
    res = views.resolve("?region=330106")
    first = views.render(panel, res)
    base, trace = first.value["data"][:2]
    kids = set(res.regions.children["330106"])
    # The geometry is named by URL (a static file per snapshot and level), not sent with the figure.
    assert trace["geojson"] == base["geojson"] == f"/geo/{res.ctx.snapshot}/330106.geojson"
    assert set(trace["locations"]) == kids
    assert first.key == f"{res.ctx.snapshot}|330106|None|zh" and not first.patched
    again = views.render(panel, views.resolve("?region=330106&period=2026-10"), client_key=first.key)
    assert again.patched and again.key == first.key
    ops = again.value.to_plotly_json()["operations"]
    assert {tuple(op["location"]) for op in ops} == {("data", 1, k) for k in choropleth.VALUE_KEYS}
    street = views.render(panel, views.resolve("?region=330106001"), client_key=first.key)
    assert not street.patched and street.key == f"{res.ctx.snapshot}|330106|330106001|zh"
    assert street.value["data"][2]["locations"] == ["330106001"]


def test_choropleth_click_drills_down(views):
    from cockpit.web.navigation import apply_click

    state = FilterState(region="330100", street="330106001")
    drilled = apply_click(views, state, "map_requests", {"points": [{"location": "330106", "z": 3}]})
    assert (drilled.region, drilled.street) == ("330106", None)
    assert apply_click(views, state, "map_requests", {"points": [{"location": 5}]}) == state
    assert choropleth.click(state, {"location": "330102"}, None).region == "330102"
    res = resolve(drilled, views.db, None)
    assert res.ctx.map_parent == "330106"
