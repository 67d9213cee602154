"""Shared by the engine tests: every query the cockpit ships (each panel's `sql` and `[queries]`,
each analytics method as a named relation, the statements code runs whole: the published and
what-if scores), and how two engines' results are compared."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Floats agree when within this relative (or, near zero, absolute) difference: the engines sum
#: in different orders, so the last bits of a double may differ; nothing shown has 9 digits.
FLOAT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ShippedQuery:
    name: str  # panel id, panel id:query name, or relation:name
    sql: str
    ordered: bool  # the SQL orders its rows (compare in order) or not (compare as a multiset)
    weights: int = 0  # a what-if statement: binds this many weights (`scores.weight_params`)


def shipped_queries(layouts: Path, what_if: int = 2) -> list[ShippedQuery]:
    """Every panel statement under `layouts/`, every named relation (analytics method) and the
    statements code runs whole: the published scores, and the what-if scores and indicator scores
    the what-if panel runs (for `what_if` weights)."""
    from cockpit.analytics.scores import indicator_scores_sql, street_scores_sql
    from cockpit.relations import RELATIONS
    from cockpit.specs.loader import load_catalog

    catalog = load_catalog(layouts)
    assert not catalog.errors, catalog.errors
    out = []
    for pid, panel in sorted(catalog.panels.items()):
        out.append(ShippedQuery(pid, panel.spec.sql, _orders(panel.spec.sql)))
        for name, sql in sorted(panel.spec.queries.items()):
            out.append(ShippedQuery(f"{pid}:{name}", sql, _orders(sql)))
    for name in sorted(RELATIONS):
        out.append(ShippedQuery(f"relation:{name}", f"select * from {name}", False))
    out.append(ShippedQuery("statement:street_scores", street_scores_sql(), True))
    if what_if:
        out.append(ShippedQuery("statement:what_if_street_scores", street_scores_sql(what_if), True, what_if))
        out.append(ShippedQuery("statement:what_if_indicator_scores", indicator_scores_sql(what_if), True, what_if))
    return out


def _orders(sql: str) -> bool:
    import sqlglot

    tree = sqlglot.parse_one(sql, read="duckdb")
    return tree.args.get("order") is not None


def family(dtype) -> str:
    """The kind of a column as a panel sees it: number, text, bool, time, or other."""
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "time"
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return "text"
    return str(dtype)


def _cell_equal(a, b) -> bool:
    a_na, b_na = _is_na(a), _is_na(b)
    if a_na or b_na:
        return a_na and b_na
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    return a == b


def _is_na(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _rows(df: pd.DataFrame) -> list[tuple]:
    return [tuple(_plain(v) for v in row) for row in df.itertuples(index=False, name=None)]


def _plain(v):
    if isinstance(v, np.ndarray):  # a list cell
        return tuple(v.tolist())
    if isinstance(v, list):
        return tuple(v)
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            return v.item()
        except (ValueError, AttributeError):
            return v
    return v


def _sort_key(row: tuple) -> tuple:
    return tuple((0, "") if _is_na(v) else (1, round(v, 6) if isinstance(v, float) else v) for v in row)


def differences(duck: pd.DataFrame, spark: pd.DataFrame, ordered: bool) -> list[str]:
    """What differs between two results ([] when they are equivalent): columns (names, order,
    kind), row count, then the first differing rows."""
    out = []
    if list(duck.columns) != list(spark.columns):
        return [f"columns differ: duckdb {list(duck.columns)} vs spark {list(spark.columns)}"]
    for col in duck.columns:
        fd, fs = family(duck[col].dtype), family(spark[col].dtype)
        if fd != fs and not (len(duck) == 0 and len(spark) == 0):
            out.append(f"column {col}: duckdb {fd} ({duck[col].dtype}) vs spark {fs} ({spark[col].dtype})")
    if len(duck) != len(spark):
        out.append(f"row count: duckdb {len(duck)} vs spark {len(spark)}")
        return out
    a, b = _rows(duck), _rows(spark)
    unordered = _first_differences(sorted(a, key=_sort_key), sorted(b, key=_sort_key))
    if unordered:
        return out + unordered
    if ordered and _first_differences(a, b):
        out.append("the same rows in another order: the ORDER BY leaves ties (end it with a unique column)")
    return out


def _first_differences(a: list[tuple], b: list[tuple]) -> list[str]:
    out = []
    for i, (ra, rb) in enumerate(zip(a, b)):
        if not all(_cell_equal(x, y) for x, y in zip(ra, rb)):
            out.append(f"row {i}: duckdb {ra} vs spark {rb}")
            if len(out) > 2:
                break
    return out
