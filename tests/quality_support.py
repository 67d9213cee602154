"""A drop with known, planted data-quality problems (on top of the clean drop of `drops`).

`planted_drop(folder)` writes a second delivery for a store that already holds `drops.write_drop`:
new requests, each planted with exactly one problem, plus street metrics with one street left
out of the latest month and one street missing an indicator. `PLANTED` says how many rows of
each flag were planted and in which street, so tests compare the counted flags with it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

import drops

S1, S2, S3, S4 = drops.STREETS
T0 = datetime(2026, 11, 2, 9, 0)

# flag -> {street: [ids]}
PLANTED: dict[str, dict[str, list[str]]] = {
    "closed_without_handled_time": {S1: ["Q101", "Q102"], S3: ["Q103"]},
    "stage_time_missing": {S2: ["Q201", "Q202"]},
    "missing_coordinates": {S1: ["Q301"], S2: ["Q302"], S4: ["Q303", "Q304"]},
    "dispatched_without_department": {S3: ["Q401"]},
    "missing_due_time": {S4: ["Q501", "Q502"]},
    "due_before_received": {S1: ["Q601"]},
    "new_category": {S2: ["Q701", "Q702"], S3: ["Q703"]},
    "new_channel": {S4: ["Q801"]},
    "late_update_after_closing": {S1: ["Q901"], S3: ["Q902"]},
    "street_without_metrics": {S4: [S4]},
    "street_metrics_incomplete": {S3: [S3]},
    # drops.ledger_items has I2 without an owner already; the planted drop adds I5.
    "item_without_owner": {"330100": ["I2", "I5"]},
    "app_without_items": {},
}


def planted_requests() -> pa.Table:
    rows = []

    def add(rid: str, street: str, **over) -> None:
        rows.append(drops.request_row(rid, T0 + timedelta(hours=len(rows)), street_code=street, **over))

    t = T0
    for street, ids in PLANTED["closed_without_handled_time"].items():
        for rid in ids:
            add(rid, street, handled_at=None)
    for street, ids in PLANTED["stage_time_missing"].items():
        for rid in ids:
            add(rid, street, relayed_at=None)
    for street, ids in PLANTED["missing_coordinates"].items():
        for rid in ids:
            add(rid, street, lon=None, lat=None)
    for street, ids in PLANTED["dispatched_without_department"].items():
        for rid in ids:
            add(rid, street, dept_code=None)
    for street, ids in PLANTED["missing_due_time"].items():
        for rid in ids:
            add(rid, street, due_at=None)
    for street, ids in PLANTED["due_before_received"].items():
        for rid in ids:
            rows.append(drops.request_row(rid, t, street_code=street, due_at=t - timedelta(days=1)))
    for street, ids in PLANTED["new_category"].items():
        for rid in ids:
            add(rid, street, category="噪音扰民")
    for street, ids in PLANTED["new_channel"].items():
        for rid in ids:
            add(rid, street, channel="浙里办")
    for street, ids in PLANTED["late_update_after_closing"].items():
        for rid in ids:
            start = datetime(2026, 9, 1, 8, 0)
            rows.append(drops.request_row(rid, start, street_code=street, updated_at=datetime(2026, 11, 20, 8, 0)))
    # A clean request too: a drop is never all problems.
    add("Q000", S2)
    return drops.requests_table(rows)


def planted_metrics() -> pa.Table:
    t = drops.street_metrics()
    keep = [not (p == date(2026, 11, 1) and (s == S4 or (s == S3 and i == "response_hours")))
            for p, s, i in zip(t.column("period").to_pylist(), t.column("street_code").to_pylist(),
                               t.column("indicator").to_pylist())]
    return t.filter(pa.array(keep))


def planted_items() -> pa.Table:
    t = drops.ledger_items()
    extra = pa.table({
        "item_id": ["I5"], "app_id": ["A1"], "list": ["改革"], "title": ["无人认领"], "status": ["planned"],
        "owner_dept": pa.array([None], pa.string()), "due_on": pa.array([date(2026, 10, 1)], pa.date32()),
        "done_on": pa.array([None], pa.date32()),
    })
    return pa.concat_tables([t, extra.cast(t.schema)])


def planted_drop(folder: Path) -> Path:
    """The second delivery: planted requests, metrics and ledger items (other tables kept)."""
    return drops.write_drop(folder, only=("requests", "street_metrics", "ledger_items"),
                            requests=planted_requests(), street_metrics=planted_metrics(),
                            ledger_items=planted_items())


def planted_store(base: Path) -> Path:
    """A store with the clean drop, then the planted one, published (the planted one live)."""
    from cockpit.ingest import ingest

    store = base / "store"
    assert ingest(drops.write_drop(base / "clean"), store, log=lambda *_: None).ok
    result = ingest(planted_drop(base / "planted"), store, log=lambda *_: None)
    assert result.ok, [str(p) for p in result.problems]
    return store
