"""Visual kinds: every registered kind renders sample and empty results to JSON, rejects unknown option
keys, and needs exactly the columns it declares; then kind-specific checks against hand-made inputs."""

from __future__ import annotations

import json
import re
from collections import Counter

import pandas as pd
import plotly.graph_objects as go
import plotly.utils
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cockpit.visuals import gauge, heatmap, line, markdown, ranking_table, sankey, ticker
from cockpit.visuals.base import RenderContext
from cockpit.visuals.registry import load_errors, visuals

NAN = float("nan")
#: Every built-in kind, pinned by name (pyproject's entry points): a kind that fails to load fails
#: these tests instead of silently dropping out of the parametrised ones.
BUILTIN = ("kpi", "bar", "line", "sankey", "choropleth", "heatmap", "ranking_table", "ticker", "markdown",
           "gauge", "whatif")
COMPONENT_KINDS = {"ranking_table", "ticker", "markdown", "whatif"}
MINE = ("line", "sankey", "heatmap", "ranking_table", "ticker", "markdown", "gauge")

GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": code, "properties": {},
     "geometry": {"type": "Polygon",
                  "coordinates": [[[120 + i, 30], [120.5 + i, 30], [120.5 + i, 30.5], [120 + i, 30]]]}}
    for i, code in enumerate(["330102", "330106"])]}

# kind → (options, sample result). Samples carry NaN and None where a real query can produce them.
SAMPLES: dict[str, tuple[dict, pd.DataFrame]] = {
    "kpi": ({"value": "v", "compare": "c"}, pd.DataFrame({"v": [12.0], "c": [10.0]})),
    "bar": ({"x": "street", "y": ["a", "b"]},
            pd.DataFrame({"street": ["西湖", "湖滨"], "a": [1.0, NAN], "b": [2, 3]})),
    "choropleth": ({"value": "v"}, pd.DataFrame({"region_code": ["330102", "330106"], "v": [1.5, NAN]})),
    "line": ({"x": "month", "y": "n", "compare": "n_prev", "markers": True},
             pd.DataFrame({"month": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-11-01"]),
                           "n": [120.0, NAN, 140.0], "n_prev": [100, 110, None]})),
    "sankey": ({"source": "s", "target": "t", "value": "n"},
               pd.DataFrame({"s": ["12345", "12345", "街道", None], "t": ["街道", "区县", "办结", "办结"],
                             "n": [30, 10, 25, NAN]})),
    "heatmap": ({"x": "street", "y": "category", "value": "n"},
                pd.DataFrame({"street": ["西湖", "湖滨", "西湖"], "category": ["噪音", "噪音", "路灯"],
                              "n": [3, NAN, 5]})),
    "ranking_table": ({"columns": [{"field": "street", "label": {"zh": "街道", "en": "Street"}},
                                   {"field": "score", "bar": True, "format": {"d3": ".1f"}},
                                   {"field": "rank_change", "change": True}]},
                      pd.DataFrame({"street": ["西湖街道", "湖滨街道", None], "score": [91.5, NAN, 78.0],
                                    "rank_change": [2, -1, None]})),
    "ticker": ({"time": "received_at", "text": "title", "tag": "category"},
               pd.DataFrame({"received_at": pd.to_datetime(["2026-11-25 08:00", "2026-11-25 09:30", None]),
                             "title": ["路灯不亮", "夜间施工噪音", None],
                             "category": ["城建", None, "环境"]})),
    "markdown": ({"text": {"zh": "本月受理 **{n}** 件，办结率 {rate}。",
                           "en": "{n} requests, {rate} closed."},
                  "formats": {"rate": {"d3": ".1%"}}},
                 pd.DataFrame({"n": [1234], "rate": [0.873]})),
    "gauge": ({"value": "done", "max": "total", "label": "list", "mode": "progress"},
              pd.DataFrame({"list": ["需求", "场景", "改革"], "done": [3, NAN, 9], "total": [10, 5, 0]})),
    "whatif": ({"rows": 5}, pd.DataFrame({"indicator": ["close", "sat"], "name": ["办结率", "满意率"],
                                          "weight": [0.2, NAN]})),
}

CONTEXTS = {
    "zh-light": dict(lang="zh", theme="light", wall=False),
    "en-dark-wall": dict(lang="en", theme="dark", wall=True),
}


def ctx_for(kind: str, **kw) -> RenderContext:
    ctx = RenderContext(panel_id=f"p_{kind}", **kw)
    if kind == "choropleth":
        ctx.extra.update(geojson=GEOJSON, names={"330102": "上城区", "330106": "西湖区"})
    return ctx


def registered() -> list[str]:
    return sorted(visuals())


def strict_json(out) -> str:
    """JSON with plain types only: no NaN, no numpy scalars; components through their plotly JSON."""
    return json.dumps(out, default=lambda o: o.to_plotly_json(), allow_nan=False, ensure_ascii=False)


def render(kind: str, options: dict, df: pd.DataFrame, **ctx_kw):
    visual = visuals()[kind]
    return visual.render(df, visual.options.model_validate(options), ctx_for(kind, **ctx_kw))


def texts(out) -> str:
    """Everything a component or figure would show, as one string."""
    return strict_json(out)


# --------------------------------------------------------------------------- every registered kind

def test_every_builtin_kind_is_registered_with_its_output():
    found = visuals()
    for kind in BUILTIN:
        assert kind in found, load_errors.get(kind, f"{kind} not registered")
    assert {k for k in BUILTIN if found[k].output == "component"} == COMPONENT_KINDS
    assert load_errors == {}


def test_my_kinds_are_registered_with_their_output():
    found = visuals()
    for kind in MINE:
        assert kind in found, load_errors.get(kind, f"{kind} not registered")
    comps = {"ranking_table", "ticker", "markdown"}
    assert {k for k in MINE if found[k].output == "component"} == comps


def test_every_registered_kind_has_a_sample():
    assert set(registered()) <= set(SAMPLES), "add a sample for the new kind to SAMPLES"


@pytest.mark.parametrize("ctx_name", sorted(CONTEXTS))
@pytest.mark.parametrize("kind", BUILTIN)
def test_renders_sample_to_json(kind, ctx_name):
    options, df = SAMPLES[kind]
    out = render(kind, options, df, **CONTEXTS[ctx_name])
    strict_json(out)
    if visuals()[kind].output == "figure":
        assert isinstance(out, dict) and set(out) >= {"data", "layout"}, "figures are plain dicts"
        json.dumps(out, cls=plotly.utils.PlotlyJSONEncoder)
        go.Figure(out)  # plotly's own validation: every attribute name and value is one plotly knows
    else:
        json.dumps(out.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)


@pytest.mark.parametrize("kind", BUILTIN)
def test_renders_empty_result(kind):
    options, df = SAMPLES[kind]
    out = render(kind, options, df.iloc[0:0])
    strict_json(out)
    if kind in MINE and visuals()[kind].output == "figure":
        assert out["data"] == []
        assert [a["text"] for a in out["layout"]["annotations"]] == ["暂无数据"]
        assert "No data" in texts(render(kind, options, df.iloc[0:0], lang="en"))
    if visuals()[kind].output == "figure":
        go.Figure(out)


@pytest.mark.parametrize("kind", BUILTIN)
def test_options_reject_unknown_keys_naming_them(kind):
    options, _ = SAMPLES[kind]
    with pytest.raises(ValidationError, match="colour_typo"):
        visuals()[kind].options.model_validate({**options, "colour_typo": 1})


@pytest.mark.parametrize("kind", BUILTIN)
def test_declared_columns_are_enough(kind):
    """render needs nothing beyond columns(): a result cut down to them renders the same."""
    visual = visuals()[kind]
    options, df = SAMPLES[kind]
    cols = visual.columns(visual.options.model_validate(options))
    assert cols, "every sample names its columns"
    full = render(kind, options, df.assign(unrelated=1))
    cut = render(kind, options, df[[c for c in df.columns if c in cols]])
    assert strict_json(full) == strict_json(cut)


@pytest.mark.parametrize("kind", BUILTIN)
def test_missing_declared_column_is_a_key_error_naming_it(kind):
    visual = visuals()[kind]
    options, df = SAMPLES[kind]
    for col in sorted(visual.columns(visual.options.model_validate(options))):
        with pytest.raises(KeyError, match=re.escape(col)):
            render(kind, options, df.drop(columns=[col]))


# --------------------------------------------------------------------------- line

def test_line_long_format_compare_and_area():
    df = pd.DataFrame({"m": ["2026-10", "2026-11", "2026-10", "2026-11"], "s": ["热线", "热线", "网站", "网站"],
                       "n": [5, 7, 2, NAN], "prev": [4, 6, 1, 1]})
    fig = render("line", {"x": "m", "y": "n", "series": "s", "compare": "prev", "area": True,
                          "format": {"scale": 2}}, df)
    names = [t["name"] for t in fig["data"]]
    assert names == ["热线", "热线 · prev", "网站", "网站 · prev"]
    solid, dashed = fig["data"][0], fig["data"][1]
    assert solid["stackgroup"] == "area" and "dash" not in solid["line"]
    assert dashed["line"]["dash"] == "dash" and "stackgroup" not in dashed
    assert dashed["line"]["color"] == solid["line"]["color"]
    assert fig["data"][2]["y"] == [4.0, None]  # scaled, NaN → None
    assert fig["layout"]["yaxis"]["rangemode"] == "tozero"


def test_line_wide_format_dates_and_no_zero_option():
    df = pd.DataFrame({"d": pd.to_datetime(["2026-11-01", "2026-11-02"]), "a": [1, 2], "b": [3, 4]})
    fig = render("line", {"x": "d", "y": ["a", "b"], "y_from_zero": False}, df)
    assert [t["x"] for t in fig["data"]] == [["2026-11-01", "2026-11-02"]] * 2
    assert [t["mode"] for t in fig["data"]] == ["lines", "lines"]
    assert "rangemode" not in fig["layout"]["yaxis"]
    assert fig["layout"]["xaxis"]["tickformat"] == "%m-%d"


def test_line_x_axis_follows_the_values():
    def axis(x) -> dict:
        return render("line", {"x": "x", "y": "n"}, pd.DataFrame({"x": x, "n": [1, 2]}))["layout"]["xaxis"]

    assert axis(["2026-10", "2026-11"])["type"] == "category"  # text periods are not re-read as dates
    monthly = axis(pd.to_datetime(["2026-10-01", "2026-11-01"]))
    assert (monthly["type"], monthly["tickformat"], monthly["dtick"]) == ("date", "%Y-%m", "M1")
    assert axis(pd.to_datetime(["2026-11-01 08:00", "2026-11-01 09:00"]))["tickformat"] == "%m-%d %H:%M"
    assert axis([1, 2])["type"] == "linear"


# --------------------------------------------------------------------------- sankey

def test_sankey_nodes_in_first_appearance_order_and_links():
    df = pd.DataFrame({"s": ["热线", "网站", "街道", "区县", "街道"],
                       "t": ["街道", "街道", "办结", "办结", "退回"],
                       "v": [10, 5, 12, 3, 0]})  # the zero link is left out, and so is its lone target
    fig = render("sankey", {"source": "s", "target": "t", "value": "v", "format": {"suffix": "件"}}, df)
    (trace,) = fig["data"]
    assert trace["node"]["label"] == ["热线", "街道", "网站", "办结", "区县"]
    assert trace["link"]["source"] == [0, 2, 1, 4]
    assert trace["link"]["target"] == [1, 1, 3, 3]
    assert trace["link"]["value"] == [10.0, 5.0, 12.0, 3.0]
    # a link takes its source node's colour, translucent
    node_colours = trace["node"]["color"]
    assert trace["link"]["color"][1] == "rgba({},{},{},0.35)".format(
        *(int(node_colours[2][i:i + 2], 16) for i in (1, 3, 5)))
    assert trace["valuesuffix"] == "件"


def test_sankey_stage_column_separates_same_name_at_two_stages():
    df = pd.DataFrame({"stage": ["渠道→层级", "层级→结果"], "s": ["其他", "街道"],
                       "t": ["街道", "其他"], "v": [4, 4]})
    labels, src, tgt, _ = sankey.build(df, sankey.SankeyOptions(source="s", target="t", value="v", stage="stage"))
    assert labels == ["其他", "街道", "其他"]  # no loop: the second 其他 is a later stage's node
    assert (src, tgt) == ([0, 1], [1, 2])
    labels, src, tgt, _ = sankey.build(df, sankey.SankeyOptions(source="s", target="t", value="v"))
    assert labels == ["其他", "街道"] and (src, tgt) == ([0, 1], [1, 0])


# --------------------------------------------------------------------------- heatmap

def test_heatmap_matrix_from_long_rows():
    df = pd.DataFrame({"x": ["a", "b", "a", "c", "a"], "y": ["r1", "r1", "r2", "r2", "r1"],
                       "v": [1, 2, 3, NAN, 4]})
    o = heatmap.HeatmapOptions(x="x", y="y", value="v")
    fig = render("heatmap", o.model_dump(by_alias=True), df)
    (trace,) = fig["data"]
    assert trace["x"] == ["a", "b", "c"] and trace["y"] == ["r1", "r2"]
    # z[row][column]; repeated (a, r1) summed; (c, r2) only had NaN; (b, r2) never came
    assert trace["z"] == [[5.0, 2.0, None], [3.0, None, None]]
    assert trace["texttemplate"] == "%{z:,.0f}"
    assert "%{z:,.0f}" in trace["hovertemplate"]


def test_heatmap_ordering_by_total_and_name():
    df = pd.DataFrame({"x": ["b", "a", "c"], "y": ["q", "p", "p"], "v": [1, 2, 9]})
    xs, ys, z = heatmap.matrix(df, heatmap.HeatmapOptions(x="x", y="y", value="v", x_order="total",
                                                         y_order="name"))
    assert xs == ["c", "a", "b"] and ys == ["p", "q"]
    assert z == [[9.0, 2.0, None], [None, None, 1.0]]
    fig = render("heatmap", {"x": "x", "y": "y", "value": "v", "text": False, "colorscale": "YlOrRd"}, df)
    scale = fig["data"][0]["colorscale"]
    assert "texttemplate" not in fig["data"][0]
    assert scale[0] == [0.0, "rgb(255,255,204)"] and scale[-1][0] == 1.0  # low end light, as in plotly.py


def test_heatmap_colorscale_names_are_checked():
    with pytest.raises(ValidationError, match="unknown colorscale 'Bluez'"):
        heatmap.HeatmapOptions(x="x", y="y", value="v", colorscale="Bluez")
    custom = heatmap.HeatmapOptions(x="x", y="y", value="v", colorscale=[[0, "#fff"], [1, "#123456"]])
    assert heatmap.colorscale(custom.colorscale) == [[0.0, "#fff"], [1.0, "#123456"]]


# --------------------------------------------------------------------------- gauge

def test_gauge_dial_with_max_column_target_and_threshold_colour():
    df = pd.DataFrame({"v": [0.82], "cap": [1.0]})
    fig = render("gauge", {"value": "v", "max": "cap", "target": 0.9, "format": {"d3": ".0f", "scale": 100},
                           "thresholds": [{"from": 0, "color": "#e15759"}, {"from": 80, "color": "#26a69a"}]}, df)
    (ind,) = fig["data"]
    assert ind["value"] == pytest.approx(82.0)
    assert ind["gauge"]["axis"]["range"] == [0, 100.0]
    assert ind["gauge"]["bar"]["color"] == "#26a69a"
    assert ind["gauge"]["threshold"]["value"] == pytest.approx(90.0)
    assert [s["range"] for s in ind["gauge"]["steps"]] == [[0, 80], [80, 100.0]]
    bullet = render("gauge", {"value": "v", "mode": "bullet"}, df)
    assert bullet["data"][0]["gauge"]["shape"] == "bullet"


def test_gauge_progress_bars_per_row():
    _, df = SAMPLES["gauge"]
    fig = render("gauge", {"value": "done", "max": "total", "label": "list", "mode": "progress"}, df)
    track, bars = fig["data"]
    assert bars["y"] == ["需求", "场景", "改革"]
    assert bars["x"] == [0.3, None, None]  # missing value, zero max: no bar rather than a crash
    assert track["text"][0] == "3 / 10  30%"


# --------------------------------------------------------------------------- ranking table

def grid_props(out) -> dict:
    return out.to_plotly_json()["props"]


def test_ranking_table_rows_columns_and_formats():
    options, df = SAMPLES["ranking_table"]
    props = grid_props(render("ranking_table", options, df))
    assert props["id"] == {"type": "grid", "panel": "p_ranking_table"}
    assert [r["street"] for r in props["rowData"]] == ["西湖街道", "湖滨街道", None]
    assert props["rowData"][0]["score"] == 91.5 and props["rowData"][1]["score"] is None  # numeric: sorts
    defs = {d["field"]: d for d in props["columnDefs"]}
    assert defs["street"]["headerName"] == "街道"
    assert 'd3.format(".1f")' in defs["score"]["valueFormatter"]["function"]
    bar = defs["score"]["cellStyle"]["function"]
    assert "linear-gradient" in bar and "/ 91.5" in bar  # relative to the largest value shown
    change = defs["rank_change"]
    assert "▲" in change["valueFormatter"]["function"] and "▼" in change["valueFormatter"]["function"]
    assert change["cellClassRules"] == {"cockpit-cell-good": "params.value > 0", "cockpit-cell-bad": "params.value < 0"}
    assert props["defaultColDef"]["sortable"] is True
    assert props["dashGridOptions"]["pagination"] is False
    assert "colorSchemeDark" not in props["dashGridOptions"]["theme"]["function"]
    en = grid_props(render("ranking_table", options, df, lang="en", theme="dark"))
    assert {d["field"]: d["headerName"] for d in en["columnDefs"]}["street"] == "Street"
    assert "colorSchemeDark" in en["dashGridOptions"]["theme"]["function"]
    assert "cockpit-grid--dark" in en["className"]


def test_ranking_table_row_limits_wall_and_paging():
    df = pd.DataFrame({"street": [f"街道{i}" for i in range(30)], "n": range(30, 0, -1)})
    opts = {"columns": [{"field": "street"}, {"field": "n"}], "rows": 15}
    assert len(grid_props(render("ranking_table", opts, df))["rowData"]) == 15
    assert len(grid_props(render("ranking_table", opts, df, wall=True))["rowData"]) == 10
    assert len(grid_props(render("ranking_table", {**opts, "wall_rows": 5}, df, wall=True))["rowData"]) == 5
    paged = grid_props(render("ranking_table", {**opts, "overflow": "paginate"}, df))
    assert len(paged["rowData"]) == 30 and paged["dashGridOptions"]["pagination"] is True
    assert paged["dashGridOptions"]["paginationPageSize"] == 15
    walled = grid_props(render("ranking_table", {**opts, "overflow": "paginate"}, df, wall=True))
    assert walled["dashGridOptions"]["pagination"] is False


def test_ranking_table_highlight_and_inverted_change():
    df = pd.DataFrame({"overdue": [12, 3], "delta": [1, -2]})
    opts = {"columns": [{"field": "overdue", "highlight": [{"op": ">=", "value": 10, "color": "#e15759",
                                                             "bold": True}]},
                        {"field": "delta", "change": True, "up_is_good": False}]}
    defs = {d["field"]: d for d in grid_props(render("ranking_table", opts, df))["columnDefs"]}
    assert "params.value >= 10.0" in defs["overdue"]["cellStyle"]["function"]
    assert '"#e15759"' in defs["overdue"]["cellStyle"]["function"]
    assert defs["delta"]["cellClassRules"]["cockpit-cell-bad"] == "params.value > 0"


def test_ranking_table_default_columns_show_everything():
    df = pd.DataFrame({"a": ["x"], "b": [1.5]})
    props = grid_props(render("ranking_table", {}, df))
    assert [d["field"] for d in props["columnDefs"]] == ["a", "b"]
    assert props["rowData"] == [{"a": "x", "b": 1.5}]


# --------------------------------------------------------------------------- ticker

def test_ticker_lists_latest_items_newest_first():
    options, df = SAMPLES["ticker"]
    out = render("ticker", {**options, "max_items": 2}, df)
    shown = texts(out)
    assert "夜间施工噪音" in shown and "路灯不亮" in shown and "城建" in shown
    track = out.children
    first, clone = track.children
    assert [li.children[-1].children for li in first.children] == ["夜间施工噪音", "路灯不亮"]
    assert clone.to_plotly_json()["props"]["aria-hidden"] == "true"
    assert "cockpit-ticker--animated" in out.className and out.style["--ticker-duration"] == "12s"


def test_ticker_static_list_when_not_animated():
    options, df = SAMPLES["ticker"]
    out = render("ticker", {**options, "animate": False, "sort": False}, df)
    (only,) = out.children.children
    assert [li.children[-1].children for li in only.children] == ["路灯不亮", "夜间施工噪音", ""]
    assert "animated" not in out.className


# --------------------------------------------------------------------------- markdown

def md_html(template: str, df: pd.DataFrame | None = None, **options) -> str:
    df = pd.DataFrame({"x": [1]}) if df is None else df
    return render("markdown", {"text": {"zh": template}, **options}, df).children


def test_markdown_fills_placeholders_with_formats():
    options, df = SAMPLES["markdown"]
    out = render("markdown", options, df)
    assert "<strong>1,234</strong>" in out.children and "87.3%" in out.children
    assert out.dangerously_allow_html is True
    assert "1,234 requests, 87.3% closed." in render("markdown", options, df, lang="en").children
    assert "—" in render("markdown", options, df.iloc[0:0]).children
    assert markdown._columns(markdown.MarkdownOptions.model_validate(options)) == {"n", "rate"}


def test_markdown_template_is_sanitised():
    out = md_html('### 标题\n\n<script>alert(1)</script> <img src="x" onerror="alert(2)">'
                  ' [a](javascript:alert(3)) <a href="JAVASCRIPT:alert(4)">b</a> <a href="/rel">c</a>'
                  ' [ok](https://zj.gov.cn/x) <iframe src="https://evil"></iframe>\n\n# 大标题')
    low = out.lower()
    assert "<script" not in low and "alert(1)" not in low
    assert "onerror" not in low and "<img" not in low and "<iframe" not in low
    assert "javascript:" not in low and 'href="/rel"' not in low
    assert '<a href="https://zj.gov.cn/x" rel="noopener noreferrer">ok</a>' in out
    assert "<h3>标题</h3>" in out and "<h3>大标题</h3>" in out and "<h1>" not in out
    assert out.startswith("<div>") and "\n\n" not in out  # one raw HTML block for dcc.Markdown


def test_markdown_values_are_data_not_markup():
    df = pd.DataFrame({"s": ['<img src=x onerror=alert(1)> **b** [l](javascript:x) | # h\n- li']})
    out = md_html("值：{s}", df)
    assert "<img" not in out and "<strong>" not in out and "<a" not in out and "<li>" not in out
    assert "&lt;img src=x onerror=alert(1)&gt; **b** [l](javascript:x) | # h - li" in out


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&\"'*_[]()#|\\`-.!: /=ajvsciprtxhon\n")), max_size=40))
def test_markdown_no_value_adds_markup(value):
    template = "### 报告\n\n数量 **{s}** 与 {s}\n\n- 项 {s}"
    plain = markdown.to_html(markdown.fill(template, {"s": "x"}, {}))
    filled = markdown.to_html(markdown.fill(template, {"s": value}, {}))
    # a value may spoil the template's own emphasis (an empty one turns '**{s}**' into '****'), but it
    # can never bring a tag of its own
    tags = lambda h: Counter(re.findall(r"</?[a-z0-9]+", h))  # noqa: E731
    assert not tags(filled) - tags(plain)


def test_whatif_renders_one_slider_per_indicator_at_its_published_weight():
    _, df = SAMPLES["whatif"]
    out = render("whatif", {"rows": 5}, df)
    sliders = []

    def walk(node):
        if hasattr(node, "to_plotly_json"):
            node = node.to_plotly_json()
        if isinstance(node, dict):
            if node.get("type") == "Slider":
                sliders.append(node["props"])
            for v in node.values():
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    walk(out)
    assert [s["id"]["ind"] for s in sliders] == ["close", "sat"]
    assert [s["value"] for s in sliders] == [0.2, 0.0]  # a missing weight starts at 0


def test_units_follow_the_language():
    from cockpit.visuals.base import localized

    opts = visuals()["kpi"].options.model_validate(
        {"value": "v", "format": {"d3": ",.0f", "suffix": " 件", "suffix_en": ""}})
    assert localized(opts, "zh").format.suffix == " 件"
    assert localized(opts, "en").format.suffix == ""
    table = visuals()["ranking_table"].options.model_validate(
        {"columns": [{"field": "h", "format": {"suffix": " 小时", "suffix_en": " h"}}, {"field": "n"}]})
    assert localized(table, "en").columns[0].format.suffix == " h"
    assert table.columns[0].format.suffix == " 小时"  # the declared options are not changed
