"""数字镇长 (contract v1.1 `digital_officials`): validated like every table, in the demo drop with
fictitious names, and on the street profile with the departments handling the street's requests."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import drops
from cockpit.contract import CONTRACT_VERSION, CONTRACTS
from cockpit.db import Database
from cockpit.filters import FilterState, resolve
from cockpit.ingest import ingest
from cockpit.query import run_sql
from cockpit.settings import get_settings
from cockpit.specs.loader import load_catalog

S1, S2, S3, S4 = drops.STREETS


def officials(rows=None) -> pa.Table:
    rows = rows if rows is not None else [
        ("town_a", S1, None, "甲某（虚构）", "街道党工委副书记"),
        ("town_b", S1, None, "乙某（虚构）", "区委常委"),
        ("bureau", None, "D03", "丙某（虚构）", "副局长"),
    ]
    return pa.table({k: pa.array([r[i] for r in rows], pa.string())
                     for i, k in enumerate(("post", "street_code", "dept_code", "name", "title"))})


def _ingest(tmp_path, name="d", **tables):
    return ingest(drops.write_drop(tmp_path / name, **tables), tmp_path / "store", log=lambda *_: None)


def test_contract_is_v1_1_with_the_optional_table():
    assert CONTRACT_VERSION == "1.1"
    assert "digital_officials" in CONTRACTS
    doc = (get_settings().layouts.parent / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert doc.startswith("# Data contract v1.1") and "## digital_officials.parquet" in doc


@pytest.mark.parametrize("row, rule", [
    (("town_a", None, None, "某（虚构）", None), "posts town_a and town_b name a street and no unit"),
    (("bureau", S1, "D03", "某（虚构）", None), "post bureau names a unit and no street"),
    (("town_a", "330102", None, "某（虚构）", None), "street"),  # a county is not a street
    (("mayor", S1, None, "某（虚构）", None), "post"),
    (("town_a", S1, None, "某（虚构）", None), "one official per street and post"),  # S1 has town_a already
])
def test_bad_rows_reject_the_drop_naming_file_column_and_rule(tmp_path, row, rule):
    base = officials()
    table = pa.concat_tables([base, officials([row])])
    result = _ingest(tmp_path, digital_officials=table)
    assert not result.ok
    text = "\n".join(str(p) for p in result.problems)
    assert "digital_officials.parquet" in text and rule in text, text


def test_demo_officials_cover_every_street_with_fictitious_names(tmp_path):
    from cockpit.demo import write_demo_drop

    drop = write_demo_drop(tmp_path / "demo", requests=200, seed=7)
    t = pq.read_table(drop / "digital_officials.parquet").to_pylist()
    streets = pq.read_table(drop / "regions.parquet", columns=["region_code", "level"]).to_pylist()
    street_codes = {r["region_code"] for r in streets if r["level"] == "street"}
    for post in ("town_a", "town_b"):
        assert {r["street_code"] for r in t if r["post"] == post} == street_codes
    depts = set(pq.read_table(drop / "departments.parquet").column("dept_code").to_pylist())
    assert {r["dept_code"] for r in t if r["post"] == "bureau"} == depts
    assert all(r["name"].endswith("（虚构）") for r in t)


def test_street_profile_panel_lists_posts_and_departments_with_on_time_rates(tmp_path, use_store):
    t0 = datetime(2026, 11, 3, 9)
    reqs = [
        drops.request_row("A1", t0, street_code=S1, dept_code="D03"),  # closed on time
        drops.request_row("A2", t0, street_code=S1, dept_code="D03",
                          closed_at=t0 + timedelta(days=9), updated_at=t0 + timedelta(days=9)),  # late
        drops.request_row("A3", t0, street_code=S1, dept_code="D02"),
        drops.request_row("A4", t0, closed=False, street_code=S1),  # not dispatched: no department
        drops.request_row("B1", t0, street_code=S2, dept_code="D03"),  # another street
    ]
    assert _ingest(tmp_path, requests=drops.requests_table(reqs), digital_officials=officials()).ok
    store = tmp_path / "store"
    use_store(store)
    db = Database(store)
    panel = load_catalog(get_settings().layouts).panels["street_officials"]
    ctx = resolve(FilterState(street=S1, region=S1, period="2026-11"), db, None, street_page=True).ctx
    rows = run_sql(panel.spec.sql, ctx, db=db).to_dict("records")
    assert [(r["role"], r["official"]) for r in rows[:2]] == [("town_a", "甲某（虚构）"), ("town_b", "乙某（虚构）")]
    depts = {r["department"]: r for r in rows[2:]}
    assert set(depts) == {"西湖区城管局", "上城区民政局"}
    assert depts["西湖区城管局"]["requests"] == 2 and depts["西湖区城管局"]["on_time_rate"] == 50.0
    assert depts["西湖区城管局"]["official"] == "丙某（虚构）"
    assert depts["上城区民政局"]["official"] == "—"  # a unit without a 数字局长 says so
    # A street outside the viewer's jurisdiction shows nobody.
    outside = resolve(FilterState(street=S1, region=S1), db, "330106", street_page=True).ctx
    got = run_sql(panel.spec.sql, outside, db=db)
    assert outside.street != S1 and "甲某（虚构）" not in set(got["official"])
