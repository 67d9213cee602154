"""Portable SQL: the subset of DuckDB SQL that means the same on DuckDB and on Spark, and its
translation to Spark SQL.

Panel and analytics SQL is written in DuckDB's dialect. `problems(sql)` lists every construct
outside the portable subset (which construct, where, and what to write instead); `cockpit check`
reports them. `to_spark(sql)` translates with the pinned sqlglot plus the overrides below, where
sqlglot's own DuckDB→Spark translation fails or silently changes the meaning:

| DuckDB | sqlglot writes | why that is wrong | we write |
|---|---|---|---|
| `epoch(ts)` | `UNIX_TIMESTAMP(ts)` | whole seconds (drops the fraction) | `CAST(UNIX_MICROS(CAST(ts AS TIMESTAMP_LTZ)) AS DOUBLE) / 1000000` (UTC session) |
| `date_trunc('month', x)` | `TRUNC(x, 'MONTH')` / `DATE_TRUNC` | a DATE, or a zoned timestamp; DuckDB gives a naive timestamp | `CAST(DATE_TRUNC('MONTH', x) AS TIMESTAMP_NTZ)` |
| `x - INTERVAL 60 DAY` on a DATE | `x - INTERVAL '60' DAY` | a DATE; DuckDB gives a naive timestamp | `CAST(x AS TIMESTAMP_NTZ) - INTERVAL …` |
| `WITH a AS NOT MATERIALIZED (…)` | kept | Spark has no materialisation hint | `WITH a AS (…)` |
| a WITH inside a subquery | hoisted to the top | two methods' CTEs of one name collide | left where it is |
| `1.0` (a decimal literal) | `1.0` | Spark's decimal arithmetic widens differently (and overflows under ANSI) | `CAST(1.0 AS DOUBLE)` |
| a CTE nothing reads | kept | Spark's analyser resolves every one (the query layer prepends one per regional view) | left out |

Constructs with no faithful translation are refused by `problems` instead (see `RULES`): among
them `date_diff` (DuckDB counts boundaries, Spark elapsed units), day-of-week numbering,
`quantile_cont`/`percentile_cont` (sqlglot turns the latter into an approximation), `epoch` of an
interval, `now()`, zoned timestamps, list literals and list parameters, `strptime`, regular
expressions (RE2 vs Java), `QUALIFY`, `* EXCLUDE`, `generate_series`/`range` and `unnest` in FROM.
The sessions of the Spark engine run in UTC with TIMESTAMP_NTZ (`cockpit.engines.spark_server`),
so a naive timestamp is never read in a zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ParseError

#: strftime specifiers that sqlglot maps to the same Spark pattern letters.
PORTABLE_FORMATS = {"%Y", "%m", "%d", "%H", "%M", "%S"}

_NOW = {"now", "current_date", "current_timestamp", "today", "get_current_time", "get_current_timestamp",
        "current_time", "localtimestamp", "localtime", "transaction_timestamp"}
_DIFF = {"date_diff", "datediff", "date_sub", "datesub", "age", "timestampdiff", "date_part_diff"}
_WEEKDAY = {"dayofweek", "dow", "isodow", "weekday", "dayname", "week", "weekofyear", "yearweek", "isoyear",
            "dayofyear", "doy"}
_QUANTILE = {"quantile", "quantile_cont", "quantile_disc", "percentile_cont", "percentile_disc",
             "approx_quantile", "reservoir_quantile", "mode", "mad"}
_EPOCH_UNITS = {"epoch_ms", "epoch_us", "epoch_ns", "to_timestamp", "make_timestamp", "epoch_second"}
_REGEX = {"regexp_matches", "regexp_replace", "regexp_extract", "regexp_full_match", "regexp_split_to_array",
          "regexp_extract_all", "rlike", "similar_to"}
_LISTS = {"list_value", "list_contains", "list_has", "array_contains", "list_aggregate", "list_sort",
          "array_length", "len", "list_extract", "array_extract", "list_concat", "array_concat", "list_slice",
          "list_filter", "list_transform", "list_distinct", "list_unique", "array_agg", "list", "string_split",
          "str_split", "flatten", "struct_pack", "map"}
_ZONES = {"timezone", "at_time_zone", "make_timestamptz", "to_timestamptz"}


@dataclass(frozen=True)
class Problem:
    """One construct outside the portable subset."""

    construct: str
    where: str
    instead: str

    def __str__(self) -> str:
        return f"{self.construct} (in `{self.where}`) is not portable SQL: {self.instead}"


def _snippet(node: exp.Expression) -> str:
    text = node.sql(dialect="duckdb")
    return text if len(text) <= 60 else text[:57] + "..."


def _name(node: exp.Expression) -> str:
    """A function node's name as written (sqlglot's class name for known functions)."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else ""


def _function_names(node: exp.Func) -> set[str]:
    names = {_name(node)}
    names.update(n.lower() for n in (getattr(type(node), "_sql_names", None) or []))
    if isinstance(node, exp.Anonymous):
        names = {str(node.this).lower()}
    return names


#: What to write instead of a DuckDB list bound to one parameter.
LIST_PARAMETER_INSTEAD = ("bind one value per parameter: IN ($a, $b) for a few values; for many, "
                          "one parameter per value read as rows, (VALUES ($k_0, $v_0), ($k_1, $v_1)) AS t(k, v), "
                          "then join t or write IN (SELECT k FROM t)")


def _is_list_type(node: exp.Expression) -> bool:
    return isinstance(node, exp.DataType) and node.is_type(exp.DataType.Type.ARRAY, exp.DataType.Type.LIST)


def _list_binding(param: exp.Expression) -> exp.Expression | None:
    """The expression that binds `param` as a DuckDB list (`$p::T[]`, `unnest($p)`, a list
    function of `$p`, `IN $p`, `= ANY($p)`), or None when it binds one value."""
    node, context = param, None
    while isinstance(node.parent, (exp.Paren, exp.Cast)):
        node = node.parent
        if isinstance(node, exp.Cast) and _is_list_type(node.to):
            context = node
    parent = node.parent
    if isinstance(parent, exp.In) and node.arg_key in ("field", "query", "unnest"):
        return parent
    if isinstance(parent, (exp.Any, exp.All, exp.Explode, exp.Unnest, exp.ArrayContains)) or (
            isinstance(parent, exp.Func) and _function_names(parent) & _LISTS):
        return parent
    return context


def problems(sql: str) -> list[Problem]:
    """Every construct of `sql` (DuckDB dialect) outside the portable subset, in reading order."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except ParseError as exc:
        return [Problem("SQL sqlglot cannot parse", str(exc).splitlines()[0][:80],
                        "write plain SELECT SQL that both engines parse")]
    found: list[Problem] = []

    def add(construct: str, node: exp.Expression, instead: str) -> None:
        found.append(Problem(construct, _snippet(node), instead))

    # A list bound to one parameter first: it is DuckDB-only binding, named as such (not as the
    # list type or list function it is written with, which are reported once, here).
    covered: set[int] = set()
    for param in tree.find_all(exp.Placeholder, exp.Parameter):
        binding = _list_binding(param)
        if binding is not None and id(binding) not in covered:
            add("a list parameter", binding, LIST_PARAMETER_INSTEAD)
            covered.update(id(n) for n in binding.walk())

    for node in tree.walk():
        if id(node) in covered:
            continue
        if isinstance(node, exp.Func):
            names = _function_names(node)
            if names & _NOW:
                add("the current time", node, "bind $as_of (the snapshot's date) instead of asking the clock")
            elif names & _DIFF:
                add("date_diff", node, "DuckDB counts boundaries and Spark elapsed units: subtract epochs, "
                    "e.g. (epoch(b) - epoch(a)) / 3600.0 for hours, or compare dates")
            elif names & _WEEKDAY or (isinstance(node, exp.Extract) and str(node.this.name).lower() in _WEEKDAY):
                add("day-of-week/week numbering", node, "the engines number days and weeks differently: compare "
                    "dates with ranges (day >= $period_start …) or keep a calendar column in a rollup")
            elif names & _QUANTILE or isinstance(node, (exp.PercentileCont, exp.PercentileDisc, exp.Quantile,
                                                        exp.ApproxQuantile)):
                add("quantile", node, "write median(x) (exact on both engines); sqlglot turns "
                    "percentile_cont into an approximation on Spark")
            elif names & _EPOCH_UNITS or isinstance(node, (exp.UnixToTime, exp.TimeToUnix)) and names & {
                    "unix_to_time", "epoch_ms", "epoch_us", "epoch_ns"}:
                add("epoch in other units", node, "write epoch(x) (seconds, fractional) and scale it")
            elif isinstance(node, exp.TimeToUnix) or "epoch" in names:
                arg = node.this
                if isinstance(arg, (exp.Sub, exp.Add, exp.Interval)) or (
                        isinstance(arg, exp.Paren) and isinstance(arg.this, (exp.Sub, exp.Add))):
                    add("epoch of an interval", node, "write epoch(b) - epoch(a) instead of epoch(b - a)")
            elif names & _REGEX or isinstance(node, (exp.RegexpLike, exp.RegexpReplace, exp.RegexpExtract)):
                add("a regular expression", node, "RE2 and Java regular expressions differ: use LIKE or "
                    "compare values")
            elif names & _LISTS or isinstance(node, (exp.ArrayAgg, exp.ArrayContains, exp.Array)):
                add("a list", node, "lists are not portable: keep one value per row (join, IN (subquery))")
            elif names & _ZONES or isinstance(node, exp.AtTimeZone):
                add("a time zone", node, "timestamps are without zone: compare naive timestamps")
            elif names & {"strptime", "str_to_date", "strtodate"} or isinstance(node, exp.StrToTime):
                add("strptime", node, "cast('YYYY-MM-DD' as date) or bind a value")
            elif (names & {"string_agg", "group_concat", "listagg"} or isinstance(node, exp.GroupConcat)) and not (
                    node.find(exp.Order)):
                add("string_agg without ORDER BY", node, "the order of the parts differs between engines: "
                    "write string_agg(x, ', ' ORDER BY x)")
            elif (names & {"string_agg", "group_concat", "listagg"} or isinstance(node, exp.GroupConcat)) and (
                    node.find(exp.Distinct)):
                # Spark cannot plan DISTINCT together with the ORDER BY the rule above asks for
                add("string_agg(DISTINCT …)", node, "select the distinct values in a subquery first, then "
                    "string_agg(x, ', ' ORDER BY x)")
            elif isinstance(node, exp.TimeToStr) or names & {"strftime", "time_to_str"}:
                fmt = node.args.get("format")
                spec = set(re.findall(r"%.", fmt.name)) if isinstance(fmt, exp.Literal) else None
                if spec is None or not spec <= PORTABLE_FORMATS:
                    add("strftime format", node, "use a literal format of %Y %m %d %H %M %S only")
            elif (names & {"generate_series", "range", "unnest"} or isinstance(node, exp.Unnest)) and isinstance(
                    node.parent, (exp.From, exp.Join, exp.Table)):
                add("a table function in FROM", node, "read rows from a relation (snapshot_months, a rollup), "
                    "or write unnest(column) in the SELECT list")
        elif isinstance(node, exp.Unnest) and isinstance(node.parent, (exp.From, exp.Join)):
            add("unnest in FROM", node, "write unnest(column) in the SELECT list (one row per element)")
        elif isinstance(node, exp.Qualify):
            add("QUALIFY", node, "filter the window result in an outer query")
        elif isinstance(node, exp.Star) and (node.args.get("except_") or node.args.get("except") or node.args.get("replace")
                                             or node.args.get("rename")):
            add("* EXCLUDE/REPLACE", node, "name the columns")
        elif isinstance(node, exp.DataType) and node.this in (exp.DataType.Type.TIMESTAMPTZ,
                                                              exp.DataType.Type.TIMESTAMPLTZ,
                                                              exp.DataType.Type.TIMETZ):
            add("a zoned timestamp type", node, "cast to timestamp (without zone)")
        elif isinstance(node, exp.DataType) and node.is_type(exp.DataType.Type.ARRAY, exp.DataType.Type.LIST):
            add("a list type", node, "lists are not portable: keep one value per row")
    return found


# -- translation to Spark ----------------------------------------------------------------------

def _as_ntz(node: exp.Expression) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark"))


def _is_date_minus_interval(node: exp.Expression) -> bool:
    return isinstance(node, (exp.Sub, exp.Add)) and isinstance(node.expression, exp.Interval)


def _rewrite(node: exp.Expression) -> exp.Expression:
    """One override of sqlglot's DuckDB → Spark translation (see the module docstring)."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node = node.copy()
        node.set("materialized", None)
        return node
    if isinstance(node, (exp.TimeToUnix,)) or (isinstance(node, exp.Anonymous) and str(node.this).lower() == "epoch"):
        arg = node.this if not isinstance(node, exp.Anonymous) else node.expressions[0]
        micros = exp.Anonymous(this="unix_micros", expressions=[
            exp.Cast(this=arg, to=exp.DataType.build("TIMESTAMP_LTZ", dialect="spark"))])
        return exp.Div(this=exp.Cast(this=micros, to=exp.DataType.build("DOUBLE")),
                       expression=exp.Literal.number(1000000))
    if isinstance(node, (exp.DateTrunc, exp.TimestampTrunc, exp.DatetimeTrunc)):
        unit = node.args.get("unit")
        unit_name = (unit.name if isinstance(unit, (exp.Literal, exp.Var)) else str(unit)).upper()
        trunc = exp.Anonymous(this="DATE_TRUNC", expressions=[exp.Literal.string(unit_name), node.this])
        return _as_ntz(trunc)
    if _is_date_minus_interval(node) and not isinstance(node.this, exp.Cast):
        node = node.copy()
        node.set("this", _as_ntz(node.this))
        return node
    if isinstance(node, exp.Literal) and not node.is_string and "." in node.name:
        return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
    return node


class SparkWithNestedCtes(Spark):
    """sqlglot's Spark dialect, except that a WITH inside a subquery stays there: sqlglot hoists it
    to the top (as for Hive), which makes two methods' CTEs of the same name collide; Spark 3+
    supports nested WITH, the inner name shadowing the outer one as in DuckDB."""

    class Generator(Spark.Generator):
        EXPRESSIONS_WITHOUT_NESTED_CTES: set = set()


def _reads(node: exp.Expression) -> set[str]:
    """The unqualified relation names `node` reads."""
    return {t.name.lower() for t in node.find_all(exp.Table) if not t.args.get("db")}


def drop_unused_ctes(tree: exp.Expression) -> exp.Expression:
    """`tree` without the CTEs nothing reads (in every WITH, transitively). The query layer prepends
    a scoped relation for every regional view; DuckDB skips the unused ones for free, Spark's
    analyser resolves each, which is a large share of a small statement's planning time."""
    for with_ in list(tree.find_all(exp.With)):
        ctes = {cte.alias_or_name.lower(): cte for cte in with_.expressions}
        outside: set[str] = set()
        for key, value in with_.parent.args.items():
            if value is with_:
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, exp.Expression):
                    outside |= _reads(child)
        keep: set[str] = set()
        todo = [name for name in outside if name in ctes]
        while todo:
            name = todo.pop()
            if name not in keep:
                keep.add(name)
                todo += [n for n in _reads(ctes[name].this) if n in ctes]
        kept = [cte for name, cte in ctes.items() if name in keep]
        if kept:
            with_.set("expressions", kept)
        else:
            with_.pop()
    return tree


@lru_cache(maxsize=2048)
def to_spark(sql: str) -> str:
    """`sql` (DuckDB dialect, portable subset, `$name` parameters) as Spark SQL (`:name` parameters)."""
    tree = drop_unused_ctes(sqlglot.parse_one(sql, read="duckdb"))
    tree = tree.transform(_rewrite)
    return tree.sql(dialect=SparkWithNestedCtes)
