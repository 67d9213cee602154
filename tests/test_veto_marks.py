"""A one-vote veto (一票否决) is marked wherever the street appears: its profile, the rankings,
the map's hover label (the street itself, or the area holding it)."""

from __future__ import annotations

import pandas as pd

from callback_support import views  # noqa: F401 - fixture
from cockpit.query import run_sql
from cockpit.visuals import kpi
from cockpit.visuals.base import RenderContext


def _vetoed(views) -> tuple[str, str, str]:
    """(street, its county, the reason) of a street vetoed in the month the pages show."""
    res = views.resolve("", "/")
    rows = run_sql("select street_code, reason from street_vetoes_scoped where period = $score_period "
                   "order by street_code", res.ctx)
    assert not rows.empty, "the demo has a veto in its latest month"
    street, reason = rows.iloc[0]
    return street, res.regions.get(street).parent, reason


def test_the_street_profile_marks_the_veto(views):
    street, _, reason = _vetoed(views)
    fig = views.render(views.panel("street_score"), views.resolve(f"?street={street}", "/street")).value
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    assert f"<b>一票否决：{reason}</b>" in notes
    en = views.render(views.panel("street_score"), views.resolve(f"?street={street}&lang=en", "/street")).value
    assert any(a["text"].startswith("<b>Vetoed: ") for a in en["layout"]["annotations"])
    wall = views.render(views.panel("street_score"), views.resolve(f"?street={street}", "/street"), wall=True).value
    assert f"一票否决：{reason}" in str(wall)
    # A street not vetoed carries no mark.
    res = views.resolve("", "/street")
    vetoed = set(run_sql("select street_code from street_vetoes_scoped where period = $score_period", views.resolve("", "/").ctx).street_code)
    other = next(s for s in res.regions.streets_under(res.root) if s not in vetoed)
    plain_fig = views.render(views.panel("street_score"), views.resolve(f"?street={other}", "/street")).value
    assert not [a for a in plain_fig["layout"].get("annotations", []) if "否决" in a["text"]]


def test_the_rankings_mark_the_veto(views):
    street, county, reason = _vetoed(views)
    name = views.resolve("", "/").regions.get(street).label("zh")
    for pid, mark in (("ranking_full", reason), ("ranking_streets", f"否决：{reason}")):
        df, _ = views.data(views.panel(pid), views.resolve(f"?region={county}", "/rankings"))
        assert df.set_index("street").loc[name, "veto"] == mark, pid
        # Ranked last, below every street not vetoed.
        assert df.iloc[-1]["street"] == name


def test_the_map_hover_marks_the_veto(views):
    street, county, reason = _vetoed(views)
    fig = views.render(views.panel("map_requests"), views.resolve(f"?region={county}", "/")).value
    trace = fig["data"][1]
    text = dict(zip(trace["locations"], trace["text"]))
    assert text[street].endswith(f"<br>⚠ 一票否决：{reason}")
    assert not any("否决" in t for code, t in text.items() if code != street)
    # One level up, the county's label says how many of its streets are vetoed.
    city = views.resolve("", "/").regions.get(county).parent
    fig = views.render(views.panel("map_requests"), views.resolve(f"?region={city}", "/")).value
    text = dict(zip(fig["data"][1]["locations"], fig["data"][1]["text"]))
    assert "⚠ 一票否决街道 1 个" in text[county] or "⚠ 一票否决街道 2 个" in text[county]


def test_a_kpi_note_is_escaped_and_optional():
    opts = kpi.KpiOptions(value="v", note="n")
    fig = kpi.render(pd.DataFrame({"v": [1.0], "n": ["<a href=x>否决</a>"]}), opts, RenderContext(panel_id="p"))
    assert fig["layout"]["annotations"][0]["text"] == "<b>&lt;a href=x&gt;否决&lt;/a&gt;</b>"
    fig = kpi.render(pd.DataFrame({"v": [1.0], "n": [None]}), opts, RenderContext(panel_id="p"))
    assert not fig["layout"].get("annotations")
