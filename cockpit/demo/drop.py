"""Write the demo drop: a folder that follows data contract v1 exactly, ready for `cockpit ingest`.

Everything is derived from the seed through independent random streams (see `rand.py`), so the
same seed gives the same table contents, and the request count only changes requests.parquet.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cockpit.demo import departments, extras, indicators, ledger, officials
from cockpit.demo.geography import build_geography, regions_for_parquet
from cockpit.demo.requests import write_requests

# Every file this module writes; nothing else in `out` is touched.
FILES = (
    "manifest.json", "regions.parquet", "departments.parquet", "reform_apps.parquet",
    "ledger_items.parquet", "requests.parquet", "indicators.parquet", "street_metrics.parquet",
    "street_vetoes.parquet", "digital_officials.parquet", "report_burden.parquet", "disability_tasks.parquet",
)


def _write_table(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_demo_drop(out: Path, requests: int = 300_000, seed: int = 2026, as_of: str | dt.date = "2026-11-25") -> Path:
    """Write the demo drop into `out` (created if needed; our files overwritten) and return it.

    Each file is written under a temporary name and renamed into place, so a reader never sees
    a half-written parquet; manifest.json comes last, as a provider's would.
    """
    out = Path(out)
    as_of_d = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    if requests < 0:
        raise ValueError("requests must be >= 0")
    out.mkdir(parents=True, exist_ok=True)

    geo = build_geography(seed)
    tmp = out / ".regions.parquet.tmp"
    regions_for_parquet(geo.regions).to_parquet(tmp, index=False, compression="zstd")
    os.replace(tmp, out / "regions.parquet")

    depts = departments.departments_table()
    _write_table(depts, out / "departments.parquet")
    _write_table(officials.officials_table(geo.regions, depts, seed), out / "digital_officials.parquet")
    apps = ledger.build_apps(seed, as_of_d)
    _write_table(ledger.apps_table(apps), out / "reform_apps.parquet")
    _write_table(ledger.items_table(ledger.build_items(apps, seed, as_of_d)), out / "ledger_items.parquet")

    tmp = out / ".requests.parquet.tmp"
    write_requests(tmp, geo, requests, seed, as_of_d)
    os.replace(tmp, out / "requests.parquet")

    _write_table(indicators.indicators_table(), out / "indicators.parquet")
    _write_table(indicators.street_metrics_table(geo, seed, as_of_d), out / "street_metrics.parquet")
    _write_table(indicators.street_vetoes_table(geo, seed, as_of_d), out / "street_vetoes.parquet")
    _write_table(extras.report_burden_table(seed, as_of_d), out / "report_burden.parquet")
    _write_table(extras.disability_tasks_table(seed, as_of_d), out / "disability_tasks.parquet")

    manifest = {"as_of": as_of_d.isoformat(), "source": "demo", "seed": seed, "synthetic": True}
    tmp = out / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
    return out
