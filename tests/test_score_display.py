"""Scores a leader believes: charts of scores on the score's whole scale with 100 (on target)
marked, capped attainments labelled as capped, the indicator heat map in rank order, rank moves
over the same population of streets with the score change beside them."""

from __future__ import annotations

from datetime import date

import drops
import pyarrow as pa
import pytest

from callback_support import views  # noqa: F401 - fixture
from cockpit.db import Database
from cockpit.ingest import cli_ingest
from cockpit.settings import get_settings
from cockpit.web.catalog import CatalogHolder
from cockpit.web.views import Views


def test_the_area_average_chart_uses_the_whole_scale_and_marks_on_target(views):
    fig = views.render(views.panel("county_scores"), views.resolve("", "/rankings")).value
    assert fig["layout"]["xaxis"]["range"] == [0, 150]
    (line,) = fig["layout"]["shapes"]
    assert line["x0"] == line["x1"] == 100
    assert fig["layout"]["annotations"][0]["text"] == "100 = 达标"
    scores = [x for t in fig["data"] for x in t["x"]]
    assert scores and all(0 <= s <= 150 for s in scores)


def test_the_heat_map_lists_streets_in_rank_order(views):
    res = views.resolve("", "/rankings")
    ranking, _ = views.data(views.panel("ranking_full"), res)
    fig = views.render(views.panel("indicator_breakdown"), res).value
    streets = fig["data"][0]["y"]
    unvetoed = ranking[ranking.veto == ""].head(20)
    assert streets == [f"{r}. {s}" for r, s in zip(unvetoed["rank"], unvetoed["street"])]
    # Indicators by weight, the heaviest first.
    assert fig["data"][0]["x"][:3] == ["办结率", "按期办结率", "满意率"]


def test_a_street_profile_shows_actual_target_and_capped_attainment(views):
    res = views.resolve("?street=330102001", "/street")
    df, _ = views.data(views.panel("street_indicators"), res)
    assert {"actual", "unit", "target", "attainment", "capped", "points"} <= set(df.columns)
    hours = df[df.indicator == "平均处理时长"].iloc[0]
    assert hours.unit == "小时" and hours.target.startswith("≤ ")
    assert abs(hours.attainment - min(48.0 / hours.actual, 1.5)) < 1e-9
    # Attainment above 150 % is counted as 150 % and says so, with its real value.
    for row in df.itertuples():
        assert row.attainment <= 1.5 + 1e-12
    # The points add up to the composite score.
    score, _ = views.data(views.panel("street_score"), res)
    assert abs(df.points.sum() - score.value[0]) < 1e-6


def test_a_capped_attainment_is_labelled(views):
    res = views.resolve("", "/rankings")  # every street of the province
    from cockpit.query import run_sql
    sql = views.panel("street_indicators").spec.sql.replace("s.street_code = $street and ", "")
    df = run_sql(sql, res.ctx)
    capped = df[df.capped != ""]
    assert not capped.empty and (capped.attainment == 1.5).all()
    assert capped.capped.str.match(r"^封顶（实为\d+%）$").all()


@pytest.fixture()
def joining_views(tmp_path, use_store):
    """Three streets assessed in October, a fourth joins in November at the top."""
    metrics = drops.street_metrics().to_pylist()
    metrics = [r for r in metrics if not (r["period"] == date(2026, 10, 1) and r["street_code"] == "330106002")]
    for r in metrics:
        if r["street_code"] == "330106002":
            r["value"] = {"closure_rate": 99.0, "satisfaction": 99.0, "response_hours": 10.0}[r["indicator"]]
    table = pa.Table.from_pylist(metrics, schema=drops.street_metrics().schema)
    vetoes = drops.street_vetoes().slice(0, 0)
    drop = drops.write_drop(tmp_path / "drop", street_metrics=table, street_vetoes=vetoes)
    store = tmp_path / "store"
    assert cli_ingest(drop, store) == 0
    use_store(store, COCKPIT_CACHE_TYPE="NullCache")
    return Views(CatalogHolder(get_settings().layouts), Database(store), get_settings())


def test_rank_moves_compare_the_same_streets(joining_views):
    v = joining_views
    for pid in ("ranking_full", "ranking_streets"):
        df, _ = v.data(v.panel(pid), v.resolve("", "/rankings"))
        df = df.set_index("street")
        # The newcomer tops November; it has no move, and pushes no one else down.
        assert df.loc["西溪街道", "rank"] == 1 and df["change"].isna()["西溪街道"], pid
        assert (df.drop("西溪街道")["change"] == 0).all(), (pid, df["change"].to_dict())
        # The score change in points is shown beside the move.
        assert df.drop("西溪街道")["score_change"].notna().all()
