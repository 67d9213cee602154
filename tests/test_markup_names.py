"""Data that looks like markup is shown literally, never interpreted.

Plotly reads a subset of HTML in the text it draws (tick labels, names, hover text, Sankey nodes,
annotations): a street named `<a href=…>` became a link, `<b style="font-size:300px">` giant text.
Every figure kind escapes its data-derived strings (`cockpit.visuals.base.plain`); clicks come back
as the data values. Unit tests here; the real-Chromium check on a store full of markup names is
in the second half (page and display wall)."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cockpit.visuals.base import clicked_value, plain
from cockpit.visuals.registry import visuals
from visual_samples import COMPONENT_KINDS, SAMPLES, ctx_for

LINK = '<a href="https://evil.example">x</a>'
GIANT = '<b style="font-size:300px">'
MARK = LINK + GIANT
#: Markup the kinds write themselves, around the escaped data.
OURS = re.compile(r"<br>|</?extra>")


def _marked(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with every string cell prefixed by markup."""
    return df.apply(lambda col: col.map(lambda v: MARK + v if isinstance(v, str) else v))


def _strings(node, path=()):
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, (*path, k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from _strings(v, (*path, i))


def _tags(figure: dict) -> list:
    """Every string of the figure that still holds a tag besides our own."""
    return [(p, s) for p, s in _strings(figure) if "<" in OURS.sub("", s)]


FIGURE_KINDS = sorted(k for k in SAMPLES if k not in COMPONENT_KINDS)
# Options that put data in more places: series names (legend, hover), text x values.
EXTRA_CASES = {
    "bar-series": ("bar", {"x": "street", "y": "n", "series": "kind"},
                   pd.DataFrame({"street": ["西湖", "湖滨", "西湖"], "kind": ["噪音", "噪音", "路灯"], "n": [1, 2, 3]})),
    "bar-horizontal": ("bar", {"x": "street", "y": "n", "horizontal": True},
                       pd.DataFrame({"street": ["西湖", "湖滨"], "n": [1, 2]})),
    "line-series-text-x": ("line", {"x": "month", "y": "n", "series": "kind", "compare": "prev"},
                           pd.DataFrame({"month": ["2026-10", "2026-11", "2026-10"], "kind": ["甲", "甲", "乙"],
                                         "n": [1, 2, 3], "prev": [1, 1, 1]})),
    "sankey-stages": ("sankey", {"source": "s", "target": "t", "value": "n", "stage": "g"},
                      pd.DataFrame({"s": ["网站", "区县"], "t": ["区县", "办结"], "n": [3, 2], "g": ["a", "b"]})),
    "heatmap-by-name": ("heatmap", {"x": "x", "y": "y", "value": "n", "x_order": "name"},
                        pd.DataFrame({"x": ["b", "a"], "y": ["c", "c"], "n": [1, 2]})),
}


def _cases():
    for kind in FIGURE_KINDS:
        yield pytest.param(kind, *SAMPLES[kind], id=kind)
    for name, (kind, options, df) in EXTRA_CASES.items():
        yield pytest.param(kind, options, df, id=name)


@pytest.mark.parametrize("wall", [False, True], ids=["page", "wall"])
@pytest.mark.parametrize("kind,options,df", list(_cases()))
def test_every_figure_kind_escapes_the_data_it_shows(kind, options, df, wall):
    visual = visuals()[kind]
    assert visual.output == "figure"
    ctx = ctx_for(kind, lang="zh", wall=wall, theme="dark" if wall else "light")
    if kind == "choropleth":  # the map's names come from the region tree (its prepare hook)
        ctx.extra["names"] = {code: MARK + name for code, name in ctx.extra["names"].items()}
    if kind == "kpi":
        ctx.frames["sparkline"] = pd.DataFrame({"x": [MARK + "2026-10", MARK + "2026-11"], "y": [1, 2]})
    opts = visual.options.model_validate(options)
    out = visual.render_wall(_marked(df), opts, ctx) if wall else visual.render(_marked(df), opts, ctx)
    if not isinstance(out, dict):  # a wall variant of html components: markup.to_html escapes those
        return
    assert _tags(out) == []
    if kind in ("kpi", "choropleth") or any(isinstance(v, str) for v in df.to_numpy().ravel()):
        assert any("&lt;a href" in s for _, s in _strings(out)), "the data should be in the figure"


def test_our_own_line_breaks_stay_markup():
    kind = "choropleth"
    options, df = SAMPLES[kind]
    ctx = ctx_for(kind)
    ctx.extra["names"] = {"330102": LINK, "330106": "西湖区"}
    visual = visuals()[kind]
    trace = visual.render(df, visual.options.model_validate(options), ctx)["data"][1]
    assert trace["text"][0] == "&lt;a href=\"https://evil.example\"&gt;x&lt;/a&gt;<br>2"
    assert trace["text"][1].startswith("西湖区<br>")


def test_names_in_hover_templates_are_not_template_text():
    """A series name goes into the hover box by reference, not spliced into the template (where
    `%{…}` in data would be read as a placeholder)."""
    visual = visuals()["bar"]
    df = pd.DataFrame({"x": ["a", "b"], "n": [1, 2], "s": ["%{y}", "%{y}"]})
    fig = visual.render(df, visual.options.model_validate({"x": "x", "y": "n", "series": "s"}), ctx_for("bar"))
    assert fig["data"][0]["name"] == "%{y}"
    assert "%{y}</extra>" not in fig["data"][0]["hovertemplate"]


@given(st.text())
def test_escaping_round_trips(text):
    assert html.unescape(plain(text)) == text
    assert "<" not in plain(text) and ">" not in plain(text)


def test_clicks_come_back_as_the_data_values():
    assert clicked_value({"x": 3, "y": plain(LINK)}, "y") == LINK
    assert clicked_value({"label": plain("A&B <c>")}, "x") == "A&B <c>"
    assert clicked_value({"x": plain("&amp;")}, "x") == "&amp;"
    # customdata is never shown, so never escaped: it is the value as it is
    assert clicked_value({"customdata": ["&lt;"], "x": "ignored"}, "x") == "&lt;"
    assert clicked_value({"x": 5}, "x") == 5


def test_clicking_an_escaped_bar_filters_by_the_original_value(demo_store, use_store):
    from cockpit.db import Database
    from cockpit.filters import FilterState
    from cockpit.settings import get_settings
    from cockpit.web.catalog import CatalogHolder
    from cockpit.web.navigation import apply_click
    from cockpit.web.views import Views

    use_store(demo_store)
    views = Views(CatalogHolder(get_settings().layouts), Database(demo_store), get_settings())
    click = {"points": [{"x": 120, "y": plain(LINK)}]}  # horizontal bar: categories on y
    state = apply_click(views, FilterState(), "category_bar", click)
    assert state.filters == {"category": LINK}
    # and again: the same value clears it
    assert apply_click(views, state, "category_bar", click).filters == {}
