"""Equivalence is the contract: every shipped panel statement, every analytics method and the
statements code runs whole (published and what-if scores) run on DuckDB and on a real local Spark
Connect server (local[2], UTC, TIMESTAMP_NTZ) over the same demo store, and the rows agree:
columns and their order, the kind of each column, row order where the SQL orders, values (floats
within `FLOAT_TOLERANCE`). Scoping, bound parameters, timeouts (the job really stops) and result
caps behave the same on both engines.

Budget (CI, 2 cores): about a minute and 1.5 GB. The server is `spark_server.SMALL_CONF` (512 MB
heap, C1-only JIT, no code generation, one shuffle partition: on this small store a statement's
cost is mostly planning), with an event log so the timeout test can see the server's jobs; Spark
statements drop the CTEs they do not read and are sent once; the Spark results are computed a few
at a time in one session."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from conftest import ROOT
from engine_support import FLOAT_TOLERANCE, differences, shipped_queries
from service_support import free_port

QUERIES = shipped_queries(ROOT / "layouts", what_if=2)


@pytest.fixture(scope="module")
def spark_remote(tmp_path_factory):
    """A local Spark Connect server for this module (pyspark's own start script)."""
    from cockpit.engines import spark_server
    from cockpit.engines.spark import get_engine
    from cockpit.settings import get_settings

    port = free_port()
    work = tmp_path_factory.mktemp("spark")
    events = work / "events"
    events.mkdir()
    conf = {**spark_server.SMALL_CONF, "spark.eventLog.enabled": "true", "spark.eventLog.dir": events.as_uri(),
            "spark.eventLog.compress": "false"}
    proc = spark_server.start(port, work / "spark-connect.log", spark_server.SMALL_DRIVER_MEMORY, conf)
    remote = f"sc://127.0.0.1:{port}"
    SPARK_EVENTS["dir"] = events
    old = os.environ.get("COCKPIT_SPARK_REMOTE")
    os.environ["COCKPIT_SPARK_REMOTE"] = remote
    get_settings.cache_clear()
    try:
        yield remote
    finally:
        get_engine(remote).close()
        spark_server.stop(proc)
        if old is None:
            os.environ.pop("COCKPIT_SPARK_REMOTE", None)
        else:
            os.environ["COCKPIT_SPARK_REMOTE"] = old
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def engines_db(demo_store, spark_remote):
    from cockpit.db import Database

    os.environ["COCKPIT_STORE"] = str(demo_store)
    return Database(demo_store)


def _ctx(db, **state):
    from cockpit.filters import FilterState, resolve

    return resolve(FilterState(**state), db, None).ctx


@pytest.fixture(scope="module")
def street_ctx(engines_db):
    """A county-level page with one of its streets chosen (the street pages bind $street)."""
    from cockpit.query import run_sql

    ctx = _ctx(engines_db)
    row = run_sql("select t.region_code, t.parent_code from region_names t where t.level = 'street' "
                  "order by t.region_code limit 1", ctx, db=engines_db).iloc[0]
    return _ctx(engines_db, region=row["parent_code"], street=row["region_code"])


SPARK_EVENTS: dict = {}


@pytest.fixture(scope="module")
def what_if_weights(engines_db, street_ctx):
    """Weights the what-if panel could send: the snapshot's first indicators, one switched off and
    the others given new weights (so the ranking moves)."""
    from cockpit.query import run_sql

    codes = list(run_sql("select indicator from indicators order by indicator", street_ctx, db=engines_db)["indicator"])
    weights = [0.0, 3.0, 0.5][: len(codes)]
    return dict(zip(codes, weights))


def _run(query, ctx, db, engine, weights, **kw):
    """One shipped query as the cockpit runs it: statements at the assessed month, the what-if
    ones with their weights bound one value per parameter."""
    from cockpit.analytics.scores import weight_params
    from cockpit.query import run_sql

    extra = None
    if query.name.startswith("statement:"):
        ctx = replace(ctx, period_start=ctx.score_period)
    if query.weights:
        chosen = dict(list(weights.items())[: query.weights])
        assert len(chosen) == query.weights, "the snapshot has fewer indicators than the statement binds"
        extra = weight_params(chosen)
    return run_sql(query.sql, ctx, db=db, engine=engine, extra=extra, **kw)


@pytest.fixture(scope="module")
def spark_results(engines_db, street_ctx, what_if_weights):
    """Every shipped query's Spark result (or its error), run a few at a time in one session:
    Spark's cost is mostly planning and scheduling, which overlap across concurrent statements."""
    from cockpit.query import QueryError

    def one(query):
        try:
            return _run(query, street_ctx, engines_db, "spark", what_if_weights, timeout_s=300)
        except QueryError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=3) as pool:  # COCKPIT_MAX_CONCURRENT_QUERIES
        return dict(zip((q.name for q in QUERIES), pool.map(one, QUERIES)))


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_every_shipped_query_gives_the_same_rows_on_both_engines(query, engines_db, street_ctx, spark_results,
                                                                 what_if_weights):
    duck = _run(query, street_ctx, engines_db, "duckdb", what_if_weights)
    spark = spark_results[query.name]
    assert not isinstance(spark, Exception), f"fails on Spark: {spark}"
    assert differences(duck, spark, query.ordered) == []
    if query.weights:  # the weights are bound and count: not the published scores again
        from cockpit.analytics.scores import street_scores_sql

        chosen = dict(list(what_if_weights.items())[: query.weights])
        assert len(duck) > 0
        if "indicator" in query.name:
            shown = duck[duck["indicator"].isin(list(chosen))].drop_duplicates("indicator")
            assert dict(zip(shown["indicator"], shown["weight"])) == chosen
        else:
            published = _run(replace(query, sql=street_scores_sql(), weights=0), street_ctx, engines_db, "duckdb",
                             what_if_weights)
            assert differences(duck, published, query.ordered) != []


def test_the_suite_covers_every_panel_and_every_method():
    from cockpit.relations import RELATIONS
    from cockpit.specs.loader import load_catalog

    names = {q.name for q in QUERIES}
    assert set(load_catalog(ROOT / "layouts").panels) <= names
    assert {f"relation:{r}" for r in RELATIONS} <= names
    assert {"statement:street_scores", "statement:what_if_street_scores", "statement:what_if_indicator_scores"} <= names
    assert FLOAT_TOLERANCE < 1e-6


# The overrides of sqlglot's translation, each on a value where sqlglot alone would be wrong.
PROBES = {
    "epoch keeps the fraction of a second":
        "select epoch(cast('2026-03-01 08:00:01.25' as timestamp)) - epoch(cast('2026-03-01 08:00:00' as timestamp)) as s",
    "date_trunc of a date is a naive timestamp":
        "select date_trunc('month', cast($as_of as date)) as m",
    "a date minus an interval is a naive timestamp":
        "select cast($as_of as date) - interval 60 day as d",
    "decimal literals divide as doubles":
        "select 1.0 * count(*) / 3 as share from region_names",
    "two methods' CTEs of the same name stay apart":
        "select count(*) as n from app_visibility v join app_collaboration c on c.app_id = v.app_id",
    "strftime patterns": "select strftime(cast($as_of as date), '%Y-%m-%d') as day",
    "median is exact": "select median(level_n) as m from (select length(region_code) as level_n from region_names)",
    "count filter": "select count(*) filter (where level = 'street') as streets from region_names",
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_the_translation_overrides_keep_duckdbs_meaning(name, engines_db, street_ctx):
    from cockpit.query import run_sql

    duck = run_sql(PROBES[name], street_ctx, db=engines_db, engine="duckdb")
    spark = run_sql(PROBES[name], street_ctx, db=engines_db, engine="spark", timeout_s=300)
    assert differences(duck, spark, ordered=True) == []
    assert len(duck) >= 1


def test_scoping_and_bound_values_are_the_same_on_spark(engines_db):
    from dataclasses import replace

    from cockpit.query import run_sql

    sql = "select count(*) as n from requests_scoped"
    whole = _ctx(engines_db)
    city = _ctx(engines_db, region="330100")
    counts = {e: (run_sql(sql, whole, db=engines_db, engine=e).n[0], run_sql(sql, city, db=engines_db, engine=e).n[0])
              for e in ("duckdb", "spark")}
    assert counts["duckdb"] == counts["spark"] and 0 < counts["spark"][1] < counts["spark"][0]
    hostile = replace(whole, filters={"category": "x' or 1=1 --"})  # a value, never SQL
    assert run_sql(sql, hostile, db=engines_db, engine="spark").n[0] == 0


def test_result_caps_and_timeouts_hold_on_spark(engines_db, monkeypatch):
    from cockpit.query import QueryError, QueryTimeout, run_sql
    from cockpit.settings import get_settings

    ctx = _ctx(engines_db)
    monkeypatch.setenv("COCKPIT_MAX_RESULT_ROWS", "5")
    get_settings.cache_clear()
    try:
        with pytest.raises(QueryError, match="more than 5 rows"):
            run_sql("select region_code from region_names", ctx, db=engines_db, engine="spark")
    finally:
        monkeypatch.delenv("COCKPIT_MAX_RESULT_ROWS")
        get_settings.cache_clear()


def _tagged_jobs(tag: str) -> dict[int, dict]:
    """The server's jobs for one statement tag, from its event log: {job: {"stages", "ended", "result"}}
    plus the tasks of their stages that started and have not ended (key -1, "open")."""
    jobs: dict[int, dict] = {}
    stages: dict[int, int] = {}
    open_tasks: set[int] = set()
    for path in sorted(p for p in SPARK_EVENTS["dir"].rglob("*") if p.is_file()):  # Spark 4: rolling logs
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # the line being written
            if not isinstance(event, dict):
                continue
            kind = event.get("Event")
            if kind == "SparkListenerJobStart" and tag in json.dumps(event.get("Properties", {})):
                jobs[event["Job ID"]] = {"ended": False, "result": None}
                stages.update({sid: event["Job ID"] for sid in event.get("Stage IDs", [])})
            elif kind == "SparkListenerJobEnd" and event.get("Job ID") in jobs:
                jobs[event["Job ID"]].update(ended=True, result=event.get("Job Result", {}).get("Result"))
            elif kind == "SparkListenerTaskStart" and event.get("Stage ID") in stages:
                open_tasks.add(event["Task Info"]["Task ID"])
            elif kind == "SparkListenerTaskEnd" and event.get("Stage ID") in stages:
                open_tasks.discard(event["Task Info"]["Task ID"])
    jobs[-1] = {"open": open_tasks}
    return jobs


def test_a_timeout_stops_the_statement_on_the_spark_server(engines_db, caplog):
    """After the timeout the server runs nothing for the statement: every job it started has
    ended, with no task left running (the server's own event log says so). Which jobs had started
    depends on when the timeout came (planning runs small jobs first), so only that is asserted."""
    from cockpit.query import QueryTimeout, run_sql

    ctx = _ctx(engines_db)
    # minutes of work on local[2] (~10^8 pairs), yet bounded, should the interrupt ever fail
    heavy = "select count(*) as n from requests_scoped a join requests_scoped b on a.category = b.category"
    with caplog.at_level(logging.WARNING, logger="cockpit.engines.spark"):
        with pytest.raises(QueryTimeout, match="exceeded 2 s"):
            run_sql(heavy, ctx, db=engines_db, engine="spark", timeout_s=2)
    tags = re.findall(r"Spark statement (cockpit-[0-9a-f]+) ran past", caplog.text)
    assert len(tags) == 1, caplog.text
    deadline = time.monotonic() + 120  # a bounded wait for the log, not a timing assertion
    while True:
        # a statement of its own: the session is usable after an interrupt, and its job events
        # flush the event log
        assert run_sql("select count(*) as n from region_names", ctx, db=engines_db, engine="spark").n[0] > 0
        jobs = _tagged_jobs(tags[0])
        open_tasks = jobs.pop(-1)["open"]
        if all(j["ended"] for j in jobs.values()) and not open_tasks:
            break
        assert time.monotonic() < deadline, f"still running on the server after the timeout: {jobs}, tasks {open_tasks}"
        time.sleep(1)


def test_the_cache_key_names_the_engine(engines_db):
    from cockpit.query import build_sql, query_key

    ctx = _ctx(engines_db)
    full = build_sql(engines_db, ctx.snapshot, "select 1 as x")
    assert query_key(engines_db, ctx, full, engine="duckdb") != query_key(engines_db, ctx, full, engine="spark")


def test_cockpit_query_prints_the_same_numbers_on_both_engines(engines_db, demo_store, capsys, monkeypatch):
    """The same text, character for character, in CSV and JSON: a count prints as 72 on both
    engines (DuckDB's sums are HUGEINT, which would otherwise print as 72.0)."""
    import csv
    import io

    from cockpit.settings import get_settings
    from cockpit.specs.panel_query import cli_query

    monkeypatch.setenv("COCKPIT_QUERY_TIMEOUT_S", "300")  # a cold Spark session on a busy CI machine
    get_settings.cache_clear()
    printed = {}
    for engine in ("duckdb", "spark"):
        for fmt in ("csv", "json"):
            code = cli_query(demo_store, ROOT / "layouts", "category_bar", engine=engine, region="330100", fmt=fmt)
            out = capsys.readouterr()
            assert code == 0, out.err
            printed[engine, fmt] = out.out
    monkeypatch.delenv("COCKPIT_QUERY_TIMEOUT_S")
    get_settings.cache_clear()
    rows = list(csv.DictReader(io.StringIO(printed["spark", "csv"])))
    assert len(rows) > 0 and all(r["requests"].isdigit() for r in rows)
    assert printed["duckdb", "csv"] == printed["spark", "csv"]
    assert printed["duckdb", "json"] == printed["spark", "json"]
    assert json.loads(printed["spark", "json"]) == [{k: int(v) if v.isdigit() else v for k, v in r.items()} for r in rows]


def test_a_snapshot_older_than_the_closing_day_rollup_answers_alike_on_spark(engines_db, demo_store, tmp_path):
    """A snapshot published before `requests_closing_daily` existed (kept for time travel): both
    engines derive the rollup from its requests and the like-for-like KPIs still agree."""
    import shutil

    from cockpit.db import Database
    from cockpit.query import run_sql

    old = tmp_path / "store"
    shutil.copytree(demo_store, old, copy_function=os.link)
    live = (old / "CURRENT").read_text().strip()
    rollup = old / "snapshots" / live / "rollups" / "requests_closing_daily"
    assert rollup.is_dir()
    shutil.rmtree(rollup)
    db = Database(old)
    sql = ("select sum(received) as received, sum(closed_on_time) as on_time, sum(rated) as rated, "
           "sum(satisfied) as satisfied from requests_closing_days")
    ctx = _ctx(db, region="330100")
    derived = {e: run_sql(sql, ctx, db=db, engine=e) for e in ("duckdb", "spark")}
    published = run_sql(sql, _ctx(engines_db, region="330100"), db=engines_db, engine="duckdb")
    for engine, frame in derived.items():
        assert differences(frame, published, ordered=True) == [], engine
    assert published["received"][0] > 0
