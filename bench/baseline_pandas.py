"""Baseline 1 of `make bench`: an ordinary Dash app that keeps the requests in a pandas DataFrame
and filters it in every callback (see `baseline_common` for the page and the definitions).

Serve: ``BENCH_SNAPSHOT=DIR gunicorn 'bench.baseline_pandas:create_server()'``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

try:  # run as a module of the bench package (gunicorn, tests) or as a script
    from bench import baseline_common as common
except ImportError:  # pragma: no cover
    import baseline_common as common


class PandasSource:
    """All requests in memory, filtered with boolean masks per call."""

    def __init__(self, snap: Path):
        regions = pd.read_parquet(snap / "tables" / "regions.parquet", columns=["region_code", "name", "level", "parent_code"])
        self.names = dict(zip(regions["region_code"], regions["name"]))
        streets = regions[regions["level"] == "street"][["region_code", "parent_code"]]
        self.county_rows = regions[regions["level"] == "county"].sort_values("region_code")
        frame = pd.read_parquet(common.request_files(snap),
                                columns=["street_code", "channel", "received_at", "closed_at", "due_at"])
        frame = frame.merge(streets.rename(columns={"region_code": "street_code", "parent_code": "county_code"}),
                            on="street_code", how="left")
        frame["month"] = frame["received_at"].dt.strftime("%Y-%m")
        frame["day"] = frame["received_at"].dt.date
        frame["closed"] = frame["closed_at"].notna()
        self.frame = frame
        self.cutoff = pd.Timestamp(common.overdue_cutoff(snap))

    def _scope(self, county: str | None, period: str) -> pd.DataFrame:
        mask = self.frame["month"] == period
        if county:
            mask &= self.frame["county_code"] == county
        return self.frame[mask]

    def counties(self) -> list[tuple[str, str]]:
        return list(zip(self.county_rows["region_code"], self.county_rows["name"]))

    def periods(self) -> list[str]:
        return sorted(self.frame["month"].unique().tolist())

    def count(self, county, period) -> int:
        return int(len(self._scope(county, period)))

    def closure(self, county, period) -> float | None:
        df = self._scope(county, period)
        return float(df["closed"].sum()) / len(df) if len(df) else None

    def by_area(self, county, period) -> list[tuple[str, str, int]]:
        df = self._scope(county, period)
        key = "street_code" if county else "county_code"
        counts = df.groupby(key).size()
        rows = [(str(k), self.names.get(k, str(k)), int(v)) for k, v in counts.items()]
        return sorted(rows, key=lambda r: (-r[2], r[0]))

    def daily(self, county, period) -> list[tuple[dt.date, int]]:
        counts = self._scope(county, period).groupby("day").size()
        return sorted((k, int(v)) for k, v in counts.items())

    def by_channel(self, county, period) -> list[tuple[str, int]]:
        counts = self._scope(county, period).groupby("channel").size()
        return sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda r: (-r[1], r[0]))

    def overdue(self, county, period) -> list[tuple[str, str, int]]:
        df = self._scope(county, period)
        late = df[~df["closed"] & (df["due_at"] < self.cutoff)]
        counts = late.groupby("street_code").size()
        rows = sorted(((str(k), self.names.get(k, str(k)), int(v)) for k, v in counts.items()),
                      key=lambda r: (-r[2], r[0]))
        return rows[:common.TOP_OVERDUE]


def create_app(snap: Path | None = None):
    """The baseline Dash app over `snap` (default: ``BENCH_SNAPSHOT``)."""
    return common.build_app(PandasSource(snap or common.snapshot_dir()), "基线：pandas 内存")


def create_server():
    """The WSGI app for gunicorn (``bench.baseline_pandas:create_server()``)."""
    app = create_app()
    # Dash registers its script paths when it first renders the page; without this, a worker
    # asked for a script before it ever served the page answers 500 (seen with 2 workers).
    app.server.test_client().get("/")
    print(f"bench baseline ready in worker {common.os.getpid()}", flush=True)  # servers.READY_LINE
    return app.server

if __name__ == "__main__":  # pragma: no cover
    create_app().run(port=8060)
