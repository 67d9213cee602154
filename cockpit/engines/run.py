"""One finished statement on the configured engine, capped: the dispatch `cockpit.query` calls."""

from __future__ import annotations

from typing import Any

from cockpit.engines import EngineError, duck, rows_message


def run_capped(engine: str, db, snapshot: str, full: str, bound: dict[str, Any], timeout: float, settings) -> Any:
    """Run `full` (a finished statement) on `engine` ("duckdb" or "spark") with `LIMIT cap+1`, under
    the timeout and the result caps of `settings`; an Arrow table, or an EngineError."""
    max_rows, max_bytes = settings.max_result_rows, settings.max_result_bytes
    capped = f"SELECT * FROM ({full}) AS capped LIMIT {int(max_rows) + 1}"
    if engine == "spark":
        from cockpit.engines.spark import get_engine  # pyspark only when Spark is the engine

        table = get_engine(settings.spark_remote).run(snapshot, db.attach(snapshot).path, capped, bound, timeout,
                                                      max_bytes)
        if table.num_rows > max_rows:
            raise EngineError(rows_message(max_rows))
        return table
    if engine != "duckdb":
        raise EngineError(f"unknown engine {engine!r}; expected duckdb or spark")
    return duck.run(db, snapshot, capped, bound, timeout, max_rows, max_bytes)
