"""Street assessments are published after a month ends: when the chosen month has no street
metrics yet, the ranking panels and the street profile show the latest assessed month and name
it, instead of empty panels. On a city-rooted drop whose assessments stop at October."""

from __future__ import annotations

from datetime import date

import drops
import pyarrow.compute as pc
import pytest

from cockpit.db import Database
from cockpit.filters import NO_COMPARISON
from cockpit.settings import get_settings
from cockpit.web import callbacks as cb
from cockpit.web.catalog import CatalogHolder
from cockpit.web.views import Views


@pytest.fixture()
def october_views(tmp_path, use_store):
    """A city at the top; street metrics and vetoes only for October 2026; as_of 2026-11-25."""
    metrics = drops.street_metrics()
    metrics = metrics.filter(pc.equal(metrics["period"], date(2026, 10, 1)))
    vetoes = drops.with_value(drops.street_vetoes(), "period", 0, date(2026, 10, 1))
    store = drops.city_store(tmp_path, street_metrics=metrics, street_vetoes=vetoes)
    use_store(store, COCKPIT_CACHE_TYPE="NullCache")
    return Views(CatalogHolder(get_settings().layouts), Database(store), get_settings())


def _panel(views, pid, search="", path="/rankings"):
    res = views.resolve(search, path)
    panel = views.panel(pid)
    df, _ = views.data(panel, res)
    return res, panel, df


def test_rankings_show_the_latest_assessed_month_and_name_it(october_views):
    v = october_views
    res, panel, df = _panel(v, "ranking_full")
    assert res.ctx.period_start == date(2026, 11, 1) and res.ctx.score_period == date(2026, 10, 1)
    assert len(df) == 4 and list(df["rank"]) == [1, 2, 3, 4]
    # The vetoed street ranks last, with its reason.
    assert df.iloc[-1]["veto"] == "安全生产事故"
    assert "考核月份 2026-10（2026-11 尚未考核）" in v.stamp(res, panel)
    res_en = v.resolve("?lang=en", "/rankings")
    assert "assessed month 2026-10 (2026-11 not yet assessed)" in v.stamp(res_en, panel)
    # Through the panel callback too.
    out = cb._panel_outputs(v, "", "/rankings", None, {"panel": "ranking_full"}, None, failed=None)
    assert "2026-10" in out[2] and out[3] is None
    # The other panels over scores are filled as well.
    for pid in ("ranking_streets", "county_scores", "indicator_breakdown", "kpi_vetoed"):
        _, _, frame = _panel(v, pid)
        assert not frame.empty, pid
    _, _, vetoed = _panel(v, "kpi_vetoed")
    assert vetoed.value[0] == 1  # October's veto, not November's (unassessed) zero


def test_the_street_profile_shows_the_latest_assessed_month(october_views):
    v = october_views
    for pid in ("street_indicators", "street_score"):
        res, panel, df = _panel(v, pid, "?street=330102001", "/street")
        assert not df.empty and df.iloc[0].notna().any(), pid
        assert "2026-10" in v.stamp(res, panel)


def test_an_assessed_month_names_nothing_and_a_month_before_any_says_so(october_views):
    v = october_views
    res, panel, df = _panel(v, "ranking_full", "?period=2026-10")
    assert res.ctx.score_period == date(2026, 10, 1) and "考核月份" not in v.stamp(res, panel)
    res, panel, df = _panel(v, "ranking_full", "?period=2026-09")
    assert res.ctx.score_period == NO_COMPARISON and df.empty
    assert "2026-09 及以前尚无考核数据" in v.stamp(res, panel)
    # A panel that does not show assessments says nothing of them.
    res = v.resolve("", "/")
    assert "考核" not in v.stamp(res, v.panel("kpi_requests"))
