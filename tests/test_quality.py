"""Data-quality flags: counted at ingest on a drop with planted problems, listed by `cockpit quality`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import drops
from cockpit.analytics.quality import FLAGS, FLAGS_BY_NAME
from cockpit.cli import main
from cockpit.ingest import ingest
from cockpit.snapshot import live_snapshot_dir
from quality_support import PLANTED, planted_store


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return planted_store(tmp_path_factory.mktemp("quality"))


def _rollup(store: Path) -> list[dict]:
    return pq.read_table(live_snapshot_dir(store) / "rollups" / "quality_flags.parquet").to_pylist()


def test_every_planted_flag_is_counted_per_region_with_its_ids(store):
    got: dict[str, dict[str, list[str]]] = {}
    for row in _rollup(store):
        assert row["flagged"] == len(row["example_ids"])  # few planted: every id is an example
        assert row["source_table"] == FLAGS_BY_NAME[row["flag"]].table
        got.setdefault(row["flag"], {})[row["region_code"]] = row["example_ids"]
    assert got == {flag: regions for flag, regions in PLANTED.items() if regions}


def test_manifest_lists_the_rollup(store):
    manifest = json.loads((live_snapshot_dir(store) / "manifest.json").read_text())
    assert manifest["tables"]["quality_flags"] == {"rows": len(_rollup(store)), "kind": "rollup"}


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = main(["quality", *args])
    return code, capsys.readouterr().out


def test_cli_csv_lists_every_flag_with_counts_equal_to_planted(store, capsys):
    code, out = _cli(capsys, "--store", str(store), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["flag"] for r in rows] == [f.name for f in FLAGS]
    for r in rows:
        planted = sorted(i for ids in PLANTED[r["flag"]].values() for i in ids)
        assert int(r["count"]) == len(planted), r["flag"]
        assert r["example_ids"].split() == planted[:5]
        assert r["table"] == FLAGS_BY_NAME[r["flag"]].table


def test_cli_json_within_a_county(store, capsys):
    county = "330106"  # streets S3 and S4
    code, out = _cli(capsys, "--store", str(store), "--format", "json", "--region", county)
    assert code == 0
    doc = json.loads(out)
    assert doc["region"] == county
    counts = {f["flag"]: f["count"] for f in doc["flags"]}
    for flag, regions in PLANTED.items():
        want = sum(len(ids) for code_, ids in regions.items() if code_.startswith(county))
        assert counts[flag] == want, flag
    assert all(f["label"]["zh"] and f["label"]["en"] for f in doc["flags"])


def test_first_snapshot_has_no_arrival_flags_and_a_drop_without_requests_keeps_state_flags(tmp_path, capsys):
    store = tmp_path / "store"
    assert ingest(drops.write_drop(tmp_path / "first", requests=drops.requests_table(
        [drops.request_row("N1", drops.datetime(2026, 11, 3, 9), category="新类别", lon=None, lat=None)])),
        store, log=lambda *_: None).ok
    code, out = _cli(capsys, "--store", str(store), "--format", "csv")
    counts = {r["flag"]: int(r["count"]) for r in csv.DictReader(io.StringIO(out))}
    assert counts["new_category"] == 0 and counts["missing_coordinates"] == 1
    assert ingest(drops.write_drop(tmp_path / "second", only=("indicators",)), store, log=lambda *_: None).ok
    code, out = _cli(capsys, "--store", str(store), "--format", "csv")
    counts = {r["flag"]: int(r["count"]) for r in csv.DictReader(io.StringIO(out))}
    assert counts["missing_coordinates"] == 1  # still in the served data
    assert counts["new_category"] == 0


def test_cli_without_a_store_is_a_clear_error(tmp_path, capsys):
    assert main(["quality", "--store", str(tmp_path / "none")]) == 2
    assert "no published snapshot" in capsys.readouterr().err
