"""Component kinds (ranking table, ticker, markdown, what-if) against hand-made inputs."""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cockpit.visuals import markdown
from cockpit.visuals.registry import visuals
from visual_samples import SAMPLES, render, texts


# --------------------------------------------------------------------------- ranking table

def grid(out):
    """The AG Grid in a table render (the page wraps it with its search box)."""
    from dash_ag_grid import AgGrid

    if isinstance(out, AgGrid):
        return out
    children = getattr(out, "children", None)
    for child in children if isinstance(children, list) else [children]:
        found = grid(child) if child is not None and not isinstance(child, str) else None
        if found is not None:
            return found
    return None


def grid_props(out) -> dict:
    return grid(out).to_plotly_json()["props"]


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
