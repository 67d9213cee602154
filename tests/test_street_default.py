"""The street profile opens on a street chosen for a reason when the URL names none: the
lowest-ranked street of the selected region in the latest assessed month, and says so."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from callback_support import views  # noqa: F401 - fixture

from cockpit.db import Database
from cockpit.filters import FilterState, resolve
from cockpit.web import shell


def _scores(store) -> pd.DataFrame:
    live = (store / "CURRENT").read_text().strip()
    return pd.read_parquet(store / "snapshots" / live / "rollups" / "street_scores.parquet")


def _worst(scores: pd.DataFrame, streets: list[str], month: date) -> str:
    rows = scores[(scores.period == pd.Timestamp(month).date()) & scores.street_code.isin(streets)
                  & scores.score.notna()]
    rows = rows.assign(vetoed=rows.veto.fillna(False)).sort_values(["vetoed", "score", "street_code"],
                                                                    ascending=[False, True, True])
    return rows.street_code.iloc[0]


@pytest.mark.parametrize("region", [None, "330100", "330106"])
def test_the_lowest_ranked_street_of_the_latest_assessed_month(demo_store, use_store, region):
    use_store(demo_store)
    db = Database(demo_store)
    res = resolve(FilterState(region=region), db, None, street_page=True)
    scores = _scores(demo_store)
    under = res.regions.streets_under(region or res.root)
    assessed = sorted({p for p in scores.period if p <= res.ctx.period_start})[-1]
    assert res.street_basis == assessed
    assert res.ctx.street == _worst(scores, under, assessed)
    assert res.ctx.street != under[0] or len(under) == 1  # not simply the first street


def test_a_month_not_yet_assessed_uses_the_latest_assessed_one(demo_store, use_store):
    use_store(demo_store)
    db = Database(demo_store)
    scores = _scores(demo_store)
    latest = max(scores.period)
    res = resolve(FilterState(), db, None, street_page=True)
    periods = [p for p in res.periods if date.fromisoformat(p + "-01") > latest]
    if periods:  # the demo's current month may not be assessed yet
        later = resolve(FilterState(period=periods[0]), db, None, street_page=True)
        assert later.street_basis == latest
    earliest = resolve(FilterState(period=res.periods[-1]), db, None, street_page=True)
    first_assessed = min(scores.period)
    if date.fromisoformat(res.periods[-1] + "-01") < first_assessed:
        assert earliest.street_basis is None  # nothing assessed yet: the first street, no reason given
        assert earliest.ctx.street == earliest.regions.streets_under(earliest.root)[0]


def test_a_street_the_url_names_is_kept_and_the_picker_says_why_otherwise(demo_store, use_store):
    use_store(demo_store)
    db = Database(demo_store)
    chosen = resolve(FilterState(), db, None, street_page=True)
    label = next(o["label"] for o in shell.street_options(chosen, "zh") if o["value"] == chosen.ctx.street)
    assert label.endswith(f"（默认：{chosen.street_basis:%Y-%m} 考核排名末位）")
    english = resolve(FilterState(lang="en"), db, None, street_page=True)
    label = next(o["label"] for o in shell.street_options(english, "en") if o["value"] == english.ctx.street)
    assert label.endswith(f" (default: lowest-ranked in {english.street_basis:%Y-%m})")
    other = next(c for c in chosen.regions.streets_under(chosen.root) if c != chosen.ctx.street)
    named = resolve(FilterState(street=other), db, None, street_page=True)
    assert named.ctx.street == other and named.street_basis is None
    assert all("默认" not in o["label"] for o in shell.street_options(named, "zh"))
