"""Visual kinds: every built-in kind renders sample and empty results to JSON, rejects unknown option
keys, and needs exactly the columns it declares; then kind-specific checks against hand-made inputs
(figure kinds here; kpi, bar and choropleth in test_visuals_kpi_bar_map.py; component kinds in
test_visuals_components.py)."""

from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go
import plotly.utils
import pytest
from pydantic import ValidationError

from cockpit.visuals import heatmap, sankey
from cockpit.visuals.registry import load_errors, visuals
from visual_samples import (BUILTIN, COMPONENT_KINDS, CONTEXTS, MINE, NAN, SAMPLES, registered, render,
                            strict_json, texts)


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
    comps = {"ranking_table", "light_table", "ticker", "markdown"}
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


def test_visual_interface_checks_and_defaults():
    from cockpit.visuals.base import Options, Visual

    def draw(df, o, ctx):
        return {"data": [], "layout": {}}

    plain = Visual(name="p", options=Options, render=draw, columns=lambda o: set(), queries=("extra",))
    assert plain.queries == {"extra": ()}  # names only: no required columns
    assert plain.prepare is plain.update is plain.wall is plain.click is None
    with pytest.raises(TypeError, match="update and update_key go together"):
        Visual(name="p", options=Options, render=draw, columns=lambda o: set(), update=lambda df, o, c: [])


def test_long_heatmap_labels_break_over_two_lines_and_keep_their_keys():
    df = pd.DataFrame({"indicator": ["Avg. handling hours", "Repeat complaints", "满意率"],
                       "street": ["a", "a", "a"], "v": [1.0, 2.0, 3.0]})
    from visual_samples import ctx_for
    opts = heatmap.HeatmapOptions(x="indicator", y="street", value="v")
    fig = heatmap.render(df, opts, ctx_for("heatmap", lang="en"))
    axis = fig["layout"]["xaxis"]
    assert list(fig["data"][0]["x"]) == list(axis["tickvals"])  # a click still names the value
    assert "Avg. handling<br>hours" in axis["ticktext"] and "满意率" in axis["ticktext"]


def test_a_ranked_name_keeps_its_rank_and_reads_as_elsewhere_in_english():
    from cockpit.web.views import Views
    places = {"新语街道": "Xinyu Subdistrict"}
    assert Views.shown("3. 新语街道", {}, "en", places) == "3. Xinyu Subdistrict"
    assert Views.shown("新语街道", {}, "en", places) == "Xinyu Subdistrict"
    assert Views.shown("3. 新语街道", {}, "zh", places) == "3. 新语街道"
