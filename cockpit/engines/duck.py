"""The DuckDB engine: one finished statement on this thread's cursor of the process's database
(`cockpit.db`), read as Arrow batches so that no more than the cap and one batch reaches Python."""

from __future__ import annotations

import threading
from typing import Any

import duckdb
import pyarrow as pa

from cockpit.db import Database
from cockpit.engines import EngineError, bytes_message, rows_message, timeout_message

_BATCH_ROWS = 8192


def run(db: Database, snapshot: str, capped: str, bound: dict[str, Any], timeout: float, max_rows: int,
        max_bytes: int) -> pa.Table:
    """Run `capped` (already `LIMIT max_rows+1`) under the timeout, reading at most the caps."""
    cur = db.snapshot_cursor(snapshot)
    # DuckDB has no statement timeout; interrupt the cursor from a timer instead.
    timer = threading.Timer(timeout, cur.interrupt)
    timer.start()
    try:
        reader = cur.sql(capped, params=bound or None).to_arrow_reader(_BATCH_ROWS)
        batches, rows, size = [], 0, 0
        for batch in reader:
            rows += batch.num_rows
            size += batch.nbytes
            if rows > max_rows:
                raise EngineError(rows_message(max_rows))
            if size > max_bytes:
                raise EngineError(bytes_message(max_bytes))
            batches.append(batch)
        return pa.Table.from_batches(batches, schema=reader.schema)
    except duckdb.InterruptException:
        raise EngineError(timeout_message(timeout), timed_out=True) from None
    except (duckdb.Error, OSError, pa.ArrowException) as exc:
        # An error while batches stream (an interrupt too) reaches Python through Arrow.
        if "INTERRUPT Error" in str(exc):
            raise EngineError(timeout_message(timeout), timed_out=True) from None
        raise EngineError(str(exc).split("\n\nLINE")[0]) from None
    finally:
        timer.cancel()
