"""`cockpit ingest FOLDER`: validate a drop, build a snapshot in staging, publish it atomically.

The write side of the cockpit (nothing on the serving path imports this package). Every drop is
untrusted; under the store's lock (a second ingest waits for the first, then works against the
snapshot the first published):

1. Copy the drop into STORE/staging/<run>/drop (`cockpit.ingest.stage`): links and entries that
   are not regular files are refused, never followed or opened; files changing while copied are
   refused. Everything below reads only this copy, so a file changed in the drop folder after it
   was validated cannot slip into the snapshot. The drop folder is only ever read.
2. Validate everything (`cockpit.ingest.validate`), including a plausible `as_of` (not in the
   future, not before the live snapshot's unless `--backdate`). Any problem rejects the whole
   drop: one line per problem is printed, the report is kept in STORE/rejected/, the exit code is
   1, the live snapshot is untouched.
3. Build the new snapshot in STORE/staging/<run>/snapshot (`cockpit.ingest.build`): tables,
   tables carried over from the live snapshot, the requests upsert (`cockpit.ingest.merge`),
   rollups (`cockpit.ingest.rollups`) and manifest.json.
4. Publish (`Store.publish`): fsync, rename into snapshots/, swap CURRENT (the store refuses an
   as_of before the live one unless backdating, so the live as_of never goes backwards).
5. With `COCKPIT_WEBHOOK_URL` set, push the new early warnings and newly overdue items
   (`cockpit.ingest.notify`).

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

from cockpit.contract import CONTRACT_VERSION
from cockpit.ingest.build import build_snapshot
from cockpit.ingest.merge import Log
from cockpit.ingest.stage import copy_drop
from cockpit.ingest.validate import Problem, read_manifest, shown_name, validate_drop
from cockpit.store import Store, StoreError, pause_point

__all__ = ["IngestResult", "bootstrap_demo", "cli_ingest", "ingest"]


@dataclass
class IngestResult:
    """Outcome of one ingest: the published id, or the problems and where the report was kept."""

    ok: bool
    snapshot_id: str | None = None
    problems: list[Problem] = field(default_factory=list)
    report: Path | None = None
    tables: dict[str, dict] = field(default_factory=dict)


def ingest(folder: Path, store: Path, *, log: Log = print, backdate: bool = False) -> IngestResult:
    """Validate `folder` and publish it as the new live snapshot of `store` (see module docs).

    `backdate`: allow an `as_of` before the live snapshot's (`cockpit ingest --backdate`).
    """
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
        snap, work, drop = run / "snapshot", run / "work", run / "drop"
        work.mkdir()
        try:
            log(f"copying {shown_name(str(folder))} into staging ...")
            staged = copy_drop(folder, drop)
            if not staged.ok:
                return _reject(st, folder, staged.problems, live, log)
            log(f"validating {shown_name(str(folder))} ({len(staged.files)} files, {staged.bytes / 1e6:.1f} MB) "
                f"against data contract v{CONTRACT_VERSION} ...")
            problems = validate_drop(drop, live, temp_dir=work, backdate=backdate, refused=staged.problems)
            if problems:
                return _reject(st, folder, problems, live, log)
            manifest, _ = read_manifest(drop)
            assert manifest is not None
            log(f"valid ({time.monotonic() - started:.1f} s). building snapshot as of {manifest['as_of']} "
                "in staging ...")
            pause_point("after-drop-validated")
            try:
                tables = build_snapshot(drop, st, snap, work, manifest, log)
            except Exception as exc:  # data that passed validation but could not be read or written
                log(traceback.format_exc().rstrip())
                problem = Problem("(drop)", None, f"could not be ingested: {type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0] if str(exc) else ''}", "build")
                return _reject(st, folder, [problem], live, log)
            shutil.rmtree(work, ignore_errors=True)
            snapshot_id = st.publish(snap, {
                "as_of": manifest["as_of"],
                "source": manifest.get("source") or shown_name(str(folder.resolve())),
                "tables": tables,
            }, backdate=backdate)
        finally:
            shutil.rmtree(run, ignore_errors=True)
    log(f"published snapshot {snapshot_id} (live) in {time.monotonic() - started:.1f} s")
    _notify(st.root, snapshot_id, log)
    return IngestResult(True, snapshot_id=snapshot_id, tables=tables)


def _notify(store: Path, snapshot_id: str, log: Log) -> None:
    """Push the publication's new warnings and overdue items when a webhook is configured; the
    snapshot is published whatever happens here."""
    from cockpit.settings import get_settings

    settings = get_settings()
    if not settings.webhook_url:
        return
    from cockpit.ingest.notify import notify_publication  # lazy: only with a webhook

    try:
        notify_publication(store, snapshot_id, settings, log)
    except Exception as exc:  # a push must never turn a published snapshot into a failed ingest
        log(f"webhook: could not prepare the push: {type(exc).__name__}: {exc}")


def _reject(st: Store, folder: Path, problems: list[Problem], live: Path | None, log: Log) -> IngestResult:
    lines = [str(p) for p in problems]
    for line in lines:
        log(line)
    kept = live.name if live else "none"
    summary = (f"rejected: {len(problems)} problem{'s' if len(problems) != 1 else ''}; "
               f"the published snapshot ({kept}) is unchanged")
    report = "\n".join([
        f"drop: {shown_name(str(folder.resolve()))}",
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


def cli_ingest(folder: Path, store: Path, *, backdate: bool = False) -> int:
    """`cockpit ingest [--backdate] FOLDER`: 0 when published, 1 when rejected (or the store is unusable)."""
    try:
        return 0 if ingest(folder, store, backdate=backdate).ok else 1
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # Disk full, permissions...: the drop was valid but could not be published. The live
        # snapshot is untouched (the pointer moves last) and the drop folder is only ever read.
        print(f"error: could not publish {shown_name(str(folder))}: {exc}; the live snapshot is unchanged",
              file=sys.stderr)
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
