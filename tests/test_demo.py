"""The demo drop: deterministic, contract-shaped, and telling the story docs/demo-data.md tells.

Drops here use few requests (20k) so the module runs in a few seconds.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from cockpit.demo import FILES, write_demo_drop
from cockpit.demo.extras import DISABILITY_CATEGORIES
from cockpit.demo.geography import STREETS_MAX, STREETS_MIN, build_geography
from cockpit.demo.requests import SPIKES, spike_streets, write_requests

AS_OF = "2026-11-25"
N = 20_000


@pytest.fixture(scope="module")
def drop(tmp_path_factory):
    return write_demo_drop(tmp_path_factory.mktemp("demo") / "drop", requests=N, seed=2026, as_of=AS_OF)


def _read(drop, name):
    return pq.read_table(drop / f"{name}.parquet")


def _sql(drop, query):
    con = duckdb.connect()
    try:
        con.execute(f"create view r as select * from read_parquet('{drop / 'requests.parquet'}')")
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_writes_every_file_and_manifest(drop):
    assert sorted(p.name for p in drop.iterdir()) == sorted(FILES)
    manifest = json.loads((drop / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == {"as_of": AS_OF, "source": "demo", "seed": 2026, "synthetic": True}


def test_same_seed_same_bytes_and_other_files_kept(drop, tmp_path):
    again = tmp_path / "again"
    again.mkdir()
    (again / "notes.txt").write_text("mine")
    write_demo_drop(again, requests=N, seed=2026, as_of=AS_OF)
    for name in FILES:
        assert (drop / name).read_bytes() == (again / name).read_bytes(), name
    assert (again / "notes.txt").read_text() == "mine"
    assert not [p for p in again.iterdir() if p.name.endswith(".tmp")]


def test_other_seed_differs(drop, tmp_path):
    other = write_demo_drop(tmp_path / "other", requests=N, seed=7, as_of=AS_OF)
    for name in ("regions", "reform_apps", "ledger_items", "requests", "street_metrics"):
        assert not _read(drop, name).equals(_read(other, name)), name


def test_schemas(drop):
    s = pq.read_schema(drop / "requests.parquet")
    for col in ("received_at", "relayed_at", "dispatched_at", "handled_at", "closed_at", "due_at", "updated_at"):
        assert s.field(col).type == pa.timestamp("us"), col
    assert s.field("satisfaction").type == pa.int64()
    assert s.field("street_code").type == pa.string()
    apps = pq.read_schema(drop / "reform_apps.parquet")
    assert pa.types.is_list(apps.field("co_depts").type) and apps.field("co_depts").type.value_type == pa.string()
    assert apps.field("launched_on").type == pa.date32()
    regions = pq.read_schema(drop / "regions.parquet")
    assert regions.field("region_code").type == pa.string() and regions.field("synthetic").type == pa.bool_()
    geo = json.loads(regions.metadata[b"geo"])
    assert geo["primary_column"] == "geometry" and geo["columns"]["geometry"]["encoding"] == "WKB"
    assert gpd.read_parquet(drop / "regions.parquet").crs.to_epsg() == 4326


def test_contract_schemas_match(drop):
    from cockpit import contract
    from cockpit.contract_types import type_accepts

    for name, tc in contract.CONTRACTS.items():
        schema = pq.read_schema(drop / tc.file)
        for col in tc.columns:
            if col.optional and col.name not in schema.names:
                continue
            assert type_accepts(col.type, schema.field(col.name).type), (name, col.name)


def test_demo_drop_validates(drop):
    from cockpit.ingest import validate

    problems = validate.validate_drop(drop, None)
    assert problems == [], validate.format_problems(problems)


def test_region_tree_and_streets(drop):
    regions = gpd.read_parquet(drop / "regions.parquet")
    counts = regions["level"].value_counts().to_dict()
    assert counts["province"] == 1 and counts["city"] == 11 and counts["county"] == 90
    assert regions["region_code"].is_unique
    assert set(regions["parent_code"].dropna()) <= set(regions["region_code"])
    assert regions.geometry.is_valid.all()
    assert set(regions.geom_type) <= {"Polygon", "MultiPolygon"}
    streets = regions[regions["level"] == "street"]
    assert streets["synthetic"].all() and not regions.loc[regions["level"] != "street", "synthetic"].any()
    assert streets["region_code"].str.fullmatch(r"\d{9}").all()
    assert (streets["region_code"].str[:6] == streets["parent_code"]).all()
    per_county = streets.groupby("parent_code").size()
    assert len(per_county) == 90 and per_county.between(STREETS_MIN, STREETS_MAX).all()
    assert streets["name"].str.contains("街道|镇|乡").all() and streets["name_en"].notna().all()


def test_streets_tile_their_county(drop):
    regions = gpd.read_parquet(drop / "regions.parquet")
    counties = regions[regions["level"] == "county"].set_index("region_code").geometry
    for code, cells in regions[regions["level"] == "street"].groupby("parent_code").geometry:
        county = counties[code].area
        parts = shapely.area(cells.values).sum()
        union = shapely.union_all(cells.values).area
        assert abs(union - county) / county < 1e-6, code  # no gaps
        assert abs(parts - union) / county < 1e-6, code  # no overlaps


def test_streets_build_quickly_and_deterministically():
    import time

    start = time.perf_counter()
    a = build_geography(11)
    elapsed = time.perf_counter() - start
    b = build_geography(11)
    assert a.streets.equals(b.streets)
    assert a.regions.geometry.equals(b.regions.geometry)
    assert elapsed < 5.0  # ~0.8 s on 2 cores; generous for a loaded CI machine


def test_ledger(drop):
    apps = _read(drop, "reform_apps").to_pandas()
    depts = set(_read(drop, "departments").column("dept_code").to_pylist())
    assert len(apps) == 127 and apps["app_id"].is_unique
    assert (apps["iterations"] >= 1).sum() == 83
    assert apps["runway"].nunique() == 6 and apps["stage"].nunique() == 5
    stage_counts = apps["stage"].value_counts()
    assert stage_counts.index[0] == "实施建设" and stage_counts.index[1] == "验收评估"
    assert apps["lead_dept"].isin(depts).all()
    for lead, co in zip(apps["lead_dept"], apps["co_depts"]):
        assert 1 <= len(co) <= 4 and lead not in co and set(co) <= depts
    assert apps["expert_score"].dropna().between(60, 98).all()
    assert apps["in_ledger"].mean() > 0.85
    assert 35 <= len(depts) <= 45

    items = _read(drop, "ledger_items").to_pandas()
    per_list = items.groupby(["app_id", "list"]).size()
    assert len(per_list) == 127 * 3 and per_list.between(3, 8).all()
    assert items.loc[items["status"] != "done", "done_on"].isna().all()
    as_of = dt.date.fromisoformat(AS_OF)
    assert (items.loc[items["status"] == "done", "done_on"] <= as_of).all()
    overdue = items[(items["due_on"] < as_of) & (items["status"] != "done")]
    assert 0.03 < len(overdue) / len(items) < 0.3


def test_requests_shape(drop):
    (n, bad_order, after_cutoff, unsorted) = _sql(drop, f"""
        select count(*),
          count(*) filter (where relayed_at < received_at or dispatched_at < relayed_at
                             or handled_at < dispatched_at or closed_at < handled_at
                             or updated_at < greatest(received_at, relayed_at, dispatched_at, handled_at, closed_at)),
          count(*) filter (where updated_at >= date '{AS_OF}' + interval 1 day),
          count(*) filter (where received_at < prev)
        from (select *, lag(received_at) over (order by file_row_number) prev
              from read_parquet('{drop / "requests.parquet"}', file_row_number = true))
    """)[0]
    assert N <= n <= N * 1.01
    assert bad_order == 0 and after_cutoff == 0 and unsorted == 0
    (closed_wo, open_with, dept_early, sat_open, reopened, open_n, overdue_open) = _sql(drop, f"""
        select count(*) filter (where status = 'closed' and closed_at is null),
          count(*) filter (where status <> 'closed' and closed_at is not null),
          count(*) filter (where status in ('received', 'relayed') and dept_code is not null),
          count(*) filter (where status <> 'closed' and satisfaction is not null),
          avg(reopened::int),
          count(*) filter (where status <> 'closed'),
          count(*) filter (where status <> 'closed' and due_at < date '{AS_OF}')
        from r""")[0]
    assert closed_wo == open_with == dept_early == sat_open == 0
    assert 0.02 < reopened < 0.06
    assert open_n > 0 and overdue_open > 0
    # Two years of data, the latest year ~45 % bigger (the demand explosion).
    (first, last, cur, prev) = _sql(drop, f"""
        select min(received_at), max(received_at),
          count(*) filter (where received_at >= date '{AS_OF}' - interval 364 day),
          count(*) filter (where received_at < date '{AS_OF}' - interval 364 day) from r""")[0]
    assert first.date() >= dt.date(2024, 11, 26) and last.date() == dt.date(2026, 11, 25)
    assert 1.3 < cur / prev < 1.6
    (sat3,) = _sql(drop, "select avg((satisfaction = 3)::int) from r where satisfaction is not null")[0]
    assert sat3 > 0.7
    levels = {row[0] for row in _sql(drop, "select distinct handling_level from r")}
    assert levels == {"street", "county", "city", "province"}


def test_request_locations_in_county_bbox(drop):
    regions = gpd.read_parquet(drop / "regions.parquet")
    bounds = regions[regions["level"] == "county"].set_index("region_code").bounds
    req = pq.read_table(drop / "requests.parquet", columns=["street_code", "lon", "lat"]).to_pandas().dropna()
    b = bounds.loc[req["street_code"].str[:6]].to_numpy()
    assert ((req["lon"].to_numpy() >= b[:, 0]) & (req["lon"].to_numpy() <= b[:, 2])).all()
    assert ((req["lat"].to_numpy() >= b[:, 1]) & (req["lat"].to_numpy() <= b[:, 3])).all()


def test_spikes_stand_out(tmp_path):
    geo = build_geography(2026)
    path = tmp_path / "requests.parquet"
    write_requests(path, geo, 150_000, 2026, dt.date.fromisoformat(AS_OF))
    con = duckdb.connect()
    for spike, street, _name in spike_streets(geo):
        assert street[:6] == spike.county
        recent, before = con.execute(f"""
            select count(*) filter (where received_at >= date '{AS_OF}' - interval 13 day),
                   count(*) filter (where received_at < date '{AS_OF}' - interval 41 day
                                     and received_at >= date '{AS_OF}' - interval 125 day) / 6.0
            from read_parquet('{path}') where street_code = ? and category = ?""",
                                     [street, spike.category]).fetchone()
        assert recent >= 8 and recent > 2.5 * max(before, 1.0), (spike, recent, before)
    assert len(SPIKES) == 5


def test_indicators_and_metrics(drop):
    ind = _read(drop, "indicators").to_pandas()
    assert 6 <= len(ind) <= 8 and abs(ind["weight"].sum() - 1.0) < 1e-9 and (ind["target"] > 0).all()
    assert (~ind["higher_is_better"]).sum() >= 2
    m = _read(drop, "street_metrics").to_pandas()
    periods = sorted(m["period"].unique())
    assert len(periods) == 12 and periods[-1] == dt.date(2026, 11, 1) and periods[0] == dt.date(2025, 12, 1)
    n_streets = m["street_code"].nunique()
    assert len(m) == 12 * n_streets * len(ind)
    assert np.isfinite(m["value"]).all()
    vetoes = _read(drop, "street_vetoes").to_pandas()
    assert 3 <= len(vetoes) <= 6 and (vetoes["period"] == dt.date(2026, 11, 1)).any()
    assert vetoes["street_code"].isin(m["street_code"]).all()


def test_extras(drop):
    tasks = _read(drop, "disability_tasks").to_pandas()
    assert len(tasks) == 19 and tasks["task_id"].is_unique
    assert set(tasks["category"]) == set(DISABILITY_CATEGORIES)
    assert tasks["progress"].between(0, 100).all()
    assert (tasks.loc[tasks["status"] == "done", "progress"] == 100).all()
    depts = set(_read(drop, "departments").column("dept_code").to_pylist())
    assert tasks["lead_dept"].isin(depts).all()

    burden = _read(drop, "report_burden").to_pandas()
    assert burden["dept_code"].isin(depts).all() and burden["period"].nunique() == 12
    assert (burden["fields_prefilled"] <= burden["fields_total"]).all()
    share = burden.groupby("period").apply(lambda g: g["fields_prefilled"].sum() / g["fields_total"].sum())
    assert share.iloc[-1] > share.iloc[0] + 0.2  # the rollout shows
