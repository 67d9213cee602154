"""What both baseline Dash apps share: the page, the six outputs and how each answer is drawn.

The baselines are deliberately ordinary Dash apps, the yardstick of `make bench`: a county
dropdown and a period dropdown, six outputs, one callback per output, each callback computing
its answer from scratch. Only the data access differs (`baseline_pandas`, `baseline_duckdb`); both
implement `Source`, whose methods return plain Python values so tests can compare them.

Definitions (the same in both sources and in the tests):
- scope: the requests received in the period's month (`YYYY-MM`), of the streets whose parent
  is the chosen county (all streets when no county is chosen);
- count: requests in scope; closure rate: closed (``closed_at`` set) ÷ count (None when 0);
- by area: requests per county (no county chosen) or per street of the county, most first;
- daily: requests per day received; by channel: requests per channel, most first;
- overdue: requests in scope not closed whose ``due_at`` is before the end of the snapshot's
  as_of day, per street, the 20 streets with most, most first (ties by code).

The snapshot directory comes from ``BENCH_SNAPSHOT`` (a published snapshot of the cockpit store).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Protocol

from dash import Dash, Input, Output, dash_table, dcc, html

TOP_OVERDUE = 20
OUTPUTS = ("count", "by_area", "daily", "overdue", "by_channel", "closure")


class Source(Protocol):
    """Data access of one baseline: every method answers for (county or None, 'YYYY-MM')."""

    def counties(self) -> list[tuple[str, str]]: ...
    def periods(self) -> list[str]: ...
    def count(self, county: str | None, period: str) -> int: ...
    def by_area(self, county: str | None, period: str) -> list[tuple[str, str, int]]: ...
    def daily(self, county: str | None, period: str) -> list[tuple[dt.date, int]]: ...
    def overdue(self, county: str | None, period: str) -> list[tuple[str, str, int]]: ...
    def by_channel(self, county: str | None, period: str) -> list[tuple[str, int]]: ...
    def closure(self, county: str | None, period: str) -> float | None: ...


def snapshot_dir() -> Path:
    """The snapshot the baseline serves (``BENCH_SNAPSHOT``), checked to look like one."""
    raw = os.environ.get("BENCH_SNAPSHOT")
    if not raw:
        raise SystemExit("BENCH_SNAPSHOT is not set: the path of a published snapshot directory")
    path = Path(raw)
    if not (path / "manifest.json").is_file() or not (path / "requests").is_dir():
        raise SystemExit(f"BENCH_SNAPSHOT={path}: expected a snapshot directory with manifest.json and requests/")
    return path


def request_files(snap: Path) -> list[str]:
    """The month partitions of a snapshot's requests."""
    return [str(p) for p in sorted((snap / "requests").glob("month=*/data.parquet"))]


def as_of(snap: Path) -> dt.date:
    return dt.date.fromisoformat(json.loads((snap / "manifest.json").read_text(encoding="utf-8"))["as_of"])


def month_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[first instant of the month, first instant of the next month) of 'YYYY-MM'."""
    start = dt.datetime.strptime(period, "%Y-%m")
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, end


def overdue_cutoff(snap: Path) -> dt.datetime:
    """The end of the as_of day: a request due before it and not closed is overdue."""
    return dt.datetime.combine(as_of(snap) + dt.timedelta(days=1), dt.time())


def _bar(x, y, title: str, horizontal: bool = False) -> dict:
    trace = {"type": "bar", "x": y, "y": x, "orientation": "h"} if horizontal else {"type": "bar", "x": x, "y": y}
    return {"data": [trace], "layout": {"title": {"text": title}, "margin": {"l": 120, "r": 10, "t": 40, "b": 40}}}


def build_app(source: Source, name: str) -> Dash:
    """The baseline page over `source`: two dropdowns, six outputs, one callback each."""
    app = Dash(name, title=name)
    counties = source.counties()
    periods = source.periods()
    app.layout = html.Div([
        html.H3(name),
        html.Div([
            dcc.Dropdown(id="county", options=[{"label": n, "value": c} for c, n in counties],
                         placeholder="全部区县", clearable=True, style={"width": "300px"}),
            dcc.Dropdown(id="period", options=[{"label": p, "value": p} for p in reversed(periods)],
                         value=periods[-1] if periods else None, clearable=False, style={"width": "200px"}),
        ], style={"display": "flex", "gap": "1em"}),
        html.Div([html.Div(id="count", className="tile"), html.Div(id="closure", className="tile")],
                 style={"display": "flex", "gap": "2em", "fontSize": "2em"}),
        dcc.Graph(id="by_area"),
        dcc.Graph(id="daily"),
        dcc.Graph(id="by_channel"),
        dash_table.DataTable(id="overdue", columns=[{"name": "街道", "id": "name"}, {"name": "超期件数", "id": "overdue"}],
                             page_size=TOP_OVERDUE),
    ])
    inputs = [Input("county", "value"), Input("period", "value")]

    @app.callback(Output("count", "children"), *inputs)
    def count(county, period):
        return f"诉求量 {source.count(county, period):,}"

    @app.callback(Output("closure", "children"), *inputs)
    def closure(county, period):
        rate = source.closure(county, period)
        return "办结率 —" if rate is None else f"办结率 {rate:.1%}"

    @app.callback(Output("by_area", "figure"), *inputs)
    def by_area(county, period):
        rows = source.by_area(county, period)
        return _bar([r[1] for r in rows], [r[2] for r in rows], "诉求量（按区域）")

    @app.callback(Output("daily", "figure"), *inputs)
    def daily(county, period):
        rows = source.daily(county, period)
        return {"data": [{"type": "scatter", "mode": "lines", "x": [d.isoformat() for d, _ in rows],
                          "y": [n for _, n in rows]}], "layout": {"title": {"text": "每日诉求量"}}}

    @app.callback(Output("by_channel", "figure"), *inputs)
    def by_channel(county, period):
        rows = source.by_channel(county, period)
        return _bar([r[0] for r in rows], [r[1] for r in rows], "诉求渠道", horizontal=True)

    @app.callback(Output("overdue", "data"), *inputs)
    def overdue(county, period):
        return [{"code": c, "name": n, "overdue": v} for c, n, v in source.overdue(county, period)]

    return app
