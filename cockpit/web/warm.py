"""Warm the shared result cache for the top levels of a newly published snapshot (`cockpit warm`).

After `cockpit ingest` publishes, it starts `cockpit warm` in a process of its own (detached: the
publication is not delayed and the ingest's exit code does not wait for it). The warmer asks
every panel of every page (not the street template) its queries for the states leaders open
first: the top of the tree (the deployment's jurisdiction) and each of its children, in the
default period and comparison, in the snapshot just published. It runs them through the same
`ResultCache` the web workers use, so the entries land under the very keys a worker looks up
(same store, snapshot, SQL, bound values, engine): with `COCKPIT_CACHE_TYPE=FileSystemCache` in
the shared cache directory, with `RedisCache` in Redis for every replica. A per-process cache
(SimpleCache, NullCache) cannot be warmed from outside: nothing is done, and the log says so.

Bounded: at most `COCKPIT_WARM_S` seconds (0 turns warming off) and one query at a time, so the
serving workers keep their cores; what is left when the time is up stays cold (computed on
first request as ever). One line per run in STORE/warm.log, and on standard output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from cockpit.settings import Settings, get_settings

LOG_NAME = "warm.log"
SHARED = ("FileSystemCache", "RedisCache")


def _log_line(store: Path, text: str) -> None:
    stamped = f"{datetime.now().astimezone().isoformat(timespec='seconds')} {text}"
    print(stamped, flush=True)
    try:
        with open(Path(store) / LOG_NAME, "a", encoding="utf-8") as f:
            f.write(stamped + "\n")
    except OSError:
        pass  # the log is a courtesy; warming itself never fails a publication


def states(db, jurisdiction: str | None) -> list:
    """The resolved states to warm: the jurisdiction's top region, then each of its children."""
    from cockpit.filters import FilterState, resolve

    top = resolve(FilterState(), db, jurisdiction)
    children = top.regions.children.get(top.ctx.region, [])
    out = [top]
    for code in children:
        out.append(resolve(FilterState(region=code), db, jurisdiction))
    return out


def warm(store: Path, layouts: Path | None = None, settings: Settings | None = None,
         seconds: float | None = None) -> dict:
    """Fill the shared cache for the live snapshot's top levels; returns what was done."""
    s = settings or get_settings()
    budget = s.warm_s if seconds is None else seconds
    store = Path(store)
    if budget <= 0:
        return {"skipped": "off"}
    if s.cache_type not in SHARED:
        _log_line(store, f"warm: not warmed: the {s.cache_type} cache belongs to each process")
        return {"skipped": s.cache_type}
    from flask import Flask

    from cockpit.db import Database
    from cockpit.query import QueryError, results
    from cockpit.web.catalog import CatalogHolder
    from cockpit.web.views import Views

    started = time.monotonic()
    db = Database(store)
    results.init_app(Flask("cockpit-warm"), s)
    catalog = CatalogHolder(layouts or s.layouts).get()
    todo = states(db, s.jurisdiction)
    snapshot = todo[0].ctx.snapshot
    done = failed = 0
    left = False
    for res in todo:
        for page in catalog.pages:
            if page.template is not None:
                continue  # one page per street: not a top level
            for panel_id in page.panel_ids():
                panel = catalog.panels.get(panel_id)
                if panel is None:
                    continue
                ctx = Views.panel_context(panel, res)
                for sql in (panel.spec.sql, *panel.spec.queries.values()):
                    if time.monotonic() - started > budget:
                        left = True
                        break
                    try:
                        results.query(sql, ctx, db)
                        done += 1
                    except (QueryError, LookupError, ValueError):
                        failed += 1  # e.g. a table this snapshot lacks: the panel says so itself
    summary = {"snapshot": snapshot, "states": len(todo), "queries": done, "failed": failed,
               "seconds": round(time.monotonic() - started, 1), "complete": not left}
    _log_line(store, f"warm: {snapshot}: {done} panel queries for {len(todo)} states in {summary['seconds']} s"
              + (f", {failed} failed" if failed else "") + ("" if not left else f", stopped at {budget:g} s"))
    return summary


def warm_worker(server, seconds: float | None = None) -> dict:
    """Make a freshly forked web worker ready for its first viewers: attach the live snapshot and
    render the first page's panels for the top region (then the other pages', then the children's
    overview) until `COCKPIT_WORKER_WARM_S` is up. What a first request would otherwise pay once per
    worker (the snapshot's views, parquet metadata, map geometry per level, parsed SQL) is paid
    here, before the worker accepts a request. Results go where any request's go (the result cache,
    the worker's render memory); failures are counted, never raised: a worker always starts."""
    s = get_settings()
    budget = s.worker_warm_s if seconds is None else seconds
    views = server.extensions.get("cockpit_views")
    if budget <= 0 or views is None:
        return {"skipped": "off"}
    started = time.monotonic()
    done = failed = 0
    left = False
    with server.test_request_context("/"):
        try:
            todo = states(views.db, views.jurisdiction())
        except (LookupError, ValueError, OSError):
            return {"skipped": "no live snapshot"}
        pages = [p for p in views.holder.get().pages if p.template is None]
        # The top region on every page first, then the children on the first page.
        plan = [(todo[0], page) for page in pages] + [(res, pages[0]) for res in todo[1:] if pages]
        for res, page in plan:
            for panel_id in page.panel_ids():
                if time.monotonic() - started > budget:
                    left = True
                    break
                panel = views.holder.get().panels.get(panel_id)
                if panel is None or views.missing_tables(panel, res.ctx.snapshot):
                    continue
                try:
                    views.render_drawn(panel, res, views.drawn_from(panel, res))
                    done += 1
                except Exception:  # noqa: BLE001 - the panel shows its own error when asked
                    failed += 1
            if left:
                break
    summary = {"panels": done, "failed": failed, "seconds": round(time.monotonic() - started, 1),
               "complete": not left}
    print(f"warm: worker {os.getpid()} rendered {done} panels in {summary['seconds']} s"
          + (f", {failed} failed" if failed else "") + ("" if not left else f", stopped at {budget:g} s"),
          flush=True)
    return summary


def start_background(store: Path) -> subprocess.Popen | None:
    """Start `cockpit warm --store STORE` detached (its own session, output to STORE/warm.log);
    None when warming is off or the cache is per process."""
    s = get_settings()
    if s.warm_s <= 0 or s.cache_type not in SHARED:
        return None
    log = open(Path(store) / LOG_NAME, "a", encoding="utf-8")
    try:
        return subprocess.Popen([sys.executable, "-m", "cockpit.cli", "warm", "--store", str(store)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                start_new_session=True, env={**os.environ})
    finally:
        log.close()


def cli_warm(store: Path, layouts: Path | None = None, seconds: float | None = None) -> int:
    """`cockpit warm`: 0 when done (or nothing to do), 1 when the store has no live snapshot."""
    try:
        warm(store, layouts, seconds=seconds)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
