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


# -- in real Chromium: a store whose names are markup ---------------------------------------------

CATEGORY = LINK + "社区服务"  # a category no label translates: the chart shows the data itself
OTHER_CATEGORY = GIANT + "环境保护"

# What the page has to show, checked in the browser: no link the data made (plotly's mode bar
# buttons are its own <a> elements), no giant text, and whether the markup is there as text.
SHOWN_JS = """
([link, giant]) => {
  const plots = [...document.querySelectorAll('.js-plotly-plot, .wall-panel')];
  const anchors = plots.flatMap(p => [...p.querySelectorAll('a')]).filter(a => !a.closest('.modebar'));
  const huge = [...document.querySelectorAll('body *')].filter(e => parseFloat(getComputedStyle(e).fontSize) > 100);
  const text = plots.map(p => p.textContent).join('\\n');
  return {anchors: anchors.map(a => a.outerHTML.slice(0, 120)), huge: huge.map(e => e.outerHTML.slice(0, 120)),
          literal: text.includes(link) || text.includes(giant)};
}
"""


def _markup_drop(folder):
    """The demo drop with markup in region, department, app and category names."""
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from cockpit.demo import write_demo_drop

    drop = write_demo_drop(folder, requests=20_000, seed=2026, as_of="2026-11-25")
    regions = gpd.read_parquet(drop / "regions.parquet")
    marked = regions["level"].isin(["city", "county"]) | (regions.index % 7 == 0)
    prefixes = [LINK if i % 2 else GIANT for i in range(len(regions))]
    regions["name"] = [p + n if m else n for p, n, m in zip(prefixes, regions["name"], marked)]
    regions.to_parquet(drop / "regions.parquet", index=False)
    for name in ("departments", "reform_apps"):
        table = pq.read_table(drop / f"{name}.parquet")
        names = [(LINK if i % 2 else GIANT) + n for i, n in enumerate(table.column("name").to_pylist())]
        table = table.set_column(table.schema.get_field_index("name"), "name", pa.array(names, pa.string()))
        pq.write_table(table, drop / f"{name}.parquet")
    requests = pq.read_table(drop / "requests.parquet")
    col = requests.column("category")
    col = pc.if_else(pc.equal(col, "社区服务"), CATEGORY, col)
    col = pc.if_else(pc.equal(col, "环境保护"), OTHER_CATEGORY, col)
    requests = requests.set_column(requests.schema.get_field_index("category"), "category", col)
    pq.write_table(requests, drop / "requests.parquet")
    return drop


@pytest.fixture(scope="module")
def markup_server(tmp_path_factory):
    from cockpit.ingest import cli_ingest
    from conftest import ROOT, Server

    work = tmp_path_factory.mktemp("markup")
    drop = _markup_drop(work / "drop")
    assert cli_ingest(drop, work / "store") == 0
    srv = Server(work / "store", ROOT / "layouts", work / "cache", work / "gunicorn.log",
                 COCKPIT_ACCOUNTS_DB=str(work / "accounts.db"))
    srv.accounts = work / "accounts.db"  # type: ignore[attr-defined]
    yield srv
    srv.stop()


def _shown(pg) -> dict:
    return pg.evaluate(SHOWN_JS, [LINK, GIANT])


@pytest.mark.browser
@pytest.mark.parametrize("page_id", list(__import__("browser_support").PAGES))
def test_markup_names_show_as_text_on_every_page(markup_server, page, page_id):
    from browser_support import PAGES, assert_healthy, open_page

    open_page(page, markup_server.url + PAGES[page_id]["path"])
    assert_healthy(page, content=False)
    shown = _shown(page)
    assert shown["anchors"] == [] and shown["huge"] == [], shown
    if page_id in ("requests", "ledger"):  # category axis, Sankey of departments; apps and departments
        assert shown["literal"], "the names should be shown, as text"


@pytest.mark.browser
def test_a_map_hover_shows_a_markup_name_as_text(markup_server, page):
    from browser_support import REGION_POINT_JS, open_page

    open_page(page, markup_server.url + "/")
    codes = page.evaluate("() => document.querySelector('#panel-map_requests .js-plotly-plot').data[1].locations")
    texts = page.evaluate("() => document.querySelector('#panel-map_requests .js-plotly-plot').data[1].text")
    code = next(c for c, t in zip(codes, texts) if t.startswith(plain(LINK)))
    x, y = page.evaluate(REGION_POINT_JS, ["map_requests", code])
    page.mouse.move(x - 3, y)
    page.mouse.move(x, y)
    hover = page.locator("#panel-map_requests .hoverlayer .hovertext")
    hover.wait_for()
    assert LINK in hover.text_content()
    assert hover.locator("a").count() == 0
    assert _shown(page)["anchors"] == []


@pytest.mark.browser
def test_clicking_a_markup_category_filters_by_its_value(markup_server, page):
    from browser_support import assert_healthy, open_page, settle, wait_param

    open_page(page, markup_server.url + "/requests")
    shown = page.evaluate("() => document.querySelector('#panel-category_bar .js-plotly-plot').data[0].y")
    assert plain(CATEGORY) in shown and CATEGORY not in shown
    ticks = page.locator("#panel-category_bar .yaxislayer-above").text_content()
    assert CATEGORY in ticks and OTHER_CATEGORY in ticks  # literally, markup and all
    index = shown.index(plain(CATEGORY))
    bar = page.locator("#panel-category_bar .barlayer .trace").first.locator(".point path").nth(index)
    bar.hover(force=True)
    hover = page.locator("#panel-category_bar .hoverlayer .hovertext")
    hover.first.wait_for()
    # the category literally, and the series name the hover box takes from the trace (本期)
    assert CATEGORY in hover.first.text_content() and "本期" in hover.first.text_content()
    assert hover.locator("a").count() == 0
    bar.click(force=True)
    wait_param(page, "f_category", CATEGORY)
    settle(page)
    assert CATEGORY in page.locator(".chips .chip").inner_text()
    metas = page.locator("#panel-kpi_requests .panel-sql-meta").text_content()
    assert f"$f_category={CATEGORY}" in metas
    assert_healthy(page, content=False)
    assert _shown(page)["anchors"] == []


WALL_WATCH_JS = """
window.__seen = {anchors: [], huge: [], literal: false, steps: 0};
setInterval(() => {
  const s = (%s)(%s);
  window.__seen.anchors.push(...s.anchors);
  window.__seen.huge.push(...s.huge);
  window.__seen.literal = window.__seen.literal || s.literal;
}, 150);
"""


@pytest.mark.browser
def test_a_display_wall_shows_markup_names_as_text(markup_server, browser):
    import json as _json

    from cockpit.access import tokens

    token = tokens.create(markup_server.accounts, "command-centre", "330000")[1]
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.add_init_script(WALL_WATCH_JS % (SHOWN_JS, _json.dumps([LINK, GIANT])))
    try:
        pg.goto(f"{markup_server.url}/wall/command-centre?token={token}&speed=100")
        # every screen once (overview, requests, rankings, ledger) and back to the first
        pg.wait_for_function("() => window.cockpitWall && window.cockpitWall.state().stepsShown >= 5",
                             timeout=120_000)
        pg.wait_for_timeout(500)
        seen = pg.evaluate("window.__seen")
        assert seen["anchors"] == [] and seen["huge"] == [], seen
        assert seen["literal"], "the wall should show the names, as text"
        assert errors == []
    finally:
        context.close()
