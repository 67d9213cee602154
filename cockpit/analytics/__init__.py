"""Documented analytics methods: street scores, request flow, early warning, ledger indices.

Every figure is computed in DuckDB SQL with bound parameters; the methods are written out in
plain words in ``docs/methods.md`` so that a leader's office can redo any number by hand.

Each module exposes SQL text (constants or small functions returning SQL) that panels can reuse
and Python functions that take a DuckDB connection (or cursor) plus parameters and return pandas
DataFrames. The SQL refers to the snapshot's views by table name (``regions``, ``requests``,
``region_tree``, ``requests_daily`` ...); :func:`connect_snapshot` opens those views on a snapshot
directory for the CLI and tests, and :func:`live_snapshot_dir` resolves a store's ``CURRENT``
(both defined in :mod:`cockpit.snapshot`, offered here for the analytics' callers).

This package is read side only: the rollup builders that write the methods' results at publish
time live in :mod:`cockpit.ingest.rollups` and reuse the SQL written here.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is loaded where a frame is made: the ingest needs only the SQL
    import pandas as pd

from cockpit.snapshot import connect_snapshot, live_snapshot_dir, snapshot_as_of

__all__ = ["connect_snapshot", "live_snapshot_dir", "run", "snapshot_as_of", "sql_params"]

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)


def sql_params(sql: str) -> set[str]:
    """The names of the ``$name`` parameters that ``sql`` binds (not in strings or comments)."""
    return set(_PARAM.findall(_STRINGS_AND_COMMENTS.sub(" ", sql)))


def run(con: Any, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run ``sql`` with the subset of ``params`` it refers to and return a DataFrame.

    DuckDB refuses named parameters that a statement does not use, so callers may pass one
    dict of everything they know (``as_of``, ``region`` ...) and each query takes what it needs.
    A parameter the SQL needs but ``params`` lacks is an error, never silently NULL.
    """
    names = sql_params(sql)
    params = dict(params or {})
    missing = names - params.keys()
    if missing:
        raise KeyError(f"SQL parameters not given: {sorted(missing)}")
    bound = {k: params[k] for k in names}
    return con.execute(sql, bound).df() if bound else con.execute(sql).df()
