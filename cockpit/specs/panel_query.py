"""`cockpit query PANEL`: one panel's result on the live snapshot, as CSV or JSON, on either engine.

For analysts (what does my panel return?) and for checks (do both engines agree?). The region and
period are validated like a page's URL, but strictly: a region code that is not in the snapshot's
tree, or a period without data, is an error naming what is available instead of a silent default."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from cockpit.db import Database
from cockpit.filters import FilterState, available_periods, earliest_data, resolve
from cockpit.regions import region_index
from cockpit.query import QueryError, run_arrow, to_frame
from cockpit.settings import get_settings
from cockpit.specs.loader import load_catalog, sql_rules_for

_PERIOD = re.compile(r"\d{4}-\d{2}")


def _whole_numbers(frame, table):
    """Integer result columns printed as integers on every engine: DuckDB's sums are HUGEINT
    (DECIMAL(38,0) in Arrow, floats in the DataFrame) and a nullable integer column becomes floats,
    so `sum(received)` would print 72.0 on DuckDB and 72 on Spark (BIGINT)."""
    import pyarrow as pa

    for field in table.schema:
        whole = pa.types.is_integer(field.type) or (pa.types.is_decimal(field.type) and field.type.scale == 0)
        if whole and field.name in frame.columns:
            try:
                frame[field.name] = frame[field.name].astype("Int64")
            except (TypeError, ValueError, OverflowError):
                pass  # beyond 64 bits: left as it is
    return frame


def cli_query(store: Path, layouts: Path, panel: str, *, engine: str | None = None, region: str | None = None,
              period: str | None = None, fmt: str = "csv", query: str | None = None) -> int:
    """Print the result of `panel` (or of its `[queries]` entry `query`); 0 on success, 1 on error."""
    db = Database(store)
    if db.live_id() is None:
        print(f"error: no published snapshot in {store}: run `cockpit ingest FOLDER` first", file=sys.stderr)
        return 1
    catalog = load_catalog(layouts, sql_rules_for(db))
    spec = catalog.panels.get(panel)
    if spec is None:
        print(f"error: no panel {panel!r} in {layouts}/panels (known: {', '.join(sorted(catalog.panels))})",
              file=sys.stderr)
        return 1
    sql = spec.spec.sql
    if query is not None:
        if query not in spec.spec.queries:
            known = ", ".join(sorted(spec.spec.queries)) or "none"
            print(f"error: panel {panel!r} has no query {query!r} (its [queries]: {known})", file=sys.stderr)
            return 1
        sql = spec.spec.queries[query]
    snapshot = db.live_id()
    index = region_index(db, snapshot)
    if region is not None and index.get(region) is None:
        print(f"error: --region {region!r} is not a region code of snapshot {snapshot}", file=sys.stderr)
        return 1
    if period is not None:
        periods = available_periods(db.attach(snapshot).as_of, earliest_data(db, snapshot))
        if not _PERIOD.fullmatch(period) or period not in periods:
            print(f"error: --period {period!r}: expected YYYY-MM, one of {periods[-1]} … {periods[0]}", file=sys.stderr)
            return 1
    street = region if region is not None and index.get(region).level == "street" else None
    jurisdiction = get_settings().jurisdiction
    ctx = resolve(FilterState(region=region, period=period, street=street), db, jurisdiction,
                  street_page=street is not None).ctx
    if region is not None and ctx.region != region and street is None:
        print(f"error: --region {region} is outside the configured jurisdiction {jurisdiction}", file=sys.stderr)
        return 1
    try:
        table = run_arrow(sql, ctx, db=db, engine=engine)
    except QueryError as exc:
        print(f"error: {panel}: {exc}", file=sys.stderr)
        return 1
    frame = _whole_numbers(to_frame(db, table), table)
    if fmt == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, date_format="iso") + "\n")
    else:
        sys.stdout.write(frame.to_csv(index=False))
    return 0
