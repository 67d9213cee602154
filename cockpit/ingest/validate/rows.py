"""Row rules (nulls, enums, ranges, finiteness, rules between columns), uniqueness and table rules,
as DuckDB queries straight on the files (streamed; bounded memory)."""

from __future__ import annotations

import duckdb

from cockpit.contract import Column, TableContract, TableRule
from cockpit.duck import ident, literal
from cockpit.ingest.validate.context import DropCheck
from cockpit.ingest.validate.problems import MAX_ROWS_SHOWN, Problem


def check_rows(run: DropCheck, t: TableContract) -> None:
    """All row-local rules of a table in one scan, then uniqueness and table rules."""
    ok = run.usable.get(t.name, set())
    checks: list[tuple[Column | None, str, str, str, str]] = []  # (col, rule, code, predicate, shown)
    for col in t.columns:
        if col.name not in ok or col.type == "geometry":
            continue  # geometry nulls/values are checked with shapely
        c = ident(col.name)
        if not col.nullable:
            checks.append((col, "must not be null", "null", f"{c} IS NULL", c))
        if col.enum:
            values = ", ".join(literal(v) for v in col.enum)
            checks.append((col, "must be one of " + ", ".join(col.enum), "enum",
                           f"{c} IS NOT NULL AND {c} NOT IN ({values})", c))
        if col.type == "float":
            checks.append((col, "must be a finite number (no NaN or infinity)", "finite",
                           f"NOT isfinite(CAST({c} AS DOUBLE))", c))
        if col.min is not None or col.max is not None:
            v = f"CAST({c} AS DOUBLE)"
            bad = []
            if col.min is not None:
                bad.append(f"{v} {'<=' if col.min_exclusive else '<'} {col.min!r}")
            if col.max is not None:
                bad.append(f"{v} > {col.max!r}")
            checks.append((col, f"must be {col.range_text()}", "range",
                           f"isfinite({v}) AND ({' OR '.join(bad)})", c))
        if col.first_of_month:
            checks.append((col, "must be the first day of a month", "first_of_month",
                           f"extract(day FROM {c}) <> 1", c))
        if col.type == "list<string>":
            checks.append((col, "list elements must not be null", "list_null",
                           f"list_count({c}) < len({c})", c))
    for rule in t.row_rules:
        if set(rule.columns) <= ok:
            shown = " || ', ' || ".join(f"'{x}=' || coalesce(CAST({ident(x)} AS VARCHAR), 'null')"
                                        for x in rule.columns)
            checks.append((t.column(rule.column), rule.rule, "row_rule", rule.violation, shown))
    if checks:
        # Pass 1 counts every rule in one scan (cheap: ~0.1 s per 2M rows). Only rules that
        # fail get pass 2, which fetches their first rows; list-valued aggregates over all
        # rules in pass 1 would cost ~50x more on the (usual) valid drop.
        view = run.view(t.name)
        counts_sql = ", ".join(f"count_if(coalesce({pred}, false))" for _, _, _, pred, _ in checks)
        try:
            counts = run.con.execute(f"SELECT {counts_sql} FROM {view}").fetchall()[0]
            for (col, rule, code, pred, shown), count in zip(checks, counts):
                if not count:
                    continue
                first = run.con.execute(
                    f"SELECT file_row_number, CAST({shown} AS VARCHAR) FROM {view} "
                    f"WHERE coalesce({pred}, false) ORDER BY file_row_number LIMIT {MAX_ROWS_SHOWN}").fetchall()
                run.add(Problem(t.file, col.name if col else None, rule, code,
                                tuple(int(r[0]) for r in first), int(count),
                                None if code == "null" or not first else first[0][1]))
        except duckdb.Error as exc:
            run.unreadable(t.file, exc)
            return
    keys = [(col.name,) for col in t.columns if col.unique] + ([t.key] if t.key else [])
    for key in keys:
        if set(key) <= ok:
            check_unique(run, t, key)
    for rule in t.table_rules:
        if set(rule.columns) <= ok:
            check_table_rule(run, t, rule)


def check_unique(run: DropCheck, t: TableContract, key: tuple[str, ...]) -> None:
    """No two rows share a (non-null) value of `key`."""
    cols = ", ".join(ident(k) for k in key)
    on = " AND ".join(f"v.{ident(k)} = d.{ident(k)}" for k in key)
    shown = " || ', ' || ".join(f"CAST(v.{ident(k)} AS VARCHAR)" for k in key)
    notnull = " AND ".join(f"{ident(k)} IS NOT NULL" for k in key)
    sql = (f"WITH d AS (SELECT {cols} FROM {run.view(t.name)} WHERE {notnull} GROUP BY ALL HAVING count(*) > 1) "
           f"SELECT count(*), min(v.file_row_number, {MAX_ROWS_SHOWN}), arg_min({shown}, v.file_row_number) "
           f"FROM {run.view(t.name)} v SEMI JOIN d ON {on}")
    res = run.query_rows(t.file, sql)
    if res and res[0]:
        what = "must be unique" if len(key) == 1 else f"({', '.join(key)}) must be unique together"
        run.add(Problem(t.file, ", ".join(key), what, "unique", res[1], res[0], res[2]))


def check_table_rule(run: DropCheck, t: TableContract, rule: TableRule) -> None:
    """One rule over the whole table, as a query selecting offending rows."""
    inner = rule.sql.format(t=run.view(t.name))
    sql = (f"SELECT count(*), min(rn, {MAX_ROWS_SHOWN}), arg_min(CAST(value AS VARCHAR), rn) "
           f"FROM ({inner}) q")
    res = run.query_rows(t.file, sql)
    if res is None:
        return
    count, rows, example = res
    if rule.expect == "exactly_one":
        if count != 1:
            run.add(Problem(t.file, rule.column, f"{rule.rule}; found {count}", "table_rule",
                            rows if count > 1 else (), 0 if count <= 1 else count, None))
    elif count:
        run.add(Problem(t.file, rule.column, rule.rule, "table_rule", rows, count, example))
