"""Cross-filters on every panel: each panel of a page either follows the page's filter or says
that it does not (checked against what its query really returns), the selected bar stands out,
and Sankey nodes filter the page."""

from __future__ import annotations

import pytest
from callback_support import views  # noqa: F401 - fixture

from cockpit.filters import FilterState, parse_query
from cockpit.visuals.registry import get_visual

def _sources(catalog, page):
    """(field, column, panel) of every cross-filter a panel of the page sets."""
    return [(catalog.panels[p].spec.cross_filter, catalog.panels[p]) for p in page.page.names()
            if catalog.panels[p].spec.cross_filter is not None]


def _busiest_value(views, panel, column) -> str:
    res = views.resolve("", page_path(views, panel))
    df, _ = views.data(panel, res)
    return views.untranslate(str(df[column].iloc[0]))


def page_path(views, panel):
    return next(p.path for p in views.holder.get().pages if panel.spec.id in p.page.names())


def test_every_panel_follows_a_filter_or_says_it_does_not(views):
    catalog = views.holder.get()
    checked = 0
    for page in catalog.pages:
        for xf, source in _sources(catalog, page):
            value = _busiest_value(views, source, xf.column)
            plain = views.resolve("", page.path)
            filtered = views.resolve(FilterState(filters={xf.field: value}).to_query(), page.path)
            for pid in page.page.names():
                panel = catalog.panels[pid]
                if panel is source or (panel.spec.cross_filter and panel.spec.cross_filter.field == xf.field):
                    continue  # the panel setting the filter keeps every value (and highlights the chosen one)
                ignored = xf.field in views.ignored_filters(panel, filtered)
                before, extra_before = views.data(panel, plain)
                after, extra_after = views.data(panel, filtered)
                if before.empty and after.empty:
                    continue  # nothing to show either way: nothing tells whether it follows
                same = before.equals(after) and all(extra_before[k].equals(extra_after[k]) for k in extra_before)
                if ignored:
                    assert same, f"{page.id}/{pid} says it ignores {xf.field}={value} but changes with it"
                elif page.template != "street":  # one street may well have no request of the value
                    assert not same, f"{page.id}/{pid} shows no note but does not change with {xf.field}={value}"
                stamp = views.stamp(filtered, panel)
                if ignored:
                    assert isinstance(stamp, list) and "不随" in stamp[1].children, (pid, stamp)
                else:
                    assert isinstance(stamp, str), (pid, stamp)
                checked += 1
    assert checked > 20


def test_the_early_warning_list_follows_the_category_filter(views):
    panel = views.holder.get().panels["early_warning"]
    res = views.resolve("?f_category=城市管理&f_channel=浙里办", "/requests")
    assert views.ignored_filters(panel, res) == ["channel"]  # category followed, channel said
    stamp = views.stamp(res, panel)
    assert stamp[1].children == "· 不随渠道筛选"


def test_the_selected_bar_is_highlighted(views):
    catalog = views.holder.get()
    panel = catalog.panels["category_bar"]
    plain = views.render(panel, views.resolve("", "/requests")).value
    assert all("selectedpoints" not in trace for trace in plain["data"])
    first = plain["data"][0]["y"][2]  # a category as shown (horizontal bars: on y)
    value = views.untranslate(first)
    shown = views.render(panel, views.resolve(f"?f_category={value}", "/requests")).value
    for trace in shown["data"]:
        assert trace["selectedpoints"] == [trace["y"].index(first)]
        assert trace["unselected"]["marker"]["opacity"] < 1
    # English: the shown name differs, the same bar is chosen
    english = views.render(panel, views.resolve(f"?f_category={value}&lang=en", "/requests")).value
    labels = english["data"][0]["y"]
    assert english["data"][0]["selectedpoints"] == [labels.index(english["data"][0]["y"][2])]


def test_sankey_nodes_filter_the_page(views):
    from cockpit.web.navigation import apply_click

    catalog = views.holder.get()
    panel = catalog.panels["sankey_requests"]
    for lang in ("zh", "en"):
        fig = views.render(panel, views.resolve(f"?lang={lang}", "/requests")).value
        node = fig["data"][0]["node"]
        positions = node["customdata"]
        assert positions[0] == 0 and max(positions) == 3  # channel → level → department → outcome
        level = positions.index(1)
        state = parse_query(f"?lang={lang}")
        after = apply_click(views, state, "sankey_requests", {"points": [
            {"label": node["label"][level], "customdata": 1, "pointNumber": level}]})
        value = after.filters["handling_level"]
        assert value in {"street", "county", "city", "province"}, value  # the data value, not the shown name
        again = apply_click(views, after, "sankey_requests", {"points": [
            {"label": node["label"][level], "customdata": 1, "pointNumber": level}]})
        assert "handling_level" not in again.filters
        # a department node (position 2) has no filter field; a link click changes nothing
        dept = positions.index(2)
        assert apply_click(views, state, "sankey_requests", {"points": [
            {"label": node["label"][dept], "customdata": 2}]}).filters == {}
        assert apply_click(views, state, "sankey_requests", {"points": [
            {"label": "x", "source": {}, "target": {}}]}).filters == {}


def test_node_filters_must_name_cross_filter_fields():
    from pydantic import ValidationError

    options = get_visual("sankey").options
    assert options(node_filters=["channel", ""]).node_filters == ["channel", None]
    with pytest.raises(ValidationError, match="'dept' is not a cross-filter field"):
        options(node_filters=["dept"])
