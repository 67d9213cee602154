"""Run panel SQL against one snapshot: scoped relations, bound parameters, bounded work, result cache.

Panel SQL never sees client strings. The server builds a `QueryContext` (validated region inside
the viewer's jurisdiction, period dates, cross-filter values) and every value reaches DuckDB as a
bound parameter. For each view with a `street_code` or `region_code` column the query gets a
`<view>_scoped` relation limited to the region subtree (and to the active cross-filter), so panel
authors write `FROM requests_scoped`; the guard (`cockpit.sqlguard`) refuses panel SQL that reads
anything else regional, a file or a table function, so it cannot see past the scope.

Every query is bounded: a timeout, a result cap (rows: DuckDB stops at LIMIT cap+1; bytes:
counted as the Arrow batches arrive, so no more than the cap and one batch reaches Python, while
DuckDB itself is held to its memory limit), a per-process limit on queries running at once with
a bounded wait, and a brief memory of queries that timed out, which are answered with the same
error instead of being run again by every viewer.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from cockpit.bounds import Busy, QuerySlots, RecentErrors
from cockpit.db import Database, get_db
from cockpit.fields import CROSS_FILTER_FIELDS
from cockpit.settings import Settings, get_settings
from cockpit.sqlguard import REGION_COLUMNS, Rules, problems, snapshot_rules

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)


class QueryError(RuntimeError):
    """A panel query failed (bad SQL, timeout, missing table); the message is safe to show."""


class QueryTimeout(QueryError):
    """The query ran past its timeout and was stopped (and is remembered for a while)."""


@dataclass(frozen=True)
class QueryContext:
    """Everything a panel query may bind, already validated on the server."""

    snapshot: str
    region: str
    jurisdiction: str  # the viewer's whole area (region is always inside it)
    as_of: date
    period_start: date
    period_end: date  # exclusive
    cmp_start: date
    cmp_end: date  # exclusive
    map_parent: str | None = None  # the region whose children the map shows
    street: str | None = None
    lang: str = "zh"
    filters: dict[str, str] = field(default_factory=dict)
    # The day the comparison is measured at, as `as_of` is for the period: as many days after
    # cmp_start as as_of is after period_start, so both periods' requests have had the same time
    # to be closed (docs/methods.md, "Periods and comparisons"). Derived when not given.
    cmp_as_of: date | None = None
    # The street-assessment month shown for the period: the latest month up to period_start with
    # street metrics (assessments are published after a month ends), and its comparison month.
    # Derived as period_start / cmp_start when not given.
    score_period: date | None = None
    score_cmp_period: date | None = None

    def __post_init__(self) -> None:
        if self.cmp_as_of is None:
            object.__setattr__(self, "cmp_as_of", self.cmp_start + (self.as_of - self.period_start))
        if self.score_period is None:
            object.__setattr__(self, "score_period", self.period_start)
        if self.score_cmp_period is None:
            object.__setattr__(self, "score_cmp_period", self.cmp_start)

    def params(self) -> dict[str, Any]:
        """All bindable values by name (the query binds only those its SQL mentions)."""
        values = asdict(self)
        filters = values.pop("filters")
        values.pop("snapshot")
        for name in CROSS_FILTER_FIELDS:
            values[f"f_{name}"] = filters.get(name)
        return values

    def cache_key(self) -> str:
        """Every bound value with its type (so a missing filter and the text "None" differ)."""
        return json.dumps(self.params(), sort_keys=True, ensure_ascii=False,
                          default=lambda v: {type(v).__name__: str(v)})


def referenced_params(sql: str) -> set[str]:
    """Names of `$param`s used in SQL, ignoring string literals and comments."""
    return set(_PARAM.findall(_STRINGS_AND_COMMENTS.sub(" ", sql)))


# -- the relations panel SQL reads --------------------------------------------------------------

def regional_views(db: Database, snapshot: str) -> dict[str, str]:
    """{view: the column that places its rows in a region} for every regional view of a snapshot."""
    out = {}
    for view in db.tables(snapshot):
        cols = db.columns(snapshot, view)
        key = next((c for c in REGION_COLUMNS if c in cols), None)
        if key is not None:
            out[view] = key
    return out


def scoped_ctes(db: Database, snapshot: str) -> str:
    """The WITH-list defining `scope` and a `<view>_scoped` relation for every regional view."""
    key = ("scoped_ctes", snapshot)
    if key not in db.memo:
        db.memo[key] = _scoped_ctes(db, snapshot)
    return db.memo[key]


def _scoped_ctes(db: Database, snapshot: str) -> str:
    parts = ['scope AS NOT MATERIALIZED (SELECT region_code FROM region_tree WHERE ancestor_code = $region)']
    # Region attributes with `name` in the viewer's language (English names are optional).
    english = "coalesce(name_en, name)" if "name_en" in db.columns(snapshot, "regions") else "name"
    parts.append("region_names AS NOT MATERIALIZED (SELECT region_code, level, parent_code, "
                 f"CASE WHEN $lang = 'en' THEN {english} ELSE name END AS name FROM regions)")
    # region_tree_scoped: the tree rows of the regions in scope (each with all its ancestors).
    for view, key in regional_views(db, snapshot).items():
        cols = db.columns(snapshot, view)
        conds = [f"{key} IN (SELECT region_code FROM scope)"]
        conds += [f"($f_{c} IS NULL OR {c} = $f_{c})" for c in CROSS_FILTER_FIELDS if c in cols]
        parts.append(f'{view}_scoped AS NOT MATERIALIZED (SELECT * FROM "{view}" WHERE {" AND ".join(conds)})')
    return "WITH " + ",\n".join(parts)


def named_ctes(sql: str) -> str:
    """CTEs for the named relations (cockpit.relations) that `sql` mentions."""
    from cockpit.relations import RELATIONS

    text = _STRINGS_AND_COMMENTS.sub(" ", sql)
    used = [name for name in RELATIONS if re.search(rf"\b{name}\b", text)]
    return "".join(f",\n{name} AS ({RELATIONS[name][0].strip().rstrip(';')})" for name in used)


def build_sql(db: Database, snapshot: str, sql: str) -> str:
    """Panel SQL wrapped with the scoped and named relations of its snapshot."""
    return (f"{scoped_ctes(db, snapshot)}{named_ctes(sql)}\n"
            f"SELECT * FROM (\n{sql.strip().rstrip(';')}\n) AS panel")


def sql_rules(db: Database, snapshot: str) -> Rules:
    """What panel SQL may read on one snapshot (memoised: snapshots never change)."""
    key = ("sql_rules", snapshot)
    if key not in db.memo:
        db.memo[key] = snapshot_rules({v: db.columns(snapshot, v) for v in db.tables(snapshot)})
    return db.memo[key]


def refusals(db: Database, snapshot: str, sql: str) -> list[str]:
    """Why `sql` may not run as panel SQL on a snapshot ([] when it may). The methods' own
    statements (`cockpit.relations.trusted`) are trusted code, not panel SQL."""
    from cockpit.relations import trusted

    if trusted(sql):
        return []
    problem = validate_statement(sql)
    return [problem] if problem else problems(sql, sql_rules(db, snapshot))


def guard(db: Database, snapshot: str, sql: str) -> None:
    """Raise a QueryError when panel SQL reads past the scope (defence in depth: the loader and
    `cockpit check` refuse such declarations before they are ever served)."""
    refused = refusals(db, snapshot, sql)
    if refused:
        raise QueryError("panel SQL refused: " + "; ".join(refused))


# -- bounded execution ---------------------------------------------------------------------------

def engine_name(engine: str | None = None) -> str:
    """The engine a query runs on: `engine`, else `COCKPIT_ENGINE` ("duckdb" or "spark")."""
    return engine or get_settings().engine


def query_key(db: Database, ctx: QueryContext, full: str, extra: dict[str, Any] | None = None,
              engine: str | None = None) -> str:
    """The key of one query's result: the engine, the store, the snapshot's publication, the full
    SQL (scoped and named relations included, so a code change is a new key) and every bound value
    with its type. Snapshots are immutable, so a key never goes stale."""
    identity = f"{engine_name(engine)}|{db.store}|{ctx.snapshot}|{db.attach(ctx.snapshot).created_at}"
    parts = [identity, full, ctx.cache_key()]
    if extra:
        parts.append(json.dumps(extra, sort_keys=True, default=str))
    return "q:" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()


_slots = QuerySlots()
timed_out = RecentErrors()


def run_arrow(sql: str, ctx: QueryContext, *, db: Database | None = None, limit: int | None = None,
              timeout_s: float | None = None, extra: dict[str, Any] | None = None,
              engine: str | None = None) -> pa.Table:
    """Run one panel statement for a context and return its (bounded) result as an Arrow table.
    Values are bound, never formatted into the SQL; `extra` adds server-validated values under new
    names (e.g. what-if weights). `engine` (default `COCKPIT_ENGINE`) is duckdb or spark: the
    same guard, relations, parameters, slots, timeout and caps on both."""
    db = db or get_db()
    engine = engine_name(engine)
    guard(db, ctx.snapshot, sql)
    full = build_sql(db, ctx.snapshot, sql)
    if limit is not None:
        full = f"SELECT * FROM ({full}) AS limited LIMIT {int(limit)}"
    params = ctx.params()
    for name, value in (extra or {}).items():
        if name in params:
            raise ValueError(f"extra parameter {name!r} would shadow a context parameter")
        params[name] = value
    bound = {name: params[name] for name in referenced_params(full) if name in params}
    missing = referenced_params(full) - set(bound)
    if missing:
        raise QueryError(f"unknown parameter(s): {', '.join('$' + m for m in sorted(missing))}; "
                         f"available: {', '.join('$' + p for p in sorted(params))}")
    settings = get_settings()
    timeout = settings.query_timeout_s if timeout_s is None else timeout_s
    key = f"{query_key(db, ctx, full, extra, engine)}|{timeout:g}"  # what timed out, under which timeout
    remembered = timed_out.get(key)
    if remembered is not None:
        raise QueryTimeout(remembered)
    try:
        sem = _slots.acquire(settings.max_concurrent_queries, settings.query_wait_s)
    except Busy as exc:
        raise QueryError(str(exc)) from None
    try:
        return _execute(engine, db, ctx.snapshot, full, bound, timeout, settings)
    except QueryTimeout as exc:
        timed_out.put(key, str(exc), settings.timeout_memory_s)
        raise
    finally:
        sem.release()


def _execute(engine: str, db: Database, snapshot: str, full: str, bound: dict[str, Any], timeout: float,
             settings: Settings) -> pa.Table:
    """Run `full` on the engine under the timeout, reading at most the result cap (rows, then bytes)."""
    from cockpit.engines import EngineError
    from cockpit.engines.run import run_capped

    try:
        return run_capped(engine, db, snapshot, full, bound, timeout, settings)
    except EngineError as exc:
        raise (QueryTimeout if exc.timed_out else QueryError)(str(exc)) from None


def to_frame(db: Database, table: pa.Table) -> pd.DataFrame:
    """A result table as the DataFrame DuckDB itself would give (the same dtypes for a fresh
    result and one read back from the cache)."""
    return db.conversion_cursor().from_arrow(table).df()


def run_sql(sql: str, ctx: QueryContext, *, db: Database | None = None, limit: int | None = None,
            timeout_s: float | None = None, extra: dict[str, Any] | None = None,
            engine: str | None = None) -> pd.DataFrame:
    """Run one panel statement for a context (`run_arrow`) and return its result as a DataFrame."""
    db = db or get_db()
    return to_frame(db, run_arrow(sql, ctx, db=db, limit=limit, timeout_s=timeout_s, extra=extra, engine=engine))


# -- the shared cache ----------------------------------------------------------------------------

class ResultCache:
    """Results keyed by `query_key`, as signed Arrow IPC bytes in the flask-caching backend the
    settings configure (`cockpit.cache`: the backend stores bytes and never unpickles). Only
    bounded results are cached; a query that timed out is remembered in the shared cache too, so
    other workers answer it with the same error. While one thread of this process runs a query,
    others asking for the same key wait for it (at most `query_wait_s`) instead of running it too."""

    def __init__(self) -> None:
        self._store = None
        self._lock = threading.Lock()
        self._running: dict[str, threading.Event] = {}

    @property
    def cache(self):
        """The signed store (`cockpit.cache.SignedStore`): `get`/`set` of bytes and str, or None."""
        return self._store

    @cache.setter
    def cache(self, backend) -> None:
        from cockpit.cache import SignedStore

        if backend is None or isinstance(backend, SignedStore):
            self._store = backend
        else:  # a flask-caching cache given directly: signed with a key of this process
            import secrets

            self._store = SignedStore(backend, secrets.token_bytes(32))

    def init_app(self, server, settings: Settings | None = None) -> None:
        from flask_caching import Cache

        from cockpit.cache import BACKENDS, SignedStore, cache_secret

        s = settings or get_settings()
        config: dict[str, Any] = {"CACHE_TYPE": BACKENDS[s.cache_type], "CACHE_DEFAULT_TIMEOUT": s.cache_timeout_s}
        if s.cache_type == "FileSystemCache":
            s.cache_dir.mkdir(parents=True, exist_ok=True)
            config["CACHE_DIR"] = str(s.cache_dir)
            config["CACHE_THRESHOLD"] = 5000
        if s.cache_type == "RedisCache":
            config["CACHE_REDIS_URL"] = s.redis_url
            config["CACHE_KEY_PREFIX"] = "cockpit:"
            # Bounded waits: a Redis that does not answer costs one short wait, then is left alone.
            config["CACHE_OPTIONS"] = {"socket_connect_timeout": s.redis_timeout_s,
                                       "socket_timeout": s.redis_timeout_s}
        self._store = SignedStore(Cache(server, config=config), cache_secret(s), retry_s=s.cache_retry_s)

    def query(self, sql: str, ctx: QueryContext, db: Database | None = None) -> pd.DataFrame:
        """Cached `run_sql`."""
        if self.cache is None:
            return run_sql(sql, ctx, db=db)
        db = db or get_db()
        guard(db, ctx.snapshot, sql)
        key = query_key(db, ctx, build_sql(db, ctx.snapshot, sql), engine=get_settings().engine)
        with self._lock:
            running = self._running.get(key)
            if running is None:
                self._running[key] = threading.Event()
        if running is not None:
            running.wait(get_settings().query_wait_s)
            found = self._lookup(db, key)
            if found is not None:
                return found
            if not running.is_set():
                raise QueryError("this panel's query is still running for another viewer; try again in a moment")
            return self._compute(sql, ctx, db, key)
        try:
            found = self._lookup(db, key)
            return found if found is not None else self._compute(sql, ctx, db, key)
        finally:
            with self._lock:
                self._running.pop(key).set()

    def _lookup(self, db: Database, key: str) -> pd.DataFrame | None:
        """The cached result of `key`; raises the remembered QueryError of a query that timed out."""
        hit = self.cache.get(key)
        if isinstance(hit, bytes):
            from cockpit.cache import ipc_to_table

            try:
                return to_frame(db, ipc_to_table(hit))
            except (pa.ArrowException, duckdb.Error):
                return None  # unreadable (cannot happen to a signed entry): computed again
        remembered = self.cache.get("timeout:" + key)
        if isinstance(remembered, str):
            raise QueryTimeout(remembered)
        return None

    def _compute(self, sql: str, ctx: QueryContext, db: Database, key: str) -> pd.DataFrame:
        from cockpit.cache import table_to_ipc

        try:
            table = run_arrow(sql, ctx, db=db)
        except QueryTimeout as exc:
            ttl = get_settings().timeout_memory_s
            if ttl > 0:
                self.cache.set("timeout:" + key, str(exc), timeout=max(1, int(ttl)))
            raise
        self.cache.set(key, table_to_ipc(table))
        return to_frame(db, table)


results = ResultCache()


def validate_statement(sql: str) -> str | None:
    """None when `sql` is exactly one SELECT statement, else what is wrong."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        return f"SQL does not parse: {str(exc).splitlines()[0]}"
    if len(statements) != 1:
        return f"expected exactly one statement, found {len(statements)}"
    if statements[0].type != duckdb.StatementType.SELECT:
        return f"expected a SELECT statement, found {statements[0].type.name}"
    return None
