"""Documented analytics methods: street scores, request flow, early warning, ledger indices.

Every figure is computed in DuckDB SQL with bound parameters; the methods are written out in
plain words in ``docs/methods.md`` so that a leader's office can redo any number by hand.

Each module exposes SQL text (constants or small functions returning SQL) that panels can reuse
and Python functions that take a DuckDB connection (or cursor) plus parameters and return pandas
DataFrames. The SQL refers to the snapshot's views by table name (``regions``, ``requests``,
``region_tree``, ``requests_daily`` ...); :func:`connect_snapshot` opens those views on a snapshot
directory for the CLI and tests, and :func:`live_snapshot_dir` resolves a store's ``CURRENT``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping

import duckdb
import pandas as pd

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


def live_snapshot_dir(store: Path) -> Path:
    """The directory of the snapshot that ``STORE/CURRENT`` points at."""
    store = Path(store)
    pointer = store / "CURRENT"
    if not pointer.exists():
        raise FileNotFoundError(f"no published snapshot in {store} (CURRENT missing)")
    snap_id = pointer.read_text(encoding="utf-8").strip()
    snap = store / "snapshots" / snap_id
    if not snap.is_dir():
        raise FileNotFoundError(f"CURRENT points at a missing snapshot: {snap_id}")
    return snap


def snapshot_as_of(snapshot_dir: Path) -> str | None:
    """The ``as_of`` date (``YYYY-MM-DD``) of a snapshot, from its ``manifest.json``."""
    manifest = Path(snapshot_dir) / "manifest.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8")).get("as_of")


def connect_snapshot(snapshot_dir: Path, con: duckdb.DuckDBPyConnection | None = None
                     ) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per table of a snapshot directory.

    The same views the rollup builders see (``cockpit.rollups.snapshot_views``): tables,
    ``requests`` over the month partitions, rollups, and empty views for absent core tables.
    """
    from cockpit.rollups import connect_snapshot as _connect  # lazy: rollups imports analytics
    return _connect(Path(snapshot_dir), con)
