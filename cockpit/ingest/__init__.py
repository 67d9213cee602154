"""`cockpit ingest FOLDER`: validate a drop, build a snapshot in staging, publish it atomically.

The write side of the cockpit (nothing on the serving path imports this package):

1. Validate everything first (`cockpit.ingest.validate`). Any problem rejects the whole drop: one
   line per problem is printed, the report is kept in STORE/rejected/, the exit code is 1, the
   live snapshot is untouched. The drop folder is only ever read.
2. Build the new snapshot in STORE/staging/<run>/snapshot (`cockpit.ingest.build`): tables,
   tables carried over from the live snapshot, the requests upsert (`cockpit.ingest.merge`),
   rollups (`cockpit.ingest.rollups`) and manifest.json.
3. Publish (`Store.publish`): fsync, rename into snapshots/, swap CURRENT.

All DuckDB work has a memory limit and spills to a directory inside the staging run, so a
10M-row requests file is merged with bounded memory.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cockpit.ingest.build import build_snapshot
from cockpit.ingest.merge import Log
from cockpit.ingest.validate import Problem, read_manifest, validate_drop
from cockpit.store import Store, StoreError

__all__ = ["IngestResult", "bootstrap_demo", "cli_ingest", "ingest"]


@dataclass
class IngestResult:
    """Outcome of one ingest: the published id, or the problems and where the report was kept."""

    ok: bool
    snapshot_id: str | None = None
    problems: list[Problem] = field(default_factory=list)
    report: Path | None = None
    tables: dict[str, dict] = field(default_factory=dict)


def ingest(folder: Path, store: Path, *, log: Log = print) -> IngestResult:
    """Validate `folder` and publish it as the new live snapshot of `store` (see module docs)."""
    folder = Path(folder)
    st = Store(store)
    st.root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with st.lock():
        removed = st.clean()
        if removed:
            log(f"removed leftovers of an interrupted ingest: {', '.join(removed)}")
        live = st.live_dir()
        run = st.new_staging()
        snap, work = run / "snapshot", run / "work"
        work.mkdir()
        try:
            log(f"validating {folder} against data contract v1 ...")
            problems = validate_drop(folder, live, temp_dir=work)
            if problems:
                return _reject(st, folder, problems, live, log)
            manifest, _ = read_manifest(folder)
            assert manifest is not None
            log(f"valid ({time.monotonic() - started:.1f} s). building snapshot as of {manifest['as_of']} "
                "in staging ...")
            try:
                tables = build_snapshot(folder, st, snap, work, manifest, log)
            except Exception as exc:  # data that passed validation but could not be read or written
                log(traceback.format_exc().rstrip())
                problem = Problem("(drop)", None, f"could not be ingested: {type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0] if str(exc) else ''}", "build")
                return _reject(st, folder, [problem], live, log)
            shutil.rmtree(work, ignore_errors=True)
            snapshot_id = st.publish(snap, {
                "as_of": manifest["as_of"],
                "source": manifest.get("source") or str(folder.resolve()),
                "tables": tables,
            })
        finally:
            shutil.rmtree(run, ignore_errors=True)
    log(f"published snapshot {snapshot_id} (live) in {time.monotonic() - started:.1f} s")
    return IngestResult(True, snapshot_id=snapshot_id, tables=tables)


def _reject(st: Store, folder: Path, problems: list[Problem], live: Path | None, log: Log) -> IngestResult:
    lines = [str(p) for p in problems]
    for line in lines:
        log(line)
    kept = live.name if live else "none"
    summary = (f"rejected: {len(problems)} problem{'s' if len(problems) != 1 else ''}; "
               f"the published snapshot ({kept}) is unchanged")
    report = "\n".join([
        f"drop: {folder.resolve()}",
        f"checked at: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        "rows are 0-based positions in the file",
        summary,
        "",
        *lines,
    ]) + "\n"
    path = st.write_rejection(folder, report)
    log(summary)
    log(f"report kept in {path}")
    return IngestResult(False, problems=problems, report=path)


def cli_ingest(folder: Path, store: Path) -> int:
    """`cockpit ingest FOLDER`: 0 when published, 1 when rejected (or the store is unusable)."""
    try:
        return 0 if ingest(folder, store).ok else 1
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # Disk full, permissions...: the drop was valid but could not be published. The live
        # snapshot is untouched (the pointer moves last) and the drop folder is only ever read.
        print(f"error: could not publish {folder}: {exc}; the live snapshot is unchanged", file=sys.stderr)
        return 2


def bootstrap_demo(store: Path, requests: int) -> int:
    """Publish the demo drop if the store has no live snapshot yet (used by `cockpit bootstrap`)."""
    st = Store(store)
    live = st.live_id()
    if live is not None:
        print(f"store {store} is already live ({live}); nothing to do")
        return 0
    from cockpit.demo import write_demo_drop  # lazy: heavy, and only needed here

    out = Path(store).resolve().parent / "demo-drop"
    tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        probe = out.parent / f".cockpit-write-test-{id(out)}"
        probe.touch()
        probe.unlink()
    except OSError:
        tmp = tempfile.TemporaryDirectory(prefix="cockpit-demo-")
        out = Path(tmp.name) / "demo-drop"
    try:
        print(f"writing the demo drop ({requests} requests) to {out} ...", flush=True)
        written = write_demo_drop(out=out, requests=requests, seed=2026, as_of="2026-11-25")
        drop = Path(written) if isinstance(written, (str, Path)) else out
        return cli_ingest(drop, store)
    finally:
        if tmp is not None:
            tmp.cleanup()
