"""Which relations panel SQL may read: the guard between a declaration and the snapshot.

Panel SQL (`sql` and every `[queries]` entry) may read only
- the scoped relations the query layer prepends (`<view>_scoped`, `scope`, `region_names`),
- the named relations of `cockpit.relations`,
- snapshot tables that have neither a `street_code` nor a `region_code` column (`indicators`),
- the CTEs the panel itself defines (where SQL scoping makes them visible),
and no table function except the generators `range`, `generate_series` and `unnest` (they read
nothing), no function that reads files, the environment, settings or the catalog, and no
schema- or catalog-qualified name. Everything else is refused: plain regional views (`requests`,
`region_tree` ...), `snap_<id>.requests`, `'x.parquet'`, `read_parquet(...)`, `summarize ...`.

Why DuckDB's own parser (`json_serialize_sql`) and not sqlglot: the guard must see exactly the
tree the engine will bind. A second parser with its own dialect rules (DuckDB's `FROM 'file'`,
`FROM`-first queries, `x.parquet` as schema.table, replacement scans, new syntax in a DuckDB
upgrade) could read a statement differently from DuckDB, and every such disagreement is a way
past the guard. DuckDB is already pinned; its parser needs no binding (no snapshot, no tables),
so the same walk serves `cockpit check`, the loader and `run_sql`. Anything it cannot serialize
(PIVOT statements, several statements) is refused, so the guard fails closed.

Rules come in two strengths. Without a snapshot (the loader) the guard refuses everything that
needs no data to decide, and the names the read side knows to be regional (the contract's tables
with region columns, the regional rollups); a name only a snapshot can decide (an analyst's extra
table) is left to `cockpit check` and `run_sql`, which know the snapshot's columns and refuse
every name that is not allowed.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
import duckdb

from cockpit.contract import CONTRACTS, EXTRA_TABLE_NAME, RESERVED_SUFFIX

#: Columns that make a table regional (its rows belong to a region): only `*_scoped` reads it.
REGION_COLUMNS = ("street_code", "region_code")
#: Relations the query layer itself prepends to every panel statement (besides the `*_scoped` ones).
SCOPE_RELATIONS = ("scope", "region_names")
#: Rollups of every snapshot that are regional (cockpit.ingest.rollups builds them; the read side
#: must not import the write side, tests/test_sqlguard.py checks the list against a built snapshot).
REGIONAL_ROLLUPS = ("region_tree", "requests_daily", "requests_street_daily", "requests_closing_daily",
                    "street_scores", "quality_flags")
#: Table functions that only generate values (they read nothing), allowed in panel SQL.
GENERATORS = frozenset({"range", "generate_series", "unnest"})
#: Scalar functions that read files, the environment, settings, variables, the catalog or SQL text.
FORBIDDEN_FUNCTIONS = frozenset({
    "read_text", "read_blob", "getenv", "current_setting", "getvariable", "current_query", "which_secret",
    "json_serialize_sql", "json_deserialize_sql", "json_execute_serialized_sql", "write_log",
    "current_database", "current_catalog", "current_schema", "current_schemas", "in_search_path",
})
FORBIDDEN_PREFIXES = ("read_", "duckdb_", "pragma_", "parquet_", "sql_", "glob")
#: What to read instead of a regional view, where it is not simply `<view>_scoped`.
INSTEAD = {
    "regions": "region_names (or regions_scoped)",
    "region_tree": "region_tree_scoped (or scope)",
    "departments": "department_names (or departments_scoped)",
}
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Rules:
    """The relation names one check allows."""

    allowed: frozenset[str]  # names panel SQL may read
    regional: dict[str, str] = field(default_factory=dict)  # regional name -> what to use instead
    decided: bool = False  # True: every other name is refused (the snapshot is known)
    any_scoped: bool = False  # without a snapshot: any `<name>_scoped` may exist

    def merged(self, other: "Rules") -> "Rules":
        """Both rule sets' knowledge (regional wins); undecided names stay undecided."""
        regional = {**self.regional, **other.regional}
        return Rules(allowed=(self.allowed | other.allowed) - set(regional), regional=regional,
                     decided=False, any_scoped=self.any_scoped or other.any_scoped)


@dataclass
class Found:
    """What a statement reads and calls, outside the CTEs it defines."""

    tables: list[tuple[str, str, str]] = field(default_factory=list)  # (catalog, schema, name)
    table_functions: list[str] = field(default_factory=list)
    functions: list[tuple[str, str]] = field(default_factory=list)  # (schema or catalog, name)
    refused: list[str] = field(default_factory=list)  # constructs refused outright


def instead(name: str) -> str:
    """What panel SQL reads in place of the regional view `name`."""
    return INSTEAD.get(name, f"{name}_scoped")


@lru_cache(maxsize=1)
def static_rules() -> Rules:
    """What is known without a snapshot: the contract's tables and the regional rollups."""
    from cockpit.relations import RELATIONS

    regional = {n: instead(n) for n, t in CONTRACTS.items() if set(t.column_names) & set(REGION_COLUMNS)}
    regional.update({n: instead(n) for n in REGIONAL_ROLLUPS})
    plain = {n for n in CONTRACTS if n not in regional}
    return Rules(allowed=frozenset({*SCOPE_RELATIONS, *RELATIONS, *plain}), regional=regional, any_scoped=True)


def snapshot_rules(tables: dict[str, list[str]]) -> Rules:
    """The rules for one snapshot, from its views and their columns ({view: columns})."""
    from cockpit.relations import RELATIONS

    regional = {v: instead(v) for v, cols in tables.items() if set(cols) & set(REGION_COLUMNS)}
    allowed = {*SCOPE_RELATIONS, *RELATIONS, *(f"{v}{RESERVED_SUFFIX}" for v in regional),
               *(v for v in tables if v not in regional)}
    return Rules(allowed=frozenset(allowed), regional=regional, decided=True)


# -- parsing --------------------------------------------------------------------------------------

_local = threading.local()


def _parser() -> duckdb.DuckDBPyConnection:
    """This thread's private DuckDB, used only to parse (it holds no data and reads no files)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(":memory:", config={"threads": 1})
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        _local.con = con
    return con


@lru_cache(maxsize=1)
def system_names() -> frozenset[str]:
    """Names a bare DuckDB resolves by itself (its catalog views: pg_tables, sqlite_master, ...)."""
    rows = _parser().execute("SELECT lower(view_name) FROM duckdb_views() UNION "
                             "SELECT lower(table_name) FROM duckdb_tables()").fetchall()
    return frozenset(r[0] for r in rows)


@lru_cache(maxsize=2048)
def parse(sql: str) -> Found | str:
    """What `sql` reads and calls (DuckDB's parse tree), or why it cannot be checked."""
    try:
        text = _parser().execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]
        tree = json.loads(text)
    except (duckdb.Error, RecursionError, ValueError) as exc:
        return f"SQL cannot be checked: {str(exc).splitlines()[0]}"
    if tree.get("error"):
        return f"SQL cannot be checked: {tree.get('error_message', 'not a plain SELECT')}"
    if len(tree.get("statements", [])) != 1:
        return "expected exactly one SELECT statement"
    found = Found()
    try:
        _walk(tree["statements"][0], frozenset(), found)
    except RecursionError:
        return "SQL is nested too deeply to be checked"
    return found


def _walk(node: object, ctes: frozenset[str], out: Found) -> None:
    """Collect every table, table function and function of `node`; `ctes` are the CTE names
    visible here. A WITH list is bound in order, so a CTE sees only the ones before it (and a
    recursive CTE itself in its recursive part): `with a as (select * from requests), requests as
    (...)` reads the real `requests` in `a`, as DuckDB does."""
    if isinstance(node, list):
        for item in node:
            _walk(item, ctes, out)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    entries = node.get("cte_map", {}).get("map", []) if isinstance(node.get("cte_map"), dict) else []
    if entries:
        for entry in entries:
            _walk(entry.get("value"), ctes, out)
            ctes = ctes | {str(entry.get("key", "")).lower()}
    if kind == "RECURSIVE_CTE_NODE":
        _walk(node.get("left"), ctes, out)
        _walk(node.get("right"), ctes | {str(node.get("cte_name", "")).lower()}, out)
        rest = {k: v for k, v in node.items() if k not in ("left", "right", "cte_map")}
        _walk(list(rest.values()), ctes, out)
        return
    if kind == "BASE_TABLE":
        name = str(node.get("table_name", "")).lower()
        schema, catalog = str(node.get("schema_name") or "").lower(), str(node.get("catalog_name") or "").lower()
        if schema or catalog or name not in ctes:
            out.tables.append((catalog, schema, name))
    elif kind == "TABLE_FUNCTION":
        fn = node.get("function") or {}
        out.table_functions.append(str(fn.get("function_name", "")).lower())
        _walk(fn.get("arguments"), ctes, out)
        node = {k: v for k, v in node.items() if k != "function"}
    elif kind == "SHOW_REF":
        out.refused.append("DESCRIBE / SUMMARIZE")
    elif kind == "COLUMN_DATA":
        out.refused.append("in-memory data")
    elif node.get("class") == "FUNCTION":
        qualifier = ".".join(p for p in (str(node.get("catalog") or ""), str(node.get("schema") or "")) if p)
        out.functions.append((qualifier.lower(), str(node.get("function_name", "")).lower()))
    for key, value in node.items():
        if key != "cte_map" and isinstance(value, (dict, list)):
            _walk(value, ctes, out)


# -- judging --------------------------------------------------------------------------------------

def problems(sql: str, rules: Rules) -> list[str]:
    """Why panel SQL may not run, one line per name refused ([] when it reads only what it may)."""
    found = parse(sql)
    if isinstance(found, str):
        return [found]
    out = [f"uses {what}, which panel SQL may not: select from a relation (e.g. requests_scoped)"
           for what in dict.fromkeys(found.refused)]
    for catalog, schema, name in dict.fromkeys(found.tables):
        out += _table_problem(catalog, schema, name, rules)
    for name in dict.fromkeys(found.table_functions):
        if name not in GENERATORS:
            out.append(f"calls the table function {name}(...): panel SQL reads only the snapshot's relations "
                       "(e.g. requests_scoped) and no files; the only table functions allowed are "
                       + ", ".join(sorted(GENERATORS)))
    for qualifier, name in dict.fromkeys(found.functions):
        if name in FORBIDDEN_FUNCTIONS or name.startswith(FORBIDDEN_PREFIXES):
            out.append(f"calls {name}(), which reads files, settings or the catalog: panel SQL may not; "
                       "select the data from a relation instead (e.g. requests_scoped)")
        elif qualifier:
            out.append(f"calls {qualifier}.{name}(): call functions by their plain name ({name})")
    return out


def _table_problem(catalog: str, schema: str, name: str, rules: Rules) -> list[str]:
    if schema or catalog:
        dotted = ".".join(p for p in (catalog, schema, name) if p)
        plain = (instead(name) if name in rules.regional else name
                 if name in rules.allowed or name.endswith(RESERVED_SUFFIX) else "a relation such as requests_scoped")
        return [f"reads {dotted!r} through a schema or catalog: panel SQL names relations plainly "
                f"(use {plain})"]
    if name in rules.allowed:
        return []
    if name in rules.regional:
        return [f"reads {name!r}, which holds every region, not just the viewer's: use {rules.regional[name]}"]
    if not _PLAIN.match(name):
        return [f"reads {name!r}, which is a file or path, not a relation name: panel SQL reads only the "
                "snapshot's relations (e.g. requests_scoped)"]
    if rules.any_scoped and name.endswith(RESERVED_SUFFIX):
        return []
    if name in system_names():
        return [f"reads DuckDB's catalog view {name!r}: panel SQL may not; use the snapshot's relations "
                "(e.g. requests_scoped)"]
    if rules.decided and name.endswith(RESERVED_SUFFIX):
        return [f"reads {name!r}, but this snapshot has no regional table {name[:-len(RESERVED_SUFFIX)]!r}"]
    if rules.decided or not EXTRA_TABLE_NAME.match(name):
        scoped = sorted(n for n in rules.allowed if n.endswith(RESERVED_SUFFIX))[:6]
        return [f"reads {name!r}, which is not a relation panel SQL may read: use a scoped relation "
                f"({', '.join(scoped) or 'requests_scoped'} ...), region_names, scope, a named relation "
                "or a table without region columns"]
    return []  # an analyst's table the snapshot decides: `cockpit check` and run_sql judge it

