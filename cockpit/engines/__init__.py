"""The engines panel SQL runs on, behind one query layer (`cockpit.query`): `duck` (DuckDB in this
process, the default) and `spark` (a Spark Connect server reading the same store path).

`cockpit.query` does everything that must behave the same on every engine (the guard, scoped and
named relations, bound parameters, query slots, remembered timeouts, the result cache); an engine
only runs one finished, capped statement under a timeout and counts the result's bytes."""

from __future__ import annotations


class EngineError(RuntimeError):
    """A statement failed on an engine (the message is safe to show); `timed_out` when it was
    stopped by the timeout."""

    def __init__(self, message: str, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


def timeout_message(timeout_s: float) -> str:
    return f"query exceeded {timeout_s:g} s and was stopped"


def rows_message(max_rows: int) -> str:
    return f"result has more than {max_rows:,} rows; aggregate or add LIMIT"


def bytes_message(max_bytes: int) -> str:
    return f"result is larger than {max_bytes / 1e6:g} MB; aggregate, select fewer columns or add LIMIT"

