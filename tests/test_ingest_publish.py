"""Valid drops are published: snapshot layout, manifest, carried-over tables, accepted types."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import drops
from cockpit.ingest import bootstrap_demo, cli_ingest, ingest
from cockpit.snapshot import connect_snapshot
from cockpit.store import Store, cli_snapshots


def _ingest_ok(folder: Path, store: Path) -> str:
    res = ingest(folder, store, log=lambda s: None)
    assert res.ok, [str(p) for p in res.problems]
    return res.snapshot_id


def test_full_drop_is_published(tmp_path: Path, capsys):
    folder = drops.write_drop(tmp_path / "drop")
    before = drops.hash_tree(folder)
    store = tmp_path / "store"
    assert cli_ingest(folder, store) == 0
    out = capsys.readouterr().out
    assert "published snapshot 00001_2026-11-25" in out
    assert drops.hash_tree(folder) == before  # the drop is only read

    st = Store(store)
    assert (store / "CURRENT").read_text() == "00001_2026-11-25\n"
    assert st.live_id() == "00001_2026-11-25"
    snap = st.snapshot_dir("00001_2026-11-25")
    m = json.loads((snap / "manifest.json").read_text())
    assert set(m) == {"id", "as_of", "created_at", "source", "parent", "tables"}
    assert m["id"] == "00001_2026-11-25" and m["as_of"] == "2026-11-25" and m["parent"] is None
    assert m["source"] == str(folder.resolve())
    datetime.fromisoformat(m["created_at"])
    expected = {"regions": 8, "departments": 3, "reform_apps": 3, "ledger_items": 4, "requests": 12,
                "indicators": 3, "street_metrics": 24, "street_vetoes": 1}
    for name, rows in expected.items():
        assert m["tables"][name] == {"rows": rows, "kind": "core"}
    assert m["tables"]["region_tree"] == {"rows": 25, "kind": "rollup"}
    assert all(v["kind"] in ("core", "extra", "rollup") for v in m["tables"].values())

    # layout: tables/, requests/month=YYYY-MM/data.parquet, rollups/, parts/ (the write side's), nothing else
    assert sorted(p.name for p in snap.iterdir()) == ["manifest.json", "parts", "requests", "rollups", "tables"]
    months = sorted(p.name for p in (snap / "requests").iterdir())
    assert months == ["month=2026-09", "month=2026-10", "month=2026-11"]
    assert all(sorted(os.listdir(snap / "requests" / mo)) == ["data.parquet"] for mo in months)
    for name in expected:
        if name != "requests":
            assert pq.ParquetFile(snap / "tables" / f"{name}.parquet").metadata.num_rows == expected[name]
    # each partition holds only its month, sorted by received_at
    for mo in months:
        t = pq.read_table(snap / "requests" / mo / "data.parquet")
        got = t.column("received_at").to_pylist()
        assert got == sorted(got) and {d.strftime("%Y-%m") for d in got} == {mo.split("=")[1]}
        assert "month" not in t.column_names
    # regions stay GeoParquet in EPSG:4326; optional columns exist (all null when not sent)
    g = gpd.read_parquet(snap / "tables" / "regions.parquet")
    assert g.crs.to_epsg() == 4326 and len(g) == 8
    assert {"name_en", "synthetic"} <= set(g.columns) and g["name_en"].isna().all()
    assert not (store / "staging").exists() or [p.name for p in (store / "staging").iterdir()] == [".lock"]


def test_snapshot_views_and_region_tree(tmp_path: Path):
    store = tmp_path / "store"
    sid = _ingest_ok(drops.write_drop(tmp_path / "drop"), store)
    con = connect_snapshot(Store(store).snapshot_dir(sid))
    assert con.execute("SELECT count(*) FROM requests").fetchall()[0][0] == 12
    cols = [r[0] for r in con.execute("DESCRIBE requests").fetchall()]
    assert cols == [f.name for f in drops.REQUEST_SCHEMA]
    streets = con.execute("SELECT region_code FROM region_tree WHERE ancestor_code = '330106' "
                          "AND level = 'street' ORDER BY 1").fetchall()
    assert streets == [("330106001",), ("330106002",)]
    assert con.execute("SELECT depth, ancestor_level FROM region_tree WHERE ancestor_code = '330000' "
                       "AND region_code = '330106002'").fetchall() == [(3, "province")]
    con.close()


def test_partial_drop_carries_other_tables_over(tmp_path: Path):
    store = tmp_path / "store"
    first = _ingest_ok(drops.write_drop(tmp_path / "d1", report_burden=pa.table({"x": [1, 2]})), store)
    new_rows = [drops.request_row(f"N{i}", datetime(2026, 11, 20, 8 + i)) for i in range(3)]
    folder = drops.write_drop(tmp_path / "d2", as_of="2026-11-26", only=(), requests=drops.requests_table(new_rows))
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "requests.parquet"]
    second = _ingest_ok(folder, store)
    assert second == "00002_2026-11-26"

    st = Store(store)
    old, new = st.snapshot_dir(first), st.snapshot_dir(second)
    m = st.manifest(second)
    assert m["parent"] == first
    for name in ("regions", "departments", "reform_apps", "ledger_items", "indicators", "street_metrics",
                 "street_vetoes", "report_burden"):
        a, b = old / "tables" / f"{name}.parquet", new / "tables" / f"{name}.parquet"
        assert b.is_file() and os.stat(a).st_ino == os.stat(b).st_ino, name  # hardlinked, not rewritten
        assert m["tables"][name]["rows"] == st.manifest(first)["tables"][name]["rows"]
    assert m["tables"]["report_burden"] == {"rows": 2, "kind": "extra"}
    assert m["tables"]["requests"]["rows"] == 15
    # months the drop did not touch are shared with the previous snapshot
    for mo in ("month=2026-09", "month=2026-10"):
        assert os.stat(old / "requests" / mo / "data.parquet").st_ino == \
            os.stat(new / "requests" / mo / "data.parquet").st_ino
    assert os.stat(old / "requests" / "month=2026-11" / "data.parquet").st_ino != \
        os.stat(new / "requests" / "month=2026-11" / "data.parquet").st_ino
    # the old snapshot is still there, unchanged
    assert st.manifest(first)["tables"]["requests"]["rows"] == 12
    assert len(drops.read_requests(old)) == 12
    assert [s.id for s in st.list_snapshots()] == [first, second]
    assert [s.live for s in st.list_snapshots()] == [False, True]


def test_partial_drop_checks_foreign_keys_against_live(tmp_path: Path, capsys):
    store = tmp_path / "store"
    _ingest_ok(drops.write_drop(tmp_path / "d1"), store)
    rows = [drops.request_row("N1", datetime(2026, 11, 20, 8), street_code="330199001")]
    folder = drops.write_drop(tmp_path / "d2", only=(), requests=drops.requests_table(rows))
    assert cli_ingest(folder, store) == 1
    assert "requests.parquet: column street_code: row 0: must be a region_code of level street in regions" \
        in capsys.readouterr().out


def test_replacing_a_table_keeps_values_in_use(tmp_path: Path):
    """New departments may add and rename, but must keep every code the live data uses."""
    store = tmp_path / "store"
    _ingest_ok(drops.write_drop(tmp_path / "d1"), store)
    deps = pa.concat_tables([drops.departments(), pa.table({"dept_code": ["D04"], "name": ["新部门"],
                                                             "region_code": ["330102"]})])
    sid = _ingest_ok(drops.write_drop(tmp_path / "d2", only=(), departments=deps), store)
    assert Store(store).manifest(sid)["tables"]["departments"]["rows"] == 4


def test_accepted_physical_types(tmp_path: Path):
    """int8/uint/int64, timestamp[s]/[ns], date64, dictionary/large strings, null-typed columns."""
    apps = drops.reform_apps()
    apps = drops.with_column(apps, "iterations", apps.column("iterations").cast(pa.int8()))
    apps = drops.with_column(apps, "central_publications", apps.column("central_publications").cast(pa.uint16()))
    apps = drops.with_column(apps, "runway", apps.column("runway").dictionary_encode())
    apps = drops.with_column(apps, "name", apps.column("name").cast(pa.large_string()))
    apps = drops.with_column(apps, "launched_on", apps.column("launched_on").cast(pa.date64()))
    apps = drops.with_column(apps, "co_depts", apps.column("co_depts").cast(pa.large_list(pa.large_string())))
    apps = drops.with_column(apps, "expert_score", apps.column("expert_score").cast(pa.float32()))
    req = drops.requests()
    req = drops.with_column(req, "received_at", req.column("received_at").cast(pa.timestamp("s")))
    req = drops.with_column(req, "updated_at", req.column("updated_at").cast(pa.timestamp("ns")))
    req = drops.with_column(req, "closed_at", req.column("closed_at").cast(pa.timestamp("ms")))
    req = drops.with_column(req, "satisfaction", req.column("satisfaction").cast(pa.int8()))
    req = drops.with_column(req, "street_code", req.column("street_code").dictionary_encode())
    req = drops.with_column(req, "lon", pa.nulls(len(req)))  # all-null column of the null type
    req = drops.with_column(req, "lat", pa.nulls(len(req)))
    ind = drops.with_column(drops.indicators(), "target", pa.array([95, 90, 24], pa.int32()))  # ints for floats
    folder = drops.write_drop(tmp_path / "drop", reform_apps=apps, requests=req, indicators=ind)
    store = tmp_path / "store"
    sid = _ingest_ok(folder, store)
    snap = Store(store).snapshot_dir(sid)

    s = pq.read_schema(snap / "tables" / "reform_apps.parquet")
    assert s.field("iterations").type == pa.int64() and s.field("central_publications").type == pa.int64()
    assert s.field("runway").type == pa.string() and s.field("name").type == pa.string()
    assert s.field("launched_on").type == pa.date32()
    assert s.field("co_depts").type == pa.list_(pa.string())
    assert s.field("expert_score").type == pa.float64()
    assert pq.read_schema(snap / "tables" / "indicators.parquet").field("target").type == pa.float64()
    apps_back = pq.read_table(snap / "tables" / "reform_apps.parquet")
    assert apps_back.column("launched_on").to_pylist() == [date(2025, 3, 1), None, date(2026, 1, 15)]
    assert apps_back.column("co_depts").to_pylist() == [["D02", "D03"], [], ["D01"]]

    back = drops.read_requests(snap)
    for col in ("received_at", "updated_at", "closed_at"):
        assert back.schema.field(col).type == pa.timestamp("us")
    assert back.schema.field("satisfaction").type == pa.int64()
    assert back.schema.field("street_code").type == pa.string()
    assert back.column("lon").null_count == len(back)
    assert back.column("received_at").to_pylist() == drops.requests().sort_by("request_id").column("received_at").to_pylist()


def test_extra_table_is_queryable_and_replaceable(tmp_path: Path):
    store = tmp_path / "store"
    _ingest_ok(drops.write_drop(tmp_path / "d1", report_burden=pa.table({"form": ["a", "b"], "hours": [1.5, 2.0]})), store)
    sid = _ingest_ok(drops.write_drop(tmp_path / "d2", only=(), report_burden=pa.table({"form": ["c"], "hours": [3.0]})),
                     store)
    con = connect_snapshot(Store(store).snapshot_dir(sid))
    assert con.execute("SELECT form, hours FROM report_burden").fetchall() == [("c", 3.0)]
    con.close()


def test_stale_staging_is_cleaned_and_old_snapshots_stay(tmp_path: Path):
    store = tmp_path / "store"
    first = _ingest_ok(drops.write_drop(tmp_path / "d1"), store)
    leftover = store / "staging" / "20260101T000000-1"
    (leftover / "snapshot" / "tables").mkdir(parents=True)
    (leftover / "snapshot" / "tables" / "x.parquet").write_bytes(b"half")
    second = _ingest_ok(drops.write_drop(tmp_path / "d2", as_of="2026-11-26"), store)
    assert not leftover.exists()
    assert [s.id for s in Store(store).list_snapshots()] == [first, second]


def test_cli_snapshots_lists_row_counts(tmp_path: Path, capsys):
    store = tmp_path / "store"
    _ingest_ok(drops.write_drop(tmp_path / "d1", report_burden=pa.table({"x": [1]})), store)
    _ingest_ok(drops.write_drop(tmp_path / "d2", as_of="2026-11-26", only=(),
                                requests=drops.requests_table([drops.request_row("N1", datetime(2026, 11, 26, 9))])),
               store)
    capsys.readouterr()
    assert cli_snapshots(store) == 0
    lines = capsys.readouterr().out.splitlines()
    header, first, second = lines[0], lines[1], lines[2]
    assert header.split()[:4] == ["id", "as_of", "created_at", "regions"]
    assert first.startswith(" ") and "00001_2026-11-25" in first and " 12 " in first
    assert second.startswith("*") and "00002_2026-11-26" in second and " 13 " in second
    assert "report_burden=1" in second and "region_tree=25" in second
    assert lines[-1].startswith("live: 00002_2026-11-26")


def test_bootstrap_when_live_does_nothing(tmp_path: Path, capsys, monkeypatch):
    store = tmp_path / "store"
    _ingest_ok(drops.write_drop(tmp_path / "d1"), store)
    import cockpit.demo
    monkeypatch.setattr(cockpit.demo, "write_demo_drop", lambda **kw: pytest.fail("must not build the demo"))
    assert bootstrap_demo(store, requests=10) == 0
    assert "already live" in capsys.readouterr().out


def test_bootstrap_ingests_the_demo_drop(tmp_path: Path, monkeypatch):
    """The demo writer is another module's job; here a stand-in writes the small test drop."""
    calls = {}

    def fake(out, requests, seed, as_of):
        calls.update(out=out, requests=requests, seed=seed, as_of=as_of)
        return drops.write_drop(Path(out), as_of=as_of)

    import cockpit.demo
    monkeypatch.setattr(cockpit.demo, "write_demo_drop", fake)
    store = tmp_path / "data" / "store"
    assert bootstrap_demo(store, requests=7) == 0
    assert calls == {"out": tmp_path / "data" / "demo-drop", "requests": 7, "seed": 2026, "as_of": "2026-11-25"}
    assert Store(store).live_id() == "00001_2026-11-25"


def test_geopandas_extras_are_accepted(tmp_path: Path):
    """A covering bbox column (GeoParquet 1.1) and a pandas index are derived data: ignored, not stored."""
    g = drops.regions().set_index("region_code", drop=False)
    g.index.name = "code_index"
    g["name_en"] = ["Zhejiang", "Hangzhou", "Shangcheng", "Xihu", "Qingbo", "Hubin", "Beishan", "Xixi"]
    folder = drops.write_drop(tmp_path / "drop", regions=None)
    g.to_parquet(folder / "regions.parquet", write_covering_bbox=True, index=False)
    assert "bbox" in pq.read_schema(folder / "regions.parquet").names
    store = tmp_path / "store"
    sid = _ingest_ok(folder, store)
    path = Store(store).snapshot_dir(sid) / "tables" / "regions.parquet"
    assert pq.read_schema(path).names == ["region_code", "name", "level", "parent_code", "geometry", "name_en",
                                          "synthetic"]
    back = gpd.read_parquet(path)
    assert back.crs.to_epsg() == 4326 and back["name_en"].tolist()[1] == "Hangzhou"


def test_broken_pointer_stops_ingest(tmp_path: Path, capsys):
    store = tmp_path / "store"
    store.mkdir()
    (store / "CURRENT").write_text("not-an-id\n")
    assert cli_ingest(drops.write_drop(tmp_path / "drop"), store) == 1
    assert "does not hold a snapshot id" in capsys.readouterr().err
    assert (store / "CURRENT").read_text() == "not-an-id\n"


def test_pandas_index_column_is_ignored(tmp_path: Path):
    df = drops.departments().to_pandas()
    df.index = [10, 11, 12]  # not a RangeIndex: pandas writes it as __index_level_0__
    folder = drops.write_drop(tmp_path / "drop", departments=None)
    df.to_parquet(folder / "departments.parquet")
    assert "__index_level_0__" in pq.read_schema(folder / "departments.parquet").names
    sid = _ingest_ok(folder, tmp_path / "store")
    path = Store(tmp_path / "store").snapshot_dir(sid) / "tables" / "departments.parquet"
    assert pq.read_schema(path).names == ["dept_code", "name", "region_code"]
