"""DuckDB access: one connection per process, a cursor per thread, one schema of views per snapshot.

Why this shape: DuckDB is embedded, so a connection opened before gunicorn forks would be shared
by workers; we open it lazily and re-open when the pid changes. Each snapshot gets its own schema
(`snap_<id>`) of views over its parquet files, so a page pinned to an older snapshot keeps reading
exactly that snapshot while new ones are published. External access is limited to the store, and
the configuration is locked so panel SQL cannot widen it.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from cockpit.duck import ident
from cockpit.settings import get_settings
from cockpit.snapshot import snapshot_views
from cockpit.store import SNAPSHOT_ID, read_live_id


@dataclass(frozen=True)
class SnapshotInfo:
    """What the query layer needs to know about one published snapshot."""

    id: str
    as_of: date
    path: Path
    tables: dict[str, str] = field(default_factory=dict)  # table name -> kind (core|extra|rollup)
    created_at: str = ""  # when it was published: tells apart two snapshots that reuse an id

    @property
    def schema(self) -> str:
        return "snap_" + self.id.replace("-", "_")


def list_snapshot_ids(store: Path) -> list[str]:
    """Every published snapshot id, oldest first."""
    root = store / "snapshots"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if SNAPSHOT_ID.fullmatch(p.name) and (p / "manifest.json").is_file())


def snapshot_info(store: Path, snapshot_id: str) -> SnapshotInfo:
    """Read one snapshot's manifest. Raises KeyError for ids that are not published snapshots."""
    if not SNAPSHOT_ID.fullmatch(snapshot_id or ""):
        raise KeyError(f"not a snapshot id: {snapshot_id!r}")
    path = store / "snapshots" / snapshot_id
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyError(f"no such snapshot: {snapshot_id}") from None
    tables = {name: meta.get("kind", "core") for name, meta in manifest.get("tables", {}).items()}
    return SnapshotInfo(id=snapshot_id, as_of=date.fromisoformat(manifest["as_of"]), path=path, tables=tables,
                        created_at=str(manifest.get("created_at", "")))


class Database:
    """The process's DuckDB connection and the per-snapshot view schemas registered on it."""

    def __init__(self, store: Path):
        self.store = store.resolve()
        self._pid = -1
        self._lock = threading.Lock()
        self._local = threading.local()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._schemas: dict[str, SnapshotInfo] = {}
        self._columns: dict[tuple[str, str], list[str]] = {}
        self._views: dict[str, list[str]] = {}
        # Per-snapshot derived values (e.g. the scoped CTE text); snapshots never change.
        self.memo: dict[tuple, object] = {}

    # -- connection -------------------------------------------------------------------------
    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None or self._pid != os.getpid():
            with self._lock:
                if self._con is None or self._pid != os.getpid():
                    self._open()
        assert self._con is not None
        return self._con

    def _open(self) -> None:
        settings = get_settings()
        con = duckdb.connect(":memory:", config={
            "threads": settings.duckdb_threads,
            "memory_limit": settings.duckdb_memory_limit,
        })
        snapshots = self.store / "snapshots"
        snapshots.mkdir(parents=True, exist_ok=True)
        # Spill space of its own (DuckDB would otherwise pick, and allow, a folder in the CWD).
        spill = Path(tempfile.mkdtemp(prefix="cockpit-duckdb-"))
        con.execute("SET temp_directory = ?", [str(spill)])
        # Only published snapshots may be read; then freeze the configuration so no SQL can undo it.
        con.execute("SET allowed_directories = ?", [[str(snapshots) + "/"]])
        con.execute("SET enable_external_access = false")
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        # No replacement scans of Python objects: a table name never reads a variable of the caller.
        con.execute("SET python_enable_replacements = false")
        con.execute("SET lock_configuration = true")
        self._con = con
        self._pid = os.getpid()
        self._schemas = {}
        self._columns = {}
        self._local = threading.local()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (a DuckDB cursor is not safe to share between threads)."""
        con = self._connection()
        cur = getattr(self._local, "cursor", None)
        if cur is None or getattr(self._local, "pid", None) != os.getpid():
            cur = con.cursor()
            self._local.cursor = cur
            self._local.pid = os.getpid()
        return cur

    def conversion_cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's second cursor, only for turning Arrow results into DataFrames: the query
        cursor may hold an unfinished result of a metadata lookup (DuckDB then refuses other work
        on it), and a result from another engine never ran on it."""
        con = self._connection()
        cur = getattr(self._local, "convert", None)
        if cur is None or getattr(self._local, "convert_pid", None) != os.getpid():
            cur = con.cursor()
            self._local.convert = cur
            self._local.convert_pid = os.getpid()
        return cur

    def snapshot_cursor(self, snapshot_id: str) -> duckdb.DuckDBPyConnection:
        """This thread's cursor, reading the views of one snapshot (unqualified names resolve there)."""
        schema = self.attach(snapshot_id).schema
        cur = self.cursor()
        cur.execute(f"USE {ident(schema)}")
        return cur

    # -- snapshots --------------------------------------------------------------------------
    def live_id(self) -> str | None:
        """The id CURRENT points at, or None when nothing is published. A pointer that is not a
        published snapshot's id raises `cockpit.store.StoreError` (`cockpit.store.read_live_id`)."""
        return read_live_id(self.store)

    def snapshot_ids(self) -> list[str]:
        """Snapshots a viewer may choose: the live one and those published before it. A newer
        directory is one whose publication was interrupted before the pointer moved."""
        live = self.live_id()
        return [i for i in list_snapshot_ids(self.store) if live is not None and i <= live]

    def attach(self, snapshot_id: str) -> SnapshotInfo:
        """Register (once) the schema of views for a snapshot and return its info."""
        con = self._connection()
        info = self._schemas.get(snapshot_id)
        if info is not None:
            return info
        with self._lock:
            info = self._schemas.get(snapshot_id)
            if info is not None:
                return info
            info = snapshot_info(self.store, snapshot_id)
            schema = info.schema
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
            views = _view_sources(info)
            for name, sql in views.items():
                con.execute(f"CREATE OR REPLACE VIEW {ident(schema)}.{ident(name)} AS {sql}")
            self._views[snapshot_id] = sorted(views)
            self._schemas[snapshot_id] = info
            return info

    def tables(self, snapshot_id: str) -> list[str]:
        """The view names of one snapshot."""
        self.attach(snapshot_id)
        return self._views[snapshot_id]

    def columns(self, snapshot_id: str, table: str) -> list[str]:
        """Column names of one view (cached: snapshots are immutable)."""
        key = (snapshot_id, table)
        if key not in self._columns:
            info = self.attach(snapshot_id)
            rows = self.cursor().execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "ORDER BY ordinal_position", [info.schema, table]).fetchall()
            self._columns[key] = [r[0] for r in rows]
        return self._columns[key]


def _view_sources(info: SnapshotInfo) -> dict[str, str]:
    """SQL source of every view of a snapshot (`cockpit.snapshot`, the views the rollup builders see),
    except that `regions` hides its geometry: maps get it from cockpit.geo, SQL sees attributes only."""
    views = snapshot_views(info.path)
    if "regions" in views:
        views["regions"] = f"SELECT * EXCLUDE (geometry) FROM ({views['regions']})"
    return views


_db: Database | None = None
_db_lock = threading.Lock()


def get_db() -> Database:
    """The process-wide Database for the configured store."""
    global _db
    store = get_settings().store.resolve()
    if _db is None or _db.store != store:
        with _db_lock:
            if _db is None or _db.store != store:
                _db = Database(store)
    return _db
