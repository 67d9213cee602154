"""`cockpit query PANEL`: one panel's result on the live snapshot, as CSV or JSON; strict about the
region and period it is asked for (an error naming what is available, not a silent default)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from conftest import ROOT


def _query(store, *args):
    return subprocess.run([sys.executable, "-m", "cockpit.cli", "query", *args, "--store", str(store)],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "COCKPIT_ENGINE": "duckdb"})


def test_csv_and_json_print_the_same_rows(demo_store):
    as_csv = _query(demo_store, "category_bar", "--format", "csv")
    as_json = _query(demo_store, "category_bar", "--format", "json")
    assert as_csv.returncode == 0 and as_json.returncode == 0, as_csv.stderr + as_json.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    records = json.loads(as_json.stdout)
    assert len(rows) == len(records) > 0
    assert [r["category"] for r in rows] == [r["category"] for r in records]
    assert set(records[0]) == {"category", "requests", "previous"}


def test_region_and_period_narrow_the_result(demo_store):
    whole = json.loads(_query(demo_store, "kpi_requests", "--format", "json").stdout)[0]["value"]
    city = json.loads(_query(demo_store, "kpi_requests", "--region", "330100", "--format", "json").stdout)[0]["value"]
    october = _query(demo_store, "kpi_requests", "--region", "330100", "--period", "2026-10", "--format", "json")
    assert october.returncode == 0, october.stderr
    assert 0 < city < whole
    assert json.loads(october.stdout)[0]["value"] >= 0
    sparkline = _query(demo_store, "kpi_requests", "--query", "sparkline", "--format", "json")
    assert sparkline.returncode == 0 and set(json.loads(sparkline.stdout)[0]) == {"x", "y"}


def test_bad_arguments_are_clear_errors(demo_store):
    unknown = _query(demo_store, "no_such_panel")
    assert unknown.returncode == 1 and "no panel 'no_such_panel'" in unknown.stderr and "kpi_requests" in unknown.stderr
    region = _query(demo_store, "kpi_requests", "--region", "999999")
    assert region.returncode == 1 and "--region '999999' is not a region code" in region.stderr
    period = _query(demo_store, "kpi_requests", "--period", "1999-01")
    assert period.returncode == 1 and "expected YYYY-MM, one of" in period.stderr
    query = _query(demo_store, "kpi_requests", "--query", "nope")
    assert query.returncode == 1 and "its [queries]: sparkline" in query.stderr
