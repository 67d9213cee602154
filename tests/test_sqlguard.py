"""Panel SQL cannot see past the scope: a panel reading an unscoped table, a file or a table
function is refused at load (the app does not start), by `cockpit check`, and again by run_sql.
Real DuckDB parse trees, the real demo snapshot and its real parquet files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cockpit.db import Database
from cockpit.filters import FilterState, resolve
from cockpit.query import QueryError, refusals, run_sql
from cockpit.specs.check import check_all
from cockpit.specs.loader import load_catalog
from cockpit.sqlguard import REGION_COLUMNS, REGIONAL_ROLLUPS, static_rules
from cockpit.web.catalog import BrokenSpecs, CatalogHolder

ROOT = Path(__file__).resolve().parent.parent
SNAP_SCHEMA = "snap_00001_2026_11_25"

#: (panel SQL, the name the refusal must name, what it must say to use instead)
REFUSED = [
    ("select count(*) as n from requests", "'requests'", "use requests_scoped"),
    ("select name from regions", "'regions'", "use region_names"),
    ("select count(*) as n from reform_apps", "'reform_apps'", "use reform_apps_scoped"),
    ("select avg(score) as n from street_scores", "'street_scores'", "use street_scores_scoped"),
    ("select count(*) as n from region_tree", "'region_tree'", "use region_tree_scoped"),
    ("select sum(received) as n from requests_daily", "'requests_daily'", "use requests_daily_scoped"),
    ("select name from departments", "'departments'", "use department_names"),
    ("select count(*) as n from REQUESTS", "'requests'", "use requests_scoped"),
    (f"select count(*) as n from {SNAP_SCHEMA}.requests", f"'{SNAP_SCHEMA}.requests'", "use requests_scoped"),
    (f"select count(*) as n from {SNAP_SCHEMA}.requests_scoped", f"'{SNAP_SCHEMA}.requests_scoped'",
     "use requests_scoped"),
    ("select * from main.x", "'main.x'", "requests_scoped"),
    ("select * from memory.main.requests_scoped", "'memory.main.requests_scoped'", "use requests_scoped"),
    ("select count(*) as n from 'x.parquet'", "'x.parquet'", "requests_scoped"),
    ("select count(*) as n from \"snapshots/x/requests/month=2026-01/data.parquet\"",
     "'snapshots/x/requests/month=2026-01/data.parquet'", "requests_scoped"),
    ("select count(*) as n from read_parquet('x.parquet')", "read_parquet(...)", "requests_scoped"),
    ("select count(*) as n from parquet_scan('x.parquet')", "parquet_scan(...)", "requests_scoped"),
    ("select count(*) as n from read_csv('x.csv')", "read_csv(...)", "requests_scoped"),
    ("select count(*) as n from read_json('x.json')", "read_json(...)", "requests_scoped"),
    ("select * from glob('*')", "glob(...)", "requests_scoped"),
    ("select * from query_table('requests')", "query_table(...)", "requests_scoped"),
    ("select * from query('select * from requests')", "query(...)", "requests_scoped"),
    ("select * from sql_auto_complete('sel')", "sql_auto_complete(...)", "requests_scoped"),
    ("select * from duckdb_tables()", "duckdb_tables(...)", "requests_scoped"),
    ("select * from duckdb_settings()", "duckdb_settings(...)", "requests_scoped"),
    ("select * from parquet_metadata('x.parquet')", "parquet_metadata(...)", "requests_scoped"),
    ("select read_text('x') as t", "read_text()", "requests_scoped"),
    ("select read_blob('x') as t", "read_blob()", "requests_scoped"),
    ("select getenv('HOME') as t", "getenv()", "requests_scoped"),
    ("select current_setting('allowed_directories') as t", "current_setting()", "requests_scoped"),
    ("select main.lower('A') as t", "main.lower()", "(lower)"),
    ("select * from pg_tables", "'pg_tables'", "requests_scoped"),
    ("summarize requests_scoped", "DESCRIBE / SUMMARIZE", "requests_scoped"),
    # Hidden anywhere in the statement.
    ("select (select count(*) from requests) as n", "'requests'", "use requests_scoped"),
    ("select 1 as n where exists (select 1 from requests)", "'requests'", "use requests_scoped"),
    ("select count(*) as n from requests_scoped where street_code in (select street_code from requests)",
     "'requests'", "use requests_scoped"),
    ("select 1 as n union all select count(*) from requests", "'requests'", "use requests_scoped"),
    ("select count(*) as n from requests_scoped r, lateral (select * from requests q "
     "where q.request_id = r.request_id)", "'requests'", "use requests_scoped"),
    ("with x as (select * from requests) select count(*) as n from x", "'requests'", "use requests_scoped"),
    ("select list_transform([1], v -> (select count(*) from requests)) as n", "'requests'", "use requests_scoped"),
    # CTEs are visible as DuckDB binds them: in order, and only where they are defined.
    ("with a as (select * from requests), requests as (select * from requests_scoped) "
     "select count(*) as n from a", "'requests'", "use requests_scoped"),
    ("with requests as (select * from requests) select count(*) as n from requests", "'requests'",
     "use requests_scoped"),
    ("select count(*) as n from (with requests as (select * from requests_scoped) select 1) s, requests",
     "'requests'", "use requests_scoped"),
    ("select (with requests as (select 1) select count(*) from requests) as a, "
     "(select count(*) from requests) as n", "'requests'", "use requests_scoped"),
]

ALLOWED = [
    "select count(*) as n from requests_scoped",
    "with requests as (select * from requests_scoped) select count(*) as n from requests",
    "with a as (select * from requests_scoped), b as (select * from a) select count(*) as n from b",
    "with recursive t(n) as (select 1 union all select n + 1 from t where n < 3) select n from t",
    "select range as n from range(3)",
    "select unnest(generate_series(1, 3)) as n",
    "select i.name from indicators i",
    "select count(*) as n from ledger_items",
    "select r.name from region_names r join scope using (region_code)",
    "select count(*) as n from region_tree_scoped",
    "select count(*) as n from app_visibility",
    "select count(*) as n from department_names",
    "from requests_daily_scoped select sum(received) as n",
]


@pytest.fixture()
def db(demo_store, use_store):
    use_store(demo_store)
    return Database(demo_store)


@pytest.fixture()
def layouts(tmp_path) -> Path:
    dst = tmp_path / "layouts"
    shutil.copytree(ROOT / "layouts", dst)
    return dst


def ctx_for(db, **state):
    return resolve(FilterState(**state), db, None).ctx


def panel(sql: str) -> str:
    return (f'title = {{ zh = "泄露" }}\nkind = "kpi"\nsql = {json.dumps(sql, ensure_ascii=False)}\n'
            '[options]\nvalue = "n"\n')


@pytest.mark.parametrize("sql, name, instead", REFUSED)
def test_run_sql_refuses_reading_past_the_scope(db, sql, name, instead):
    with pytest.raises(QueryError, match="panel SQL refused") as exc:
        run_sql(sql, ctx_for(db, region="330106"), db=db)
    assert name in str(exc.value) and instead in str(exc.value)


@pytest.mark.parametrize("sql, name, instead", REFUSED)
def test_loading_refuses_reading_past_the_scope(layouts, sql, name, instead):
    (layouts / "panels" / "zz_leak.toml").write_text(panel(sql), encoding="utf-8")
    errors = [str(e) for e in load_catalog(layouts, static_rules()).errors]
    assert any(e.startswith("layouts/panels/zz_leak.toml: sql: ") and name in e and instead in e
               for e in errors), errors


@pytest.mark.parametrize("sql", ALLOWED)
def test_what_panel_sql_may_read_runs(db, sql):
    assert refusals(db, db.live_id(), sql) == []
    run_sql(sql, ctx_for(db, region="330106"), db=db)


def test_extra_queries_are_guarded_too(layouts):
    path = layouts / "panels" / "kpi_requests.toml"
    text = path.read_text(encoding="utf-8").replace("from requests_street_days\nwhere day >=",
                                                    "from requests_daily\nwhere day >=")
    path.write_text(text, encoding="utf-8")
    errors = [str(e) for e in load_catalog(layouts, static_rules()).errors]
    assert ("layouts/panels/kpi_requests.toml: queries.sparkline: reads 'requests_daily', which holds every "
            "region, not just the viewer's: use requests_daily_scoped") in errors, errors


def test_the_guard_is_what_stops_reading_the_snapshot_files(db):
    """DuckDB may read the store's snapshots (the views are over those files): only the guard
    keeps a panel from reading a whole file, here the province's ledger apps."""
    snap = db.live_id()
    path = db.attach(snap).path / "tables" / "reform_apps.parquet"
    county = ctx_for(db, region="330106")
    scoped = run_sql("select count(*) as n from reform_apps_scoped", county, db=db).n[0]
    whole = db.snapshot_cursor(snap).execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
    assert 0 < scoped < whole
    for sql in (f"select count(*) as n from read_parquet('{path}')", f"select count(*) as n from '{path}'",
                f"select count(*) as n from {SNAP_SCHEMA}.reform_apps"):
        with pytest.raises(QueryError, match="panel SQL refused"):
            run_sql(sql, county, db=db)


def test_the_app_refuses_to_start_and_dev_mode_shows_the_refusal(layouts, demo_store, use_store):
    use_store(demo_store)
    (layouts / "panels" / "zz_leak.toml").write_text(panel("select count(*) as n from requests"), encoding="utf-8")
    with pytest.raises(BrokenSpecs) as exc:
        CatalogHolder(layouts)
    assert ("layouts/panels/zz_leak.toml: sql: reads 'requests', which holds every region, not just the "
            "viewer's: use requests_scoped") in str(exc.value)
    (layouts / "panels" / "zz_leak.toml").unlink()
    holder = CatalogHolder(layouts, dev=True)
    (layouts / "panels" / "zz_leak.toml").write_text(panel("select count(*) as n from read_parquet('x.parquet')"),
                                                     encoding="utf-8")
    holder._checked = 0  # skip the half-second throttle
    assert "zz_leak" not in holder.get().panels  # the last good catalog keeps serving
    assert any("zz_leak.toml: sql: calls the table function read_parquet(...)" in str(e) for e in holder.errors)


def test_an_analysts_regional_table_is_decided_by_the_snapshot(layouts, demo_store, use_store):
    """An extra table's columns are known only to a snapshot: without one the loader leaves it;
    with the live snapshot (the app's start, `cockpit check`) it is refused."""
    (layouts / "panels" / "zz_leak.toml").write_text(panel("select count(*) as n from disability_tasks"),
                                                     encoding="utf-8")
    assert not [e for e in load_catalog(layouts, static_rules()).errors if "zz_leak" in e.file]
    use_store(demo_store)
    loaded = [str(e) for e in load_catalog(layouts).errors]
    assert ("layouts/panels/zz_leak.toml: sql: reads 'disability_tasks', which holds every region, not just "
            "the viewer's: use disability_tasks_scoped") in loaded, loaded
    # A non-regional extra table (no street or region column) may be read as it is.
    (layouts / "panels" / "zz_leak.toml").write_text(panel("select count(*) as n from indicators"), encoding="utf-8")
    assert check_all(demo_store, layouts)[1] == []


def test_cockpit_check_refuses_and_names_file_key_and_name(demo_store, layouts):
    (layouts / "panels" / "zz_leak.toml").write_text(panel("select count(*) as n from street_scores"),
                                                     encoding="utf-8")
    (layouts / "panels" / "zz_file.toml").write_text(panel("select count(*) as n from read_csv('/etc/passwd')"),
                                                     encoding="utf-8")
    cmd = [sys.executable, "-m", "cockpit.cli", "check", "--store", str(demo_store), "--layouts", str(layouts)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1
    assert ("layouts/panels/zz_leak.toml: sql: reads 'street_scores', which holds every region, not just the "
            "viewer's: use street_scores_scoped") in out.stderr
    assert "layouts/panels/zz_file.toml: sql: calls the table function read_csv(...)" in out.stderr


def test_every_shipped_panel_reads_only_what_it_may(db):
    catalog = load_catalog(ROOT / "layouts")
    assert catalog.errors == []
    for pid, p in catalog.panels.items():
        for sql in [p.spec.sql, *p.spec.queries.values()]:
            assert refusals(db, db.live_id(), sql) == [], pid


def test_trusted_method_statements_run_and_their_copies_do_not(db):
    from cockpit.analytics.scores import street_scores_sql

    ctx = ctx_for(db, region="330106")
    sql = street_scores_sql(1)
    weights = {"w_ind_0": "I01", "w_val_0": 1.0}
    assert len(run_sql(street_scores_sql(), ctx, db=db)) > 0
    run_sql(sql, ctx, db=db, extra=weights)
    with pytest.raises(QueryError, match="panel SQL refused"):
        run_sql(sql + "\n", ctx, db=db, extra=weights)  # not the method's text: panel SQL, checked


def test_statements_the_guard_cannot_read_are_refused(db):
    for sql in ("pivot requests_scoped on category using count(*)", "select 1; select 2"):
        with pytest.raises(QueryError, match="panel SQL refused"):
            run_sql(sql, ctx_for(db), db=db)


def test_python_variables_are_not_tables(db):
    secret_frame = __import__("pandas").DataFrame({"s": [1]})  # noqa: F841 - a replacement scan would find it
    db.attach(db.live_id())
    with pytest.raises(duckdb.CatalogException):
        db.cursor().execute("select * from secret_frame")


def test_regional_rollups_are_known_to_the_read_side(db):
    """The loader knows which rollups are regional without a snapshot (the read side may not
    import the ingest's rollup registry): checked here against a real snapshot."""
    snap = db.live_id()
    info = db.attach(snap)
    from cockpit.contract import CONTRACTS

    for view in db.tables(snap):
        regional = bool(set(db.columns(snap, view)) & set(REGION_COLUMNS))
        kind = info.tables.get(view, "core")
        if kind == "rollup":
            assert regional == (view in REGIONAL_ROLLUPS), view
        elif kind == "core":
            assert view in CONTRACTS, view
    assert set(REGIONAL_ROLLUPS) <= {v for v, k in info.tables.items() if k == "rollup"}
    assert set(static_rules().regional) >= set(REGIONAL_ROLLUPS) | {"requests", "regions", "reform_apps"}
