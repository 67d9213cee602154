"""Baseline 2 of `make bench`: an ordinary Dash app that runs one DuckDB query straight on the
requests parquet in every callback, with no cache (see `baseline_common` for the page and the
definitions).

Serve: ``BENCH_SNAPSHOT=DIR gunicorn 'bench.baseline_duckdb:create_server()'``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

try:  # run as a module of the bench package (gunicorn, tests) or as a script
    from bench import baseline_common as common
except ImportError:  # pragma: no cover
    import baseline_common as common


def _quoted(path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class DuckSource:
    """One in-memory DuckDB connection per process; every call is one query on a fresh cursor."""

    def __init__(self, snap: Path):
        self.con = duckdb.connect()
        files = ", ".join(_quoted(f) for f in common.request_files(snap))
        regions = _quoted(snap / "tables" / "regions.parquet")
        # Views only: every callback reads the parquet again (no cache, no materialised table).
        self.con.execute(f"CREATE VIEW regions AS SELECT region_code, name, level, parent_code FROM read_parquet({regions})")
        self.con.execute(f"""CREATE VIEW requests AS
            SELECT r.*, s.parent_code AS county_code FROM read_parquet([{files}]) r
            LEFT JOIN regions s ON s.region_code = r.street_code""")
        self.cutoff = common.overdue_cutoff(snap)
        self.names = dict(self._rows("SELECT region_code, name FROM regions", {}))  # labels, read once

    def _rows(self, sql: str, params: dict) -> list[tuple]:
        cur = self.con.cursor()  # a cursor per call: callbacks run on several threads
        try:
            return cur.execute(sql, params).fetchall()
        finally:
            cur.close()

    def _scoped(self, select: str, county: str | None, period: str, tail: str = "") -> list[tuple]:
        start, end = common.month_bounds(period)
        sql = (f"SELECT {select} FROM requests WHERE received_at >= $start AND received_at < $end "
               f"AND ($county IS NULL OR county_code = $county) {tail}")
        params = {"start": start, "end": end, "county": county}
        if "$cutoff" in sql:
            params["cutoff"] = self.cutoff
        return self._rows(sql, params)

    def counties(self) -> list[tuple[str, str]]:
        return self._rows("SELECT region_code, name FROM regions WHERE level = 'county' ORDER BY region_code", {})

    def periods(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT strftime(received_at, '%Y-%m') AS m FROM requests ORDER BY m", {})]

    def count(self, county, period) -> int:
        return int(self._scoped("count(*)", county, period)[0][0])

    def closure(self, county, period) -> float | None:
        n, closed = self._scoped("count(*), count(closed_at)", county, period)[0]
        return closed / n if n else None

    def by_area(self, county, period) -> list[tuple[str, str, int]]:
        key = "street_code" if county else "county_code"
        rows = self._scoped(f"{key} AS code, count(*) AS n", county, period, "GROUP BY code")
        return sorted(((str(c), self.names.get(c, str(c)), int(n)) for c, n in rows), key=lambda r: (-r[2], r[0]))

    def daily(self, county, period) -> list[tuple[dt.date, int]]:
        rows = self._scoped("CAST(received_at AS DATE) AS day, count(*)", county, period, "GROUP BY day ORDER BY day")
        return [(d, int(n)) for d, n in rows]

    def by_channel(self, county, period) -> list[tuple[str, int]]:
        rows = self._scoped("channel, count(*) AS n", county, period, "GROUP BY channel ORDER BY n DESC, channel")
        return [(c, int(n)) for c, n in rows]

    def overdue(self, county, period) -> list[tuple[str, str, int]]:
        rows = self._scoped("street_code, count(*) AS n", county, period,
                            f"AND closed_at IS NULL AND due_at < $cutoff GROUP BY street_code "
                            f"ORDER BY n DESC, street_code LIMIT {common.TOP_OVERDUE}")
        return [(c, self.names.get(c, c), int(n)) for c, n in rows]


def create_app(snap: Path | None = None):
    """The baseline Dash app over `snap` (default: ``BENCH_SNAPSHOT``)."""
    return common.build_app(DuckSource(snap or common.snapshot_dir()), "基线：DuckDB 每回调一查询")


def create_server():
    """The WSGI app for gunicorn (``bench.baseline_duckdb:create_server()``)."""
    app = create_app()
    # Dash registers its script paths when it first renders the page; without this, a worker
    # asked for a script before it ever served the page answers 500 (seen with 2 workers).
    app.server.test_client().get("/")
    print(f"bench baseline ready in worker {common.os.getpid()}", flush=True)  # servers.READY_LINE
    return app.server


if __name__ == "__main__":  # pragma: no cover
    create_app().run(port=8061)
