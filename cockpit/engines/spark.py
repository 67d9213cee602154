"""The Spark engine: panel SQL on a Spark Connect server reading the snapshot's parquet from the
same store path.

`cockpit.query` does everything engine-independent (guard, scoped and named relations, parameters,
slots, remembered timeouts, the cache); this module only runs the finished statement. One Spark
Connect session per (process, snapshot): its temporary views are that snapshot's tables (the same
views `cockpit.snapshot` gives DuckDB, read by Spark from the same files), so a page pinned to an
older snapshot keeps reading exactly that one. The statement is translated by `cockpit.portable`
and every value is bound as a Spark named parameter (`:name`), never formatted into the SQL.

A timeout interrupts the statement by its tag (`interruptTag`), again every `_INTERRUPT_EVERY_S`
until the call returns, so an operation the server registers after the first interrupt is stopped
too and no job keeps running on the cluster for a viewer who got the timeout; the result cap is
the same `LIMIT cap+1` plus a byte count of the Arrow result.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
import warnings
from pathlib import Path
from typing import Any

import pyarrow as pa

from cockpit.contract import CONTRACTS, SQL_TYPES
from cockpit.duck import ident
from cockpit.engines import EngineError, bytes_message, timeout_message
from cockpit.engines.spark_server import SESSION_CONF
from cockpit.portable import to_spark
from cockpit.snapshot import CLOSING_DAILY_SQL, rollup_sources

log = logging.getLogger(__name__)

# pyspark 4.3 warns on import that it "does not yet fully support pandas >= 3.0.0"; the engine
# hands pandas nothing but Arrow tables, and the equivalence suite checks every shipped result, so
# the warning is only noise on every `cockpit query --engine spark` and in every log.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)

#: After a timeout, the statement's tag is interrupted again this often until its call returns.
_INTERRUPT_EVERY_S = 0.25


def _table_sources(snapshot_dir: Path) -> dict[str, tuple[str, Any]]:
    """{view: ("parquet", path) | ("requests", folder) | ("empty" or "sql", select-sql)} of a snapshot,
    as `cockpit.snapshot` defines them for DuckDB: tables, requests over its month partitions,
    rollups, empty absent core tables, the closing-day rollup an older snapshot lacks."""
    out: dict[str, tuple[str, Any]] = {}
    for path in sorted((snapshot_dir / "tables").glob("*.parquet")):
        out[path.stem] = ("parquet", path)
    if sorted((snapshot_dir / "requests").glob("month=*/data.parquet")):
        out["requests"] = ("requests", snapshot_dir / "requests")
    for name, table in CONTRACTS.items():
        if name not in out:
            cols = ", ".join(f"CAST(NULL AS {SQL_TYPES[c.type]}) AS {ident(c.name)}" for c in table.columns)
            out[name] = ("empty", f"SELECT {cols} WHERE false")
    for name, source in rollup_sources(snapshot_dir).items():
        # a rollup kept per month is read as its folder (Spark reads every file in it)
        out[name] = ("parquet", source.parent if source.name == "*.parquet" else source)
    if "requests_closing_daily" not in out and "requests" in out:
        # a snapshot published before this rollup existed: derived from its requests, as for DuckDB
        out["requests_closing_daily"] = ("sql", CLOSING_DAILY_SQL)
    return out


class SparkEngine:
    """Spark Connect sessions of this process, one per snapshot."""

    def __init__(self, remote: str):
        self.remote = remote
        self._lock = threading.Lock()
        self._sessions: dict[str, Any] = {}
        self._pid = os.getpid()

    def session(self, snapshot_id: str, snapshot_dir: Path):
        """The session whose temporary views are this snapshot's tables (created once)."""
        if self._pid != os.getpid():  # forked: the parent's gRPC channels are not ours
            self._sessions, self._pid = {}, os.getpid()
        # Keyed by the folder as well: two stores may hold snapshots of the same id.
        key = f"{snapshot_id}|{Path(snapshot_dir).resolve()}"
        found = self._sessions.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._sessions.get(key)
            if found is None:
                found = self._open(snapshot_dir)
                self._sessions[key] = found
            return found

    def _open(self, snapshot_dir: Path):
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.remote(self.remote).create()
        # The session settings DuckDB's meaning needs (UTC, TIMESTAMP_NTZ, ANSI), whatever the
        # server's defaults; a setting the server does not let a session change is left as it is.
        for key, value in SESSION_CONF.items():
            try:
                spark.conf.set(key, value)
            except Exception:
                pass
        for name, (kind, source) in _table_sources(Path(snapshot_dir).resolve()).items():
            if kind == "parquet":
                frame = spark.read.parquet(str(source))
            elif kind == "requests":
                # The month folders are not a column (as for DuckDB: no hive partitioning).
                frame = spark.read.option("recursiveFileLookup", "true").parquet(str(source))
            else:
                frame = spark.sql(to_spark(source))
            if name == "regions" and "geometry" in frame.columns:
                frame = frame.drop("geometry")  # maps get geometry from cockpit.geo; SQL sees attributes
            frame.createOrReplaceTempView(name)
        return spark

    def run(self, snapshot_id: str, snapshot_dir: Path, sql: str, params: dict[str, Any], timeout_s: float,
            max_bytes: int) -> pa.Table:
        """Run one finished DuckDB-dialect statement (already capped with LIMIT) on Spark."""
        spark = self.session(snapshot_id, snapshot_dir)
        statement = to_spark(sql)
        tag = "cockpit-" + uuid.uuid4().hex
        interrupted, returned = threading.Event(), threading.Event()

        def stop() -> None:
            interrupted.set()
            log.warning("Spark statement %s ran past %g s: interrupting it", tag, timeout_s)
            while not returned.is_set():
                try:
                    spark.interruptTag(tag)
                except Exception:
                    pass
                returned.wait(_INTERRUPT_EVERY_S)

        timer = threading.Timer(timeout_s, stop)
        timer.daemon = True
        spark.addTag(tag)  # this thread's operations only (tags are per thread in Spark Connect)
        timer.start()
        try:
            frame = _query_frame(spark, statement, params) if _ONE_ROUND_TRIP else spark.sql(statement, args=params or None)
            if interrupted.is_set():  # the timeout came while the statement was analysed
                raise EngineError(timeout_message(timeout_s), timed_out=True)
            table = frame.toArrow()
        except EngineError:
            raise
        except Exception as exc:
            if interrupted.is_set():
                raise EngineError(timeout_message(timeout_s), timed_out=True) from None
            raise EngineError(_short(exc)) from None
        finally:
            returned.set()
            timer.cancel()
            spark.removeTag(tag)
        if table.nbytes > max_bytes:
            raise EngineError(bytes_message(max_bytes))
        return table

    def close(self) -> None:
        with self._lock:
            for spark in self._sessions.values():
                try:
                    spark.stop()
                except Exception:
                    pass
            self._sessions = {}


#: Send a statement once, as the relation of the result fetch (see `_query_frame`).
_ONE_ROUND_TRIP = True


def _query_frame(spark, statement: str, params: dict[str, Any]):
    """The statement as a lazy DataFrame: its SQL relation is sent once, with the fetch of its
    result. `SparkSession.sql` would first send it as a command, which the server parses and
    analyses only to send the same relation back for the fetch, where it is parsed, analysed and
    then optimised and run: twice the analysis of every statement (a panel's statement with its
    scoped relations takes a Spark analyser long) and one more round trip. Panel statements are
    queries, never commands, so nothing is lost. Falls back to `SparkSession.sql` should a
    pyspark release no longer have the relation class."""
    try:
        from pyspark.sql.connect.dataframe import DataFrame
        from pyspark.sql.connect.functions import lit
        from pyspark.sql.connect.plan import SQL
    except ImportError:  # pragma: no cover - another pyspark layout
        return spark.sql(statement, args=params or None)
    return DataFrame(SQL(statement, [], {k: lit(v) for k, v in (params or {}).items()}, []), spark)


def _short(exc: Exception) -> str:
    """The first line of a Spark error, without the JVM stack."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:500]


_engines: dict[str, SparkEngine] = {}
_engines_lock = threading.Lock()


def get_engine(remote: str) -> SparkEngine:
    """The process's engine for one Spark Connect URL."""
    with _engines_lock:
        engine = _engines.get(remote)
        if engine is None:
            engine = _engines[remote] = SparkEngine(remote)
        return engine
