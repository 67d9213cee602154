"""Every headline figure opens its cases, and the list's numbers equal the figure's.

For each shipped panel with `[cases]`, the figure's own result (its panel SQL through the query
layer) is compared with its case list on the store with planted problems, as the panel declares
(`figure`: the count, `figure_counted`: the rows counting in a rate's numerator, `figure_rate`:
counted ÷ count, `figure_total`: the sum of `total`), for the whole list and for a click on each of
its points (a bar and its series, a heat-map cell, a map region, a table row, a month), on both
sides (the comparison's list where declared). Real DuckDB, the real layouts and the real app."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import quote

import pytest

from cockpit.settings import get_settings
from cockpit.specs.loader import load_catalog
from quality_support import S1
from test_cases import PERIOD, figure
from trace_support import case_count, client, planted, table_rows  # noqa: F401 (fixtures)

CATALOG = load_catalog(get_settings().layouts)
DECLARED = sorted(pid for pid, p in CATALOG.panels.items() if p.spec.cases is not None)
#: Where each panel is looked at: the whole tree, a city (its map shows counties), a street page.
STATES = {"street_score": {"street": S1}, "street_officials": {"street": S1}, "street_indicators": {"street": S1}}


def _query(state: dict) -> str:
    return "&".join(f"{k}={quote(str(v))}" for k, v in {"period": PERIOD, **state}.items())


def _point(panel, row) -> dict:
    """The plotly point (or table row) a click on this result row sends, as the browser builds it."""
    kind, o, match = panel.spec.kind, panel.options, panel.spec.cases.match
    if kind in ("ranking_table", "light_table"):  # AG Grid or the light table: the clicked row's fields
        return {"row": {k: _plain(row[k]) for k in match}}
    if kind == "choropleth":
        return {"location": row[o.location], "customdata": row[o.location]}
    if kind == "heatmap":
        return {"x": _plain(row[o.x]), "y": _plain(row[o.y])}
    if kind == "bar":
        point = {("y" if o.horizontal else "x"): _plain(row[o.x])}
        if o.series:
            point["name"] = _plain(row[o.series])
        return point
    return {"x": _plain(row[o.x])}


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def _numbers(client, pid: str, query: str) -> tuple[int, int | None, float | None, str]:
    html = client.get(f"/cases/{pid}?{query}&n=100").get_data(as_text=True)
    counted = re.search(r'id="case-counted" data-count="(\d+)"', html)
    total = re.search(r'id="case-total" data-total="([^"]*)"', html)
    return (case_count(html), int(counted.group(1)) if counted else None,
            float(total.group(1)) if total and total.group(1) else None, html)


def _check(declared, row, numbers, where: str) -> int:
    """Assert each declared figure equals the list's number; returns how many were checked."""
    count, counted, total, _ = numbers
    checked = 0
    if declared.figure:
        assert count == int(row[declared.figure]), where
        checked += 1
    if declared.figure_counted:
        assert counted == int(row[declared.figure_counted]), where
        checked += 1
    value = row[declared.figure_rate] if declared.figure_rate else None
    if value is not None and not (isinstance(value, float) and math.isnan(value)):
        assert count > 0 and counted / count == pytest.approx(float(value)), where
        checked += 1
    value = row[declared.figure_total] if declared.figure_total else None
    if value is not None and not (isinstance(value, float) and math.isnan(value)):
        assert total == pytest.approx(float(value), abs=0.051), where  # the figure rounds to 0.1
        checked += 1
    return checked


@pytest.mark.parametrize("pid", DECLARED)
def test_every_declared_figure_equals_its_cases(client, planted, pid):
    panel = CATALOG.panels[pid]
    spec = panel.spec.cases
    state = STATES.get(pid, {"region": "330100"} if spec.match else {})
    df = figure(planted, pid, **state)
    query = _query(state)
    sides = [("", spec)] + ([("&side=compare", spec.compare)] if spec.compare else [])
    checked = 0
    if not spec.match or len(df) == 1:
        assert len(df) == 1 or not (spec.figure_columns() | (spec.compare.figure_columns() if spec.compare else set()))
        for side, declared in sides:
            if len(df):
                checked += _check(declared, df.iloc[0], _numbers(client, pid, query + side), f"{pid}{side}")
    if spec.match and panel.spec.kind != "sankey":  # a Sankey's rows are links: test_sankey_…
        for _, row in df.iterrows():
            pt = quote(json.dumps(_point(panel, row), ensure_ascii=False, default=str))
            numbers = _numbers(client, pid, f"{query}&pt={pt}")
            checked += _check(spec, row, numbers, f"{pid} {dict(row)}")
            assert numbers[3].count("所点") >= 1  # the clicked point is named on the list
    declared = spec.figure_columns() | (spec.compare.figure_columns() if spec.compare else set())
    if declared and len(df):
        assert checked > 0, f"{pid}: no figure was compared (the planted drop gives it nothing?)"


def test_growth_is_this_periods_cases_over_last_years(client, planted):
    # 2026-10 has requests in the drop, 2025-10 none; 2026-11 vs 2025-11 likewise: both sides checked
    # against the figure's own parts (its value is NULL when last year has no requests).
    for period in ("2026-11", "2026-10"):
        value = figure(planted, "kpi_growth", period=period)["value"].iloc[0]
        now = _numbers(client, "kpi_growth", f"period={period}")[0]
        before, _, _, html = _numbers(client, "kpi_growth", f"period={period}&side=compare")
        last_year = f"{int(period[:4]) - 1}{period[4:]}-01"
        assert f'id="window">对比期: {last_year} – ' in html  # the same days last year
        assert now > 0
        if value is None or value != value:
            assert before == 0
        else:
            assert now / before - 1 == pytest.approx(float(value))


def test_a_ranking_row_opens_that_streets_indicator_values(client, planted):
    df = figure(planted, "ranking_streets")
    assert len(df) >= 2
    for _, row in df.iterrows():
        pt = quote(json.dumps({"row": {"street": row["street"], "county": row["county"], "rank": str(row["rank"])}},
                              ensure_ascii=False))
        count, _, total, html = _numbers(client, "ranking_streets", f"{_query({})}&pt={pt}")
        rows = table_rows(html)
        assert count == len(rows) and {r[0] for r in rows} == {row["street"]}
        assert 'id="assessed">考核月份: 2026-11<' in html  # the month the score is of
        assert {r[2] for r in rows} >= {"诉求按期办结率"} or len(rows) >= 1
        if row["score"] == row["score"]:  # a street without a score (no metrics) has no sum either
            assert total == pytest.approx(float(row["score"]), abs=0.051)
        vetoed = bool(row["veto"])
        assert all((r[9] == "是") == vetoed for r in rows), row["street"]


def test_a_stacked_bar_segment_opens_only_that_segment(client, planted):
    df = figure(planted, "iterations_by_runway")
    assert len(df) >= 2
    for _, row in df.iterrows():
        for i, column in enumerate(("iterated", "not_iterated")):
            pt = quote(json.dumps({"x": row["runway"], "y": int(row[column]), "curveNumber": i}, ensure_ascii=False))
            count, counted, _, _ = _numbers(client, "iterations_by_runway", f"{_query({})}&pt={pt}")
            assert count == int(row[column]), (row["runway"], column)
            assert counted == (count if column == "iterated" else 0)
    # A status segment of the lists' bars: that runway × status only.
    items = figure(planted, "lists_by_runway")
    assert items["status_name"].nunique() >= 2
    for _, row in items.iterrows():
        pt = quote(json.dumps({"x": row["runway"], "name": row["status_name"]}, ensure_ascii=False))
        count, _, _, html = _numbers(client, "lists_by_runway", f"{_query({})}&pt={pt}")
        assert count == int(row["items"]), (row["runway"], row["status_name"])


def test_a_comparison_bar_opens_the_comparisons_cases(client, planted):
    df = figure(planted, "category_bar")
    row = df[df["previous"] > 0].iloc[0]
    pt = quote(json.dumps({"y": row["category"], "x": int(row["previous"]), "curveNumber": 1}, ensure_ascii=False))
    count, _, _, html = _numbers(client, "category_bar", f"{_query({})}&pt={pt}")
    assert count == int(row["previous"]) and 'id="side-compare"' in html


def test_every_shipped_panel_has_cases_or_says_why_not(client):
    for pid, panel in CATALOG.panels.items():
        assert (panel.spec.cases is None) != (panel.spec.no_cases is None), pid
    resp = client.get("/cases/whatif_weights?lang=en")
    assert resp.status_code == 404 and "what-if weights are the viewer&#x27;s own" in resp.get_data(as_text=True)


def test_a_rates_list_names_the_numerator_in_english(client):
    html = client.get(f"/cases/kpi_closure?{_query({})}&lang=en").get_data(as_text=True)
    assert "<th><a" in html and ">Closed ▲<" not in html  # the counted column has its own label
    assert re.search(r"\d+ of them counted \(\d+\.\d%\)", html)
    assert "Comparison&#x27;s cases" in html and "本期明细" not in html


def test_a_sankey_link_or_node_opens_its_requests(client, planted):
    from cockpit.visuals.sankey import build, positions

    panel = CATALOG.panels["flow_overview"]
    df = figure(planted, "flow_overview")
    labels, src, tgt, vals = build(df, panel.options)
    at = positions(len(labels), src, tgt)
    assert len(vals) >= 4
    for s_, t_, v in zip(src, tgt, vals):
        pt = {"source": labels[s_], "target": labels[t_], "source_at": at[s_], "target_at": at[t_]}
        count = _numbers(client, "flow_overview", f"{_query({})}&pt={quote(json.dumps(pt, ensure_ascii=False))}")[0]
        assert count == v, pt
    # A node: every link into it (an outcome) or out of it (a channel).
    for i, label in enumerate(labels):
        into = sum(v for t_, v in zip(tgt, vals) if t_ == i)
        out = sum(v for s_, v in zip(src, vals) if s_ == i)
        pt = {"label": label, "customdata": at[i]}
        count = _numbers(client, "flow_overview", f"{_query({})}&pt={quote(json.dumps(pt, ensure_ascii=False))}")[0]
        assert count == max(into, out), label


def test_a_heat_map_row_of_ranked_streets_opens_that_street_in_both_languages(client, planted):
    df = figure(planted, "indicator_breakdown")
    assert df["street"].nunique() >= 2
    for lang in ("zh", "en"):
        for street in df["street"].unique():
            shown = street
            if lang == "en":  # the heat map shows its rows translated: "1. Qing Bo Jie Dao"
                from cockpit.text import romanized
                rank, _, name = street.partition(". ")
                shown = f"{rank}. {romanized(name)}"
            pt = quote(json.dumps({"x": "x", "y": shown}, ensure_ascii=False))
            count, _, total, html = _numbers(client, "indicator_breakdown", f"{_query({})}&lang={lang}&pt={pt}")
            assert count == int((df["street"] == street).sum()), (lang, street)
            assert total is not None
