"""Malformed drops are rejected whole, with a message naming file, column, rows and rule.

Each case breaks exactly one rule of a valid drop (tests/drops.py). For every case: the exit code
is 1, the printed line names file + column + rule, the live snapshot and CURRENT are unchanged,
the drop folder is unchanged byte for byte, and a report is kept in STORE/rejected/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

import drops
from cockpit.ingest import cli_ingest
from cockpit.store import Store
from cockpit.ingest.validate import validate_drop


@dataclass
class Case:
    id: str
    make: Callable[[Path], None]  # writes the drop into the folder
    file: str
    column: str | None
    rule: str  # a substring of the rule text
    rows: str | None = None  # a substring like "row 3" when the rows are known
    only: bool = True  # the drop breaks exactly this one rule (no cascade of other problems)


def _regions_with(row: int, **values):
    g = drops.regions()
    for k, v in values.items():
        g.loc[row, k] = v
    return g


def _add_region(code: str, level: str, parent: str, geom):
    g = drops.regions()
    g.loc[len(g)] = {"region_code": code, "name": "新街道", "level": level, "parent_code": parent, "geometry": geom}
    return g


def _requests_with(row: int, **values) -> pa.Table:
    t = drops.requests()
    for k, v in values.items():
        t = drops.with_value(t, k, row, v)
    return t


def _garbage(folder: Path, name: str) -> None:
    drops.write_drop(folder)
    (folder / f"{name}.parquet").write_bytes(b"PAR1 this is not a parquet file at all")


def _truncated(folder: Path, name: str) -> None:
    drops.write_drop(folder)
    path = folder / f"{name}.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _regions_without_geo_metadata(folder: Path) -> None:
    g = drops.regions()
    table = pa.table({**{c: pa.array(g[c].tolist(), pa.string(), from_pandas=True)
                         for c in ("region_code", "name", "level", "parent_code")},
                      "geometry": pa.array(list(shapely.to_wkb(g.geometry.values)), pa.binary())})
    drops.write_drop(folder, regions=None)
    pq.write_table(table, folder / "regions.parquet")


def _regions_crs(crs) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        g = drops.regions().set_crs(crs, allow_override=True)  # same numbers, another (or no) CRS
        drops.write_drop(folder, regions=g)
    return make


def _requests_tz(folder: Path) -> None:
    t = drops.requests()
    col = t.column("received_at").cast(pa.timestamp("us", tz="Asia/Shanghai"))
    drops.write_drop(folder, requests=drops.with_column(t, "received_at", col))


def _mkdir_parquet(folder: Path) -> None:
    drops.write_drop(folder)
    (folder / "report_burden.parquet").mkdir()


def _partial_departments_missing_d03(folder: Path) -> None:
    deps = drops.departments().filter(pa.compute.not_equal(drops.departments().column("dept_code"), "D03"))
    drops.write_drop(folder, only=("departments",), departments=deps)


def _dup(table: pa.Table, row: int) -> pa.Table:
    return pa.concat_tables([table, table.slice(row, 1)])


CASES = [
    Case("missing-manifest", lambda f: drops.write_drop(f, as_of=None), "manifest.json", None, "manifest.json is missing"),
    Case("bad-as-of", lambda f: drops.write_drop(f, as_of="2026-13-01"), "manifest.json", "as_of", "valid date"),
    Case("as-of-not-iso", lambda f: drops.write_drop(f, as_of="25/11/2026"), "manifest.json", "as_of", "YYYY-MM-DD"),
    Case("manifest-not-json", lambda f: (drops.write_drop(f), drops.write_manifest(f, raw="{as_of: 2026}")),
         "manifest.json", None, "not valid JSON"),
    Case("corrupt-parquet", lambda f: _garbage(f, "departments"), "departments.parquet", None, "unreadable parquet"),
    Case("truncated-parquet", lambda f: _truncated(f, "requests"), "requests.parquet", None, "unreadable parquet"),
    Case("missing-column", lambda f: drops.write_drop(f, departments=drops.departments().drop_columns(["name"])),
         "departments.parquet", "name", "required column is missing"),
    Case("unknown-column", lambda f: drops.write_drop(
        f, departments=drops.with_column(drops.departments(), "phone", ["1", "2", "3"])),
         "departments.parquet", "phone", "unknown column"),
    Case("wrong-type", lambda f: drops.write_drop(
        f, reform_apps=drops.with_column(drops.reform_apps(), "iterations", ["3", "0", "1"])),
         "reform_apps.parquet", "iterations", "must be of type int, got string"),
    Case("float-for-int", lambda f: drops.write_drop(
        f, reform_apps=drops.with_column(drops.reform_apps(), "monthly_active_users", [1.0, None, 2.0])),
         "reform_apps.parquet", "monthly_active_users", "Int64"),
    Case("tz-aware-timestamp", _requests_tz, "requests.parquet", "received_at", "without zone"),
    Case("timestamp-for-date", lambda f: drops.write_drop(f, street_vetoes=drops.with_column(
        drops.street_vetoes(), "period", pa.array([datetime(2026, 11, 1)], pa.timestamp("ns")))),
         "street_vetoes.parquet", "period", "must be of type date"),
    Case("null-in-required", lambda f: drops.write_drop(
        f, departments=drops.with_value(drops.departments(), "name", 1, None)),
         "departments.parquet", "name", "must not be null", rows="row 1"),
    Case("duplicate-key", lambda f: drops.write_drop(f, departments=_dup(drops.departments(), 0)),
         "departments.parquet", "dept_code", "must be unique", rows="rows 0, 3"),
    Case("duplicate-composite-key", lambda f: drops.write_drop(f, street_metrics=_dup(drops.street_metrics(), 5)),
         "street_metrics.parquet", "period, street_code, indicator", "unique together"),
    Case("duplicate-request-version", lambda f: drops.write_drop(f, requests=_dup(drops.requests(), 2)),
         "requests.parquet", "request_id, updated_at", "unique together"),
    Case("bad-enum", lambda f: drops.write_drop(
        f, reform_apps=drops.with_value(drops.reform_apps(), "runway", 2, "数字农业")),
         "reform_apps.parquet", "runway", "must be one of", rows="row 2"),
    Case("bad-level", lambda f: drops.write_drop(f, regions=_regions_with(1, level="town")),
         "regions.parquet", "level", "must be one of province, city, county, street", only=False),
    Case("negative-iterations", lambda f: drops.write_drop(
        f, reform_apps=drops.with_value(drops.reform_apps(), "iterations", 1, -1)),
         "reform_apps.parquet", "iterations", "must be >= 0", rows="row 1"),
    Case("expert-score-120", lambda f: drops.write_drop(
        f, reform_apps=drops.with_value(drops.reform_apps(), "expert_score", 0, 120.0)),
         "reform_apps.parquet", "expert_score", "must be 0 to 100", rows="row 0"),
    Case("nan-value", lambda f: drops.write_drop(
        f, street_metrics=drops.with_value(drops.street_metrics(), "value", 3, float("nan"))),
         "street_metrics.parquet", "value", "finite", rows="row 3"),
    Case("missing-fk-dept", lambda f: drops.write_drop(
        f, reform_apps=drops.with_value(drops.reform_apps(), "lead_dept", 1, "D99")),
         "reform_apps.parquet", "lead_dept", "must exist in departments.dept_code", rows="row 1"),
    Case("missing-fk-co-dept", lambda f: drops.write_drop(
        f, reform_apps=drops.with_value(drops.reform_apps(), "co_depts", 0, ["D02", "D77"])),
         "reform_apps.parquet", "co_depts", "each element must exist in departments.dept_code", rows="row 0"),
    Case("null-in-list", lambda f: drops.write_drop(
        f, reform_apps=drops.with_value(drops.reform_apps(), "co_depts", 2, ["D01", None])),
         "reform_apps.parquet", "co_depts", "list elements must not be null", rows="row 2"),
    Case("missing-fk-app", lambda f: drops.write_drop(
        f, ledger_items=drops.with_value(drops.ledger_items(), "app_id", 3, "A9")),
         "ledger_items.parquet", "app_id", "must exist in reform_apps.app_id", rows="row 3"),
    Case("street-code-is-county", lambda f: drops.write_drop(f, requests=_requests_with(4, street_code="330106")),
         "requests.parquet", "street_code", "region_code of level street", rows="row 4"),
    Case("veto-street-unknown", lambda f: drops.write_drop(
        f, street_vetoes=drops.with_value(drops.street_vetoes(), "street_code", 0, "330106999")),
         "street_vetoes.parquet", "street_code", "of level street"),
    Case("request-dept-missing", lambda f: drops.write_drop(f, requests=_requests_with(0, dept_code="D42")),
         "requests.parquet", "dept_code", "must exist in departments.dept_code", rows="row 0"),
    Case("parent-missing", lambda f: drops.write_drop(f, regions=_regions_with(3, parent_code="339999")),
         "regions.parquet", "parent_code", "must exist in regions.region_code", rows="row 3"),
    Case("two-tops", lambda f: drops.write_drop(f, regions=_regions_with(1, parent_code=None)),
         "regions.parquet", "parent_code", "exactly one region (the top) has parent_code null; found 2",
         rows="rows 0, 1"),
    Case("parent-not-higher", lambda f: drops.write_drop(f, regions=_regions_with(3, parent_code="330102")),
         "regions.parquet", "parent_code", "higher level", rows="row 3"),
    Case("code-length", lambda f: drops.write_drop(
        f, regions=_add_region("3301060031", "street", "330106", shapely.box(120.2, 29.2, 120.4, 29.4))),
         "regions.parquet", "region_code", "9 digits for street", rows="row 8"),
    Case("stage-times-backwards", lambda f: drops.write_drop(f, requests=_requests_with(
        0, closed_at=datetime(2026, 9, 4, 8, 0))),  # handled 2026-09-04 09:30
         "requests.parquet", "closed_at", "closed_at must not be before handled_at", rows="row 0"),
    Case("closed-without-closed-at", lambda f: drops.write_drop(f, requests=_requests_with(0, closed_at=None)),
         "requests.parquet", "closed_at", "a closed request must have closed_at", rows="row 0"),
    Case("satisfaction-4", lambda f: drops.write_drop(f, requests=_requests_with(3, satisfaction=4)),
         "requests.parquet", "satisfaction", "must be 1 to 3", rows="row 3"),
    Case("lon-out-of-range", lambda f: drops.write_drop(f, requests=_requests_with(1, lon=12.0)),
         "requests.parquet", "lon", "must be 73 to 136", rows="row 1"),
    Case("received-at-null", lambda f: drops.write_drop(f, requests=_requests_with(5, received_at=None)),
         "requests.parquet", "received_at", "must not be null", rows="row 5"),
    Case("bad-status", lambda f: drops.write_drop(f, requests=_requests_with(2, status="open")),
         "requests.parquet", "status", "must be one of received", rows="row 2"),
    Case("done-on-without-done", lambda f: drops.write_drop(
        f, ledger_items=drops.with_value(drops.ledger_items(), "done_on", 1, date(2026, 7, 1))),
         "ledger_items.parquet", "done_on", "done_on may be set only when status is done", rows="row 1"),
    Case("target-0", lambda f: drops.write_drop(f, indicators=drops.with_value(drops.indicators(), "target", 2, 0.0)),
         "indicators.parquet", "target", "must be > 0", rows="row 2"),
    Case("negative-weight", lambda f: drops.write_drop(
        f, indicators=drops.with_value(drops.indicators(), "weight", 0, -0.5)),
         "indicators.parquet", "weight", "must be >= 0", rows="row 0"),
    Case("period-not-first-of-month", lambda f: drops.write_drop(
        f, street_metrics=drops.with_value(drops.street_metrics(), "period", 7, date(2026, 10, 15))),
         "street_metrics.parquet", "period", "first day of a month", rows="row 7"),
    Case("invalid-geometry", lambda f: drops.write_drop(f, regions=_regions_with(
        4, geometry=shapely.Polygon([(119, 29), (120, 30), (120, 29), (119, 30)]))),  # a bow-tie
         "regions.parquet", "geometry", "must be a valid geometry", rows="row 4"),
    Case("point-geometry", lambda f: drops.write_drop(f, regions=_regions_with(5, geometry=shapely.Point(119.5, 30.5))),
         "regions.parquet", "geometry", "must be a Polygon or MultiPolygon", rows="row 5"),
    Case("swapped-axes", lambda f: drops.write_drop(f, regions=_regions_with(6, geometry=shapely.box(29, 120, 30, 121))),
         "regions.parquet", "geometry", "longitude/latitude", rows="row 6"),
    Case("wrong-crs", _regions_crs("EPSG:3857"), "regions.parquet", "geometry", "CRS must be EPSG:4326"),
    Case("no-crs", _regions_crs(None), "regions.parquet", "geometry", "CRS is missing"),
    Case("not-geoparquet", _regions_without_geo_metadata, "regions.parquet", "geometry", "not GeoParquet"),
    Case("bad-extra-name", lambda f: drops.write_drop(f, **{"Bad-Name": drops.departments()}),
         "Bad-Name.parquet", None, "extra table name must match"),
    Case("uppercase-core-name", lambda f: (drops.write_drop(f), drops.write_table(f, "Regions", drops.regions())),
         "Regions.parquet", None, "did you mean regions.parquet"),
    Case("reserved-extra-name", lambda f: drops.write_drop(f, region_tree=drops.departments()),
         "region_tree.parquet", None, "reserved"),
    Case("keyword-extra-name", lambda f: drops.write_drop(f, select=drops.departments()),
         "select.parquet", None, "reserved"),
    Case("corrupt-extra-table", lambda f: _garbage(f, "report_burden"), "report_burden.parquet", None,
         "unreadable parquet"),
    Case("directory-as-table", _mkdir_parquet, "report_burden.parquet", None, "not a directory"),
    Case("no-parquet-files", lambda f: drops.write_manifest(f), "(folder)", None, "no .parquet file"),
    Case("replaced-table-orphans-live-rows", _partial_departments_missing_d03, "departments.parquet", "dept_code",
         "values of requests.dept_code in the published snapshot", only=False),
]


@pytest.fixture(scope="module")
def live_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("store")
    drop = drops.write_drop(tmp_path_factory.mktemp("valid-drop"))
    assert cli_ingest(drop, store) == 0
    return store


def test_there_are_enough_cases():
    assert len({c.id for c in CASES}) == len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_drop_is_rejected(case: Case, live_store: Path, tmp_path: Path, capsys):
    folder = tmp_path / f"drop-{case.id}"
    folder.mkdir()
    case.make(folder)
    st = Store(live_store)
    before_current = (live_store / "CURRENT").read_bytes()
    before_snapshots = [s.id for s in st.list_snapshots()]
    before_drop = drops.hash_tree(folder)
    before_rejected = set((live_store / "rejected").glob("*")) if (live_store / "rejected").exists() else set()
    capsys.readouterr()

    code = cli_ingest(folder, live_store)
    out = capsys.readouterr().out

    assert code == 1
    lines = [ln for ln in out.splitlines() if ln.startswith(case.file + ":")]
    matching = [ln for ln in lines
                if case.rule in ln and (case.column is None or f"column {case.column}:" in ln)
                and (case.rows is None or case.rows in ln)]
    assert matching, f"no line names {case.file} / {case.column} / {case.rule!r} / {case.rows}:\n{out}"
    if case.only:
        assert len(lines) == 1 and "rejected: 1 problem;" in out, out
    # nothing published, nothing touched
    assert (live_store / "CURRENT").read_bytes() == before_current
    assert [s.id for s in st.list_snapshots()] == before_snapshots
    assert drops.hash_tree(folder) == before_drop
    assert not [p for p in (live_store / "staging").iterdir() if p.name != ".lock"]
    # the report is kept
    new = set((live_store / "rejected").glob("*")) - before_rejected
    assert len(new) == 1
    report = new.pop()
    assert report.name.endswith(f"_{folder.name}.txt")
    assert matching[0] in report.read_text(encoding="utf-8")


def test_missing_folder_is_rejected(live_store: Path, tmp_path: Path, capsys):
    before = (live_store / "CURRENT").read_bytes()
    assert cli_ingest(tmp_path / "nope", live_store) == 1
    assert "does not exist" in capsys.readouterr().out
    assert (live_store / "CURRENT").read_bytes() == before


def test_first_drop_needs_fk_targets(tmp_path: Path, capsys):
    """With no live snapshot, a partial drop cannot refer to tables nobody has delivered."""
    folder = drops.write_drop(tmp_path / "drop", only=("requests",))
    store = tmp_path / "store"
    assert cli_ingest(folder, store) == 1
    out = capsys.readouterr().out
    assert "requests.parquet: column street_code: must be a region_code of level street in regions, but " \
           "regions.parquet is neither in the drop nor in a published snapshot" in out
    assert Store(store).live_id() is None
    assert not (store / "CURRENT").exists()


def test_many_bad_rows_are_summarised(tmp_path: Path):
    """Only the first rows are listed, with the count of the rest; the first bad value is shown."""
    t = drops.requests(40)
    t = drops.with_column(t, "satisfaction", [9] * 40, pa.int64())
    folder = drops.write_drop(tmp_path / "drop", requests=t)
    problems = validate_drop(folder, None)
    assert [p.code for p in problems] == ["range"]
    p = problems[0]
    assert p.rows == (0, 1, 2, 3, 4) and p.count == 40
    assert str(p) == ("requests.parquet: column satisfaction: rows 0, 1, 2, 3, 4 and 35 more rows: "
                      "must be 1 to 3 (got '9')")


def test_report_lists_every_problem(tmp_path: Path, capsys):
    """Several broken rules in several files are all reported at once."""
    folder = drops.write_drop(
        tmp_path / "drop",
        departments=drops.with_value(drops.departments(), "name", 0, None),
        requests=_requests_with(1, satisfaction=0, status="done"),
    )
    store = tmp_path / "store"
    assert cli_ingest(folder, store) == 1
    out = capsys.readouterr().out
    assert "departments.parquet: column name: row 0: must not be null" in out
    assert "requests.parquet: column satisfaction: row 1: must be 1 to 3 (got '0')" in out
    assert "requests.parquet: column status: row 1: must be one of" in out
    report = next((store / "rejected").glob("*.txt")).read_text(encoding="utf-8")
    assert "rejected: 3 problems" in report and "0-based" in report


def test_manifest_extra_keys_are_fine(tmp_path: Path):
    folder = drops.write_drop(tmp_path / "drop")
    (folder / "manifest.json").write_text(json.dumps({"as_of": "2026-11-25", "source": "12345 热线", "x": 1}))
    assert validate_drop(folder, None) == []


def test_requests_versions_with_distinct_updated_at_are_fine(tmp_path: Path):
    t = drops.requests()
    later = drops.with_value(t.slice(2, 1), "updated_at", 0, t.column("updated_at")[2].as_py() + timedelta(hours=1))
    folder = drops.write_drop(tmp_path / "drop", requests=pa.concat_tables([t, later]))
    assert validate_drop(folder, None) == []
