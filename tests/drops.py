"""Small hand-made drops for tests: a valid one, and helpers to break it one rule at a time.

The region tree: province 330000 → city 330100 → counties 330102, 330106 → two 9-digit streets
each, all simple squares in lon/lat (EPSG:4326). Builders return fresh pyarrow tables (regions:
a GeoDataFrame) with exact types, so a test can swap one column or value and write the drop.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

AS_OF = "2026-11-25"
STREETS = ("330102001", "330102002", "330106001", "330106002")
CORE = ("regions", "departments", "reform_apps", "ledger_items", "requests", "indicators",
        "street_metrics", "street_vetoes")


def regions() -> gpd.GeoDataFrame:
    rows = [
        ("330000", "浙江省", "province", None, shapely.box(118, 27, 123, 31)),
        ("330100", "杭州市", "city", "330000", shapely.box(119, 29, 121, 31)),
        ("330102", "上城区", "county", "330100", shapely.box(119, 29, 120, 31)),
        ("330106", "西湖区", "county", "330100", shapely.box(120, 29, 121, 31)),
        ("330102001", "清波街道", "street", "330102", shapely.box(119, 29, 120, 30)),
        ("330102002", "湖滨街道", "street", "330102", shapely.box(119, 30, 120, 31)),
        ("330106001", "北山街道", "street", "330106", shapely.box(120, 29, 121, 30)),
        ("330106002", "西溪街道", "street", "330106", shapely.box(120, 30, 121, 31)),
    ]
    return gpd.GeoDataFrame(
        {"region_code": [r[0] for r in rows], "name": [r[1] for r in rows], "level": [r[2] for r in rows],
         "parent_code": [r[3] for r in rows]},
        geometry=[r[4] for r in rows], crs="EPSG:4326")


def departments() -> pa.Table:
    return pa.table({
        "dept_code": ["D01", "D02", "D03"],
        "name": ["市数据局", "上城区民政局", "西湖区城管局"],
        "region_code": ["330100", "330102", "330106"],
    })


def reform_apps() -> pa.Table:
    return pa.table({
        "app_id": ["A1", "A2", "A3"],
        "name": ["浙里办事", "一件事", "城市大脑"],
        "runway": ["数字政府", "数字社会", "党政机关整体智治"],
        "region_code": ["330100", "330102", "330106"],
        "lead_dept": ["D01", "D02", "D03"],
        "co_depts": pa.array([["D02", "D03"], [], ["D01"]], pa.list_(pa.string())),
        "stage": ["实施建设", "复制推广", "谋划生成"],
        "iterations": pa.array([3, 0, 1], pa.int64()),
        "in_ledger": [True, True, False],
        "launched_on": pa.array([date(2025, 3, 1), None, date(2026, 1, 15)], pa.date32()),
        "monthly_active_users": pa.array([12000, None, 300], pa.int64()),
        "central_publications": pa.array([1, 0, 0], pa.int64()),
        "provincial_publications": pa.array([2, 1, 0], pa.int64()),
        "meeting_demos": pa.array([0, 1, 0], pa.int64()),
        "expert_score": pa.array([88.5, None, 70.0], pa.float64()),
        "leader_endorsed": [True, False, False],
    })


def ledger_items() -> pa.Table:
    return pa.table({
        "item_id": ["I1", "I2", "I3", "I4"],
        "app_id": ["A1", "A1", "A2", "A3"],
        "list": ["需求", "场景", "改革", "需求"],
        "title": ["办事难", "一网通办", "流程再造", "拥堵"],
        "status": ["done", "in_progress", "planned", "blocked"],
        "owner_dept": pa.array(["D01", None, "D02", "D03"], pa.string()),
        "due_on": pa.array([date(2026, 6, 30), date(2026, 12, 31), None, None], pa.date32()),
        "done_on": pa.array([date(2026, 6, 1), None, None, None], pa.date32()),
    })


REQUEST_SCHEMA = pa.schema([
    ("request_id", pa.string()), ("channel", pa.string()), ("category", pa.string()),
    ("street_code", pa.string()), ("lon", pa.float64()), ("lat", pa.float64()),
    ("received_at", pa.timestamp("us")), ("relayed_at", pa.timestamp("us")),
    ("dispatched_at", pa.timestamp("us")), ("handled_at", pa.timestamp("us")),
    ("closed_at", pa.timestamp("us")), ("due_at", pa.timestamp("us")), ("dept_code", pa.string()),
    ("handling_level", pa.string()), ("status", pa.string()), ("satisfaction", pa.int64()),
    ("reopened", pa.bool_()), ("updated_at", pa.timestamp("us")),
])


def request_row(request_id: str, received_at: datetime, *, closed: bool = True, **overrides) -> dict:
    """One request row; closed ones have every stage time, open ones only received_at."""
    t = received_at
    row = {
        "request_id": request_id, "channel": "12345", "category": "环境卫生",
        "street_code": STREETS[sum(map(ord, request_id)) % len(STREETS)], "lon": 119.5, "lat": 29.5,
        "received_at": t,
        "relayed_at": t + timedelta(hours=1) if closed else None,
        "dispatched_at": t + timedelta(hours=2) if closed else None,
        "handled_at": t + timedelta(days=1) if closed else None,
        "closed_at": t + timedelta(days=2) if closed else None,
        "due_at": t + timedelta(days=5),
        "dept_code": "D03" if closed else None,
        "handling_level": "street",
        "status": "closed" if closed else "received",
        "satisfaction": 3 if closed else None,
        "reopened": False,
        "updated_at": t + timedelta(days=2) if closed else t,
    }
    row.update(overrides)
    return row


def requests_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=REQUEST_SCHEMA)


def requests(n: int = 12) -> pa.Table:
    """n requests spread over September–November 2026 (ids R0000…), every third one still open."""
    start = datetime(2026, 9, 3, 9, 30)
    rows = [request_row(f"R{i:04d}", start + timedelta(days=7 * i, hours=i), closed=(i % 3 != 2),
                        street_code=STREETS[i % len(STREETS)]) for i in range(n)]
    return requests_table(rows)


def indicators() -> pa.Table:
    return pa.table({
        "indicator": ["closure_rate", "satisfaction", "response_hours"],
        "name": ["办结率", "满意率", "响应时长"],
        "unit": ["%", "%", "h"],
        "higher_is_better": [True, True, False],
        "target": [95.0, 90.0, 24.0],
        "weight": [0.4, 0.4, 0.2],
    })


def street_metrics() -> pa.Table:
    rows = []
    for period in (date(2026, 10, 1), date(2026, 11, 1)):
        for i, street in enumerate(STREETS):
            for ind, base in (("closure_rate", 90.0), ("satisfaction", 85.0), ("response_hours", 20.0)):
                rows.append({"period": period, "street_code": street, "indicator": ind, "value": base + i})
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("period", pa.date32()), ("street_code", pa.string()), ("indicator", pa.string()), ("value", pa.float64())]))


def street_vetoes() -> pa.Table:
    return pa.table({
        "period": pa.array([date(2026, 11, 1)], pa.date32()),
        "street_code": ["330106002"],
        "reason": ["安全生产事故"],
    })


BUILDERS = {
    "regions": regions, "departments": departments, "reform_apps": reform_apps,
    "ledger_items": ledger_items, "requests": requests, "indicators": indicators,
    "street_metrics": street_metrics, "street_vetoes": street_vetoes,
}


def write_table(folder: Path, name: str, table) -> Path:
    """Write a pyarrow table, or a GeoDataFrame as GeoParquet, as folder/<name>.parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.parquet"
    if isinstance(table, gpd.GeoDataFrame):
        table.to_parquet(path)
    else:
        pq.write_table(table, path)
    return path


def write_manifest(folder: Path, as_of: str | dict | None = AS_OF, raw: str | None = None) -> None:
    """manifest.json with {"as_of": as_of} (or a given dict, or raw text; None writes none)."""
    folder.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        (folder / "manifest.json").write_text(raw, encoding="utf-8")
    elif as_of is not None:
        data = as_of if isinstance(as_of, dict) else {"as_of": as_of}
        (folder / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


def write_drop(folder: Path, *, as_of: str | None = AS_OF, only: tuple[str, ...] | None = None,
               **tables) -> Path:
    """Write a valid drop (every core table, or `only` those), with `tables` overriding builders.

    Pass NAME=table to replace or add a table (extra tables too), NAME=None to leave it out.
    """
    names = CORE if only is None else only
    content = {n: BUILDERS[n]() for n in names}
    content.update(tables)
    for name, table in content.items():
        if table is not None:
            write_table(folder, name, table)
    write_manifest(folder, as_of)
    return folder


def city_regions() -> gpd.GeoDataFrame:
    """The same tree with its city at the top (no province): 330100 → its counties → streets."""
    rows = regions()
    rows = rows[rows.region_code != "330000"].copy()
    rows.loc[rows.region_code == "330100", "parent_code"] = None
    return rows


def city_store(folder: Path, **tables) -> Path:
    """A store with a city-topped drop published as its live snapshot (`tables` as for write_drop)."""
    from cockpit.ingest import cli_ingest

    drop = write_drop(folder / "drop", regions=city_regions(), **tables)
    store = folder / "store"
    assert cli_ingest(drop, store) == 0
    return store


def with_column(table: pa.Table, name: str, values, type: pa.DataType | None = None) -> pa.Table:
    """The table with column `name` replaced (or appended) by `values`."""
    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, type=type)
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, arr)
    return table.append_column(name, arr)


def with_value(table: pa.Table, name: str, row: int, value) -> pa.Table:
    """The table with one cell changed (keeping the column's type)."""
    values = table.column(name).to_pylist()
    values[row] = value
    return with_column(table, name, pa.array(values, type=table.schema.field(name).type))


def hash_tree(folder: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under folder (plus mtimes, to catch touching)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest() + f"@{p.stat().st_mtime_ns}"
    return out


def read_requests(snapshot_dir: Path) -> pa.Table:
    """Every request row of a snapshot, sorted by request_id."""
    files = sorted((snapshot_dir / "requests").glob("month=*/data.parquet"))
    if not files:
        return REQUEST_SCHEMA.empty_table()
    t = pa.concat_tables([pq.read_table(f) for f in files])
    return t.sort_by("request_id")
