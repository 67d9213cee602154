"""Street scores: hand-worked scores, ranks, veto placement, what-if weights, and properties.

Every expected number below is worked out by hand from docs/methods.md (the arithmetic is in
the comments); none is copied from the code's output.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cockpit.analytics import scores
from analytics_support import tree_connection
from cockpit.analytics.scores import SCORE_CAP, indicator_scores, street_scores
from cockpit.ingest.rollups import build_street_scores

OCT = dt.date(2026, 10, 1)
SEP = dt.date(2026, 9, 1)

# Province 330000 > city 330100 > counties A 330102, B 330105 > streets.
REGIONS = [
    ("330000", "浙江省", "province", None),
    ("330100", "杭州市", "city", "330000"),
    ("330102", "A区", "county", "330100"),
    ("330105", "B区", "county", "330100"),
    ("330102001", "A1街道", "street", "330102"),
    ("330102002", "A2街道", "street", "330102"),
    ("330102003", "A3街道", "street", "330102"),
    ("330105001", "B1街道", "street", "330105"),
    ("330105002", "B2街道", "street", "330105"),
    ("330105003", "B3街道", "street", "330105"),
]

# sat: higher is better, target 90, weight 2; close: higher, target 95, weight 1;
# complaints: lower is better, target 10, weight 1.
INDICATORS = [
    ("sat", "满意率", "%", True, 90.0, 2.0),
    ("close", "办结率", "%", True, 95.0, 1.0),
    ("complaints", "投诉数", "件", False, 10.0, 1.0),
]

METRICS = [
    # October
    (OCT, "330102001", "sat", 99.0), (OCT, "330102001", "close", 95.0),
    (OCT, "330102001", "complaints", 5.0),
    (OCT, "330102002", "sat", 72.0), (OCT, "330102002", "close", 190.0),
    (OCT, "330102002", "complaints", 0.0),
    (OCT, "330102003", "sat", 90.0), (OCT, "330102003", "complaints", 20.0),  # close missing
    (OCT, "330105001", "sat", 81.0), (OCT, "330105001", "close", 114.0),
    (OCT, "330105001", "complaints", 10.0),
    (OCT, "330105002", "sat", 45.0), (OCT, "330105002", "close", 47.5),
    (OCT, "330105002", "complaints", 40.0),
    (OCT, "330105003", "sat", 90.0),  # new street: no September row at all
    # September
    (SEP, "330102001", "sat", 90.0), (SEP, "330102001", "close", 95.0),
    (SEP, "330102001", "complaints", 10.0),
    (SEP, "330102002", "sat", 99.0), (SEP, "330102002", "close", 95.0),
    (SEP, "330102002", "complaints", 5.0),
    (SEP, "330102003", "sat", 90.0), (SEP, "330102003", "close", 95.0),
    (SEP, "330102003", "complaints", 10.0),
    (SEP, "330105001", "sat", 45.0), (SEP, "330105001", "close", 47.5),
    (SEP, "330105001", "complaints", 40.0),
    (SEP, "330105002", "sat", 81.0), (SEP, "330105002", "close", 114.0),
    (SEP, "330105002", "complaints", 10.0),
]

VETOES = [(OCT, "330105001", "重大安全事故"), (OCT, "330105001", "信访积案")]




def make_con(regions=REGIONS, indicators=INDICATORS, metrics=METRICS, vetoes=VETOES):
    con = tree_connection(regions)
    con.execute("create table indicators (indicator varchar, name varchar, unit varchar, "
                "higher_is_better boolean, target double, weight double)")
    con.executemany("insert into indicators values (?, ?, ?, ?, ?, ?)", indicators)
    con.execute("create table street_metrics (period date, street_code varchar, indicator varchar, value double)")
    if metrics:
        con.executemany("insert into street_metrics values (?, ?, ?, ?)", metrics)
    con.execute("create table street_vetoes (period date, street_code varchar, reason varchar)")
    if vetoes:
        con.executemany("insert into street_vetoes values (?, ?, ?)", vetoes)
    return con


def by_code(df):
    return df.set_index("street_code")


def test_cap_literal_matches_constant():
    # The SQL writes the cap as a literal; the Python constant and the docs must say the same.
    assert SCORE_CAP == 1.5
    assert "1.5" in scores._SCORES_CTES


def test_october_scores_by_hand():
    df = by_code(street_scores(make_con(), OCT))
    # A1: sat 99/90 = 1.1 (w2); close 95/95 = 1.0 (w1); complaints lower-better 10/5 = 2.0 → cap 1.5 (w1)
    #     (2×1.1 + 1×1.0 + 1×1.5) / (2+1+1) = 4.7/4 = 1.175 → 117.5
    assert df.loc["330102001", "score"] == pytest.approx(117.5)
    # A2: sat 72/90 = 0.8; close 190/95 = 2.0 → 1.5; complaints 0 (lower-better, zero) → cap 1.5
    #     (1.6 + 1.5 + 1.5) / 4 = 1.15 → 115
    assert df.loc["330102002", "score"] == pytest.approx(115.0)
    # A3: close missing → left out of numerator and denominator.
    #     sat 1.0 (w2), complaints 10/20 = 0.5 (w1): (2.0 + 0.5) / 3 = 0.8333… → 83.333…
    assert df.loc["330102003", "score"] == pytest.approx(250 / 3)
    assert df.loc["330102003", "n_indicators"] == 2
    # B1: sat 0.9, close 114/95 = 1.2, complaints 10/10 = 1.0: (1.8 + 1.2 + 1.0)/4 = 1.0 → 100 (vetoed)
    assert df.loc["330105001", "score"] == pytest.approx(100.0)
    # B2: sat 0.5, close 0.5, complaints 10/40 = 0.25: (1.0 + 0.5 + 0.25)/4 = 0.4375 → 43.75
    assert df.loc["330105002", "score"] == pytest.approx(43.75)
    # B3: only sat 90/90 = 1.0 → 100
    assert df.loc["330105003", "score"] == pytest.approx(100.0)


def test_october_ranks_veto_and_changes_by_hand():
    df = by_code(street_scores(make_con(), OCT))
    # County A: A1 117.5 > A2 115 > A3 83.3.
    # County B: B3 100 > B2 43.75 (unvetoed), then B1 (vetoed, though its 100 beats B2).
    assert df["rank"].to_dict() == {"330102001": 1, "330102002": 2, "330102003": 3,
                                    "330105003": 1, "330105002": 2, "330105001": 3}
    # Whole tree: 117.5, 115, 100 (B3), 83.3, 43.75, then vetoed B1 last.
    assert df["rank_all"].to_dict() == {"330102001": 1, "330102002": 2, "330105003": 3,
                                        "330102003": 4, "330105002": 5, "330105001": 6}
    assert list(street_scores(make_con(), OCT)["street_code"]) == [
        "330102001", "330102002", "330105003", "330102003", "330105002", "330105001"]
    # Both reasons shown, sorted by text: 信 (U+4FE1) before 重 (U+91CD).
    assert bool(df.loc["330105001", "veto"]) is True
    assert df.loc["330105001", "veto_reason"] == "信访积案; 重大安全事故"
    assert not df.drop(index="330105001")["veto"].any()
    # September by hand: A1 (1,1,1) → 100; A2 (1.1, 1.0, 10/5 → 1.5) → 117.5; A3 → 100;
    # B1 (0.5, 0.5, 0.25) → 43.75; B2 (0.9, 1.2, 1.0) → 100.
    # Sep within A: A2 1, then the tie A1/A3 at 100 broken by code: A1 2, A3 3.
    # Sep within B: B2 1, B1 2. Sep all: A2 1, A1 2, A3 3, B2 4 (ties by code), B1 5.
    # Change = previous − current:
    #   A1: within 2−1 = +1, all 2−1 = +1;   A2: 1−2 = −1, 1−2 = −1
    #   A3: 3−3 = 0, all 3−4 = −1;           B2: 1−2 = −1, 4−5 = −1
    #   B1: 2−3 = −1, 5−6 = −1;              B3: no September rank → null
    exp_change = {"330102001": 1, "330102002": -1, "330102003": 0, "330105002": -1,
                  "330105001": -1}
    exp_all_change = {"330102001": 1, "330102002": -1, "330102003": -1, "330105002": -1,
                      "330105001": -1}
    for code, v in exp_change.items():
        assert df.loc[code, "rank_change"] == v, code
        assert df.loc[code, "rank_all_change"] == exp_all_change[code], code
    assert pd.isna(df.loc["330105003", "rank_change"])
    assert pd.isna(df.loc["330105003", "rank_all_change"])


def test_ties_broken_by_street_code():
    df = by_code(street_scores(make_con(), SEP))
    # A1, A3 and B2 all score exactly 100 in September; street_code ascending decides.
    assert [df.loc[c, "rank_all"] for c in ("330102001", "330102003", "330105002")] == [2, 3, 4]
    # September is the first period: no previous → every change is null.
    assert df["rank_change"].isna().all()


def test_region_scope_reranks_within_jurisdiction():
    df = by_code(street_scores(make_con(), OCT, region="330105"))
    assert set(df.index) == {"330105001", "330105002", "330105003"}
    # Within county B only: B3 1, B2 2, B1 (vetoed) 3. September within B: B2 1, B1 2.
    assert df["rank_all"].to_dict() == {"330105003": 1, "330105002": 2, "330105001": 3}
    assert df.loc["330105002", "rank_all_change"] == 1 - 2
    assert df.loc["330105001", "rank_all_change"] == 2 - 3
    # A street as the jurisdiction: just itself.
    one = street_scores(make_con(), OCT, region="330102003")
    assert list(one["street_code"]) == ["330102003"] and one["rank_all"].iloc[0] == 1


def test_what_if_weights():
    w = {"sat": 0, "complaints": 3}  # close keeps its published weight 1
    df = by_code(street_scores(make_con(), OCT, weights=w))
    # A1: (0×1.1 + 1×1.0 + 3×1.5) / (0+1+3) = 5.5/4 = 1.375 → 137.5
    # A2: (0×0.8 + 1×1.5 + 3×1.5) / 4 = 6/4 = 1.5 → 150: A2 now ranks above A1.
    assert df.loc["330102001", "score"] == pytest.approx(137.5)
    assert df.loc["330102002", "score"] == pytest.approx(150.0)
    assert df.loc["330102002", "rank"] == 1 and df.loc["330102001", "rank"] == 2
    # B3 has only sat, now weighted 0: 0/0 → no score; ranks after every scored unvetoed street.
    assert pd.isna(df.loc["330105003", "score"])
    assert df.loc["330105003", "rank"] == 2 and df.loc["330105001", "rank"] == 3
    with pytest.raises(ValueError):
        street_scores(make_con(), OCT, weights={"sat": -1})


def test_indicator_breakdown_adds_up():
    bd = indicator_scores(make_con(), OCT, region="330102")
    a1 = bd[bd.street_code == "330102001"].set_index("indicator")
    # complaints 5 vs target 10, lower is better: ratio 10/5 = 2.0, capped 1.5, contribution
    # 100 × 1 × 1.5 / 4 = 37.5 points; sat 100 × 2 × 1.1 / 4 = 55; close 100 × 1 × 1.0 / 4 = 25.
    assert a1.loc["complaints", "ratio"] == pytest.approx(2.0)
    assert a1.loc["complaints", "capped_ratio"] == pytest.approx(1.5)
    assert a1["contribution"].to_dict() == pytest.approx(
        {"complaints": 37.5, "sat": 55.0, "close": 25.0})
    # A3's missing close shows up with no value and no contribution.
    a3 = bd[bd.street_code == "330102003"].set_index("indicator")
    assert pd.isna(a3.loc["close", "value"]) and pd.isna(a3.loc["close", "contribution"])
    # complaints 20 vs 10 → 0.5 → 100 × 1 × 0.5 / 3 = 16.67 points
    assert a3.loc["complaints", "contribution"] == pytest.approx(50 / 3)
    total = bd.groupby("street_code")["contribution"].sum()
    sc = by_code(street_scores(make_con(), OCT, region="330102"))["score"]
    assert total.to_dict() == pytest.approx(sc.to_dict())


def test_rollup_and_rollup_reranking(tmp_path):
    con = make_con()
    assert build_street_scores(tmp_path, con) == 6 + 5
    out = tmp_path / "rollups" / "street_scores.parquet"
    roll = pd.read_parquet(out)
    assert list(roll.columns) == ["period", "street_code", "parent_code", "score", "rank",
                                  "rank_change", "rank_all", "veto", "veto_reason"]
    assert len(roll) == 6 + 5  # six streets in October, five in September
    con.read_parquet(str(out)).create_view("street_scores")
    from cockpit.analytics import run
    again = run(con, scores.STREET_RANKING_FROM_ROLLUP_SQL, {"period_start": OCT, "region": "330105"})
    direct = street_scores(make_con(), OCT, region="330105")
    cols = ["street_code", "score", "rank", "rank_change", "rank_all", "rank_all_change", "veto"]
    pd.testing.assert_frame_equal(again[cols].reset_index(drop=True),
                                  direct[cols].reset_index(drop=True), check_dtype=False)


# ---------------------------------------------------------------- properties

indicator_st = st.tuples(st.booleans(),                                   # higher_is_better
                         st.floats(0.5, 100, allow_nan=False),            # target
                         st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]))      # weight
value_st = st.one_of(st.none(), st.floats(0, 300, allow_nan=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inds=st.lists(indicator_st, min_size=1, max_size=4), data=st.data())
def test_score_never_falls_when_an_indicator_improves(inds, data):
    names = [f"i{k}" for k in range(len(inds))]
    indicators = [(n, n, "", hib, tgt, w) for n, (hib, tgt, w) in zip(names, inds)]
    values = [data.draw(value_st) for _ in names]
    j = data.draw(st.sampled_from([k for k, v in enumerate(values) if v is not None] or [0]))
    if values[j] is None:
        values[j] = data.draw(st.floats(0, 300, allow_nan=False))
    step = data.draw(st.floats(0, 300, allow_nan=False))
    better = list(values)
    # Improve indicator j in its direction (lower-is-better may go down to 0, never below).
    better[j] = values[j] + step if inds[j][0] else max(values[j] - step, 0.0)

    def score(vals):
        metrics = [(OCT, "330102001", n, v) for n, v in zip(names, vals)]
        df = street_scores(make_con(indicators=indicators, metrics=metrics, vetoes=[]), OCT)
        s = df.loc[df.street_code == "330102001", "score"]
        return None if s.empty or pd.isna(s.iloc[0]) else float(s.iloc[0])

    before, after = score(values), score(better)
    assert (before is None) == (after is None)  # the same indicators have values
    if before is not None:
        assert after >= before - 1e-9
        assert 0 <= after <= 100 * SCORE_CAP + 1e-9


STREETS = [code for code, _, level, _ in REGIONS if level == "street"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.sampled_from(STREETS), st.sampled_from(["sat", "close", "complaints"]),
                               value_st), unique_by=lambda r: (r[0], r[1]), max_size=18),
       vetoed=st.sets(st.sampled_from(STREETS)),
       region=st.sampled_from([None, "330100", "330102", "330105"]))
def test_vetoed_street_always_ranks_below_every_unvetoed(rows, vetoed, region):
    metrics = [(OCT, s, i, v) for s, i, v in rows]
    vetoes = [(OCT, s, "否决") for s in vetoed]
    df = street_scores(make_con(metrics=metrics, vetoes=vetoes), OCT, region=region)
    assert df["rank_all"].tolist() == list(range(1, len(df) + 1))  # ordered, no gaps or ties
    for col, group in (("rank_all", [None]), ("rank", df["parent_code"].unique())):
        for parent in group:
            part = df if parent is None else df[df.parent_code == parent]
            v, u = part[part.veto], part[~part.veto]
            if len(v) and len(u):
                assert v[col].min() > u[col].max()
            assert sorted(part[col]) == list(range(1, len(part) + 1))
    assert set(df.loc[df.veto, "street_code"]) <= vetoed


def write_store(tmp_path, con):
    """A one-snapshot store laid out as in docs/architecture.md, from the tables of ``con``."""
    snap = tmp_path / "store" / "snapshots" / "00001_2026-11-25"
    (snap / "tables").mkdir(parents=True)
    (snap / "rollups").mkdir()
    for t in ("regions", "indicators", "street_metrics", "street_vetoes"):
        con.table(t).df().to_parquet(snap / "tables" / f"{t}.parquet")
    con.table("region_tree").df().to_parquet(snap / "rollups" / "region_tree.parquet")
    (snap / "manifest.json").write_text('{"as_of": "2026-11-25"}', encoding="utf-8")
    (tmp_path / "store" / "CURRENT").write_text("00001_2026-11-25\n", encoding="utf-8")
    return tmp_path / "store"


def test_cli_scores_csv_and_table(tmp_path, capsys):
    store = write_store(tmp_path, make_con())
    assert scores.cli_scores(store, period="2026-10", region="330105", fmt="csv") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("street_code,name,parent_code,score,rank,rank_change")
    # B3 100 first (no previous: empty change), B2 43.75, vetoed B1 last.
    assert out[1].startswith("330105003,B3街道,330105,100.0,1,,")
    assert out[2].startswith("330105002,B2街道,330105,43.75,2,-1,")
    assert out[3].startswith("330105001,B1街道,330105,100.0,3,-1,") and "True" in out[3]
    assert scores.cli_scores(store, period="2026-10", fmt="table") == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 1 + 6 and table[0].split()[:3] == ["street_code", "name", "parent_code"]
    assert scores.cli_scores(store, period="2025-01", fmt="csv") == 1
    assert scores.cli_scores(tmp_path / "nowhere", period="2026-10", fmt="csv") == 2
