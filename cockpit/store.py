"""The snapshot store: immutable snapshots, one pointer, atomic publication.

Layout (docs/architecture.md):

    STORE/
      CURRENT                         live snapshot id, one line
      snapshots/<id>/                 immutable once CURRENT may point at it
        manifest.json, tables/, requests/month=YYYY-MM/data.parquet, rollups/
      staging/                        one run per ingest: drop/ (the copy of the drop that is validated
                                      and published), snapshot/ (half-built), work/; cleaned on the next ingest
      rejected/<time>_<folder>.txt    reports of rejected drops

Publication is the Iceberg idea on plain files: a snapshot is built completely in staging,
fsynced, renamed into snapshots/ (fsync the directory), and only then does CURRENT move, by
writing CURRENT.tmp, fsyncing it, `os.replace` onto CURRENT and fsyncing the store directory.
A crash at any point leaves CURRENT naming either the old or the new complete snapshot.

Snapshot ids are `NNNNN_YYYY-MM-DD` (sequence number, then as_of) so they sort by publication.
The live as_of never goes backwards: `publish` refuses an as_of before the live snapshot's unless
asked to backdate (writers hold `lock()`, so the check and the swap see the same live snapshot).
A run killed between the rename and the pointer swap leaves a snapshot that was never live; its
staging run still holds a PUBLISHING marker naming it, and `clean()` (at the start of the next
ingest, under the store lock) removes both. Published snapshots are never removed.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cockpit.contract import CORE_TABLES

SNAPSHOT_ID = re.compile(r"^([0-9]{5})_([0-9]{4}-[0-9]{2}-[0-9]{2})$")
AS_OF = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PUBLISHING_MARKER = "PUBLISHING"  # in a staging run: the id it is publishing (see Store.clean)
PAUSE_ENV = "COCKPIT_TEST_PAUSE_AT"
# The ingest steps a test may pause at (COCKPIT_TEST_PAUSE_AT=<step>), all under the store lock, to
# kill the process there, or to act meanwhile and let it go on with SIGUSR1.
# "after-drop-validated": the staged copy of the drop is valid, nothing is built yet.
PAUSE_STEPS = ("after-drop-validated", "after-staging-written", "after-snapshot-rename",
               "after-pointer-tmp-written", "after-pointer-replaced")
PAUSE_RESUME_SIGNAL = signal.SIGUSR1


class StoreError(RuntimeError, LookupError):
    """The store is not in a state we can work with (e.g. CURRENT names a missing snapshot).

    Also a LookupError: to a reader it means "no snapshot to serve", which the web shows as such
    (its message is shown verbatim, so it names no server path).
    """


@dataclass
class SnapshotInfo:
    """One published (or leftover) snapshot as listed by `Store.list_snapshots`."""

    id: str
    as_of: str
    created_at: str
    tables: dict[str, dict] = field(default_factory=dict)  # name -> {"rows": n, "kind": ...}
    live: bool = False
    path: Path | None = None

    def rows(self, table: str) -> int | None:
        entry = self.tables.get(table)
        return None if entry is None else int(entry["rows"])


def read_live_id(root: Path) -> str | None:
    """The id `root/CURRENT` names, or None when nothing has been published yet.

    The one reader of the pointer: the store, the serving database and the analytics CLI all
    resolve the live snapshot here. A pointer that is not a snapshot id (garbage, a path such as
    `../x`) or names a snapshot without a manifest raises StoreError; it is never followed.
    """
    pointer = Path(root) / "CURRENT"
    try:
        text = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"CURRENT cannot be read ({type(exc).__name__})") from None
    if not SNAPSHOT_ID.fullmatch(text):
        raise StoreError(f"CURRENT does not hold a snapshot id: {text[:64]!r}")
    if not (Path(root) / "snapshots" / text / "manifest.json").is_file():
        raise StoreError(f"CURRENT names {text}, which has no manifest")
    return text


def pause_point(step: str) -> None:
    """Test hook: when $COCKPIT_TEST_PAUSE_AT names this step, say so and wait (at most an hour)
    to be killed, or to be resumed by SIGUSR1 (main thread only; elsewhere it just waits)."""
    if os.environ.get(PAUSE_ENV) != step:
        return
    resumed: list[int] = []
    previous = None
    try:
        previous = signal.signal(PAUSE_RESUME_SIGNAL, lambda signum, frame: resumed.append(signum))
    except ValueError:  # not the main thread
        pass
    try:
        print(f"PAUSED AT {step}", flush=True)
        sys.stdout.flush()
        deadline = time.monotonic() + 3600
        while not resumed and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if previous is not None:
            signal.signal(PAUSE_RESUME_SIGNAL, previous)
    print(f"RESUMED AT {step}", flush=True)


def fsync_path(path: Path) -> None:
    """fsync a file or directory (directories: so a rename or new entry in them is durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under root (bottom-up, so entries are durable before parents)."""
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            fsync_path(Path(dirpath) / name)
        fsync_path(Path(dirpath))


def link_or_copy(src: Path, dst: Path) -> None:
    """Hardlink src to dst (snapshots share unchanged files); copy when linking is impossible."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


class Store:
    """A snapshot store rooted at `root` (created on first use by writers, never by readers)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    # -- paths ------------------------------------------------------------------------------------

    @property
    def current_file(self) -> Path:
        return self.root / "CURRENT"

    @property
    def snapshots_dir(self) -> Path:
        return self.root / "snapshots"

    @property
    def staging_root(self) -> Path:
        return self.root / "staging"

    @property
    def rejected_dir(self) -> Path:
        return self.root / "rejected"

    def snapshot_dir(self, snapshot_id: str) -> Path:
        """Directory of a snapshot (the id is checked, so it cannot point outside the store)."""
        if not SNAPSHOT_ID.fullmatch(snapshot_id):
            raise StoreError(f"not a snapshot id: {snapshot_id!r}")
        return self.snapshots_dir / snapshot_id

    # -- reading ----------------------------------------------------------------------------------

    def live_id(self) -> str | None:
        """The id CURRENT names, or None when nothing has been published yet (see `read_live_id`)."""
        return read_live_id(self.root)

    def live_dir(self) -> Path | None:
        """Directory of the live snapshot, or None."""
        live = self.live_id()
        return None if live is None else self.snapshot_dir(live)

    def manifest(self, snapshot_id: str) -> dict:
        """The manifest.json of a snapshot."""
        return json.loads((self.snapshot_dir(snapshot_id) / "manifest.json").read_text(encoding="utf-8"))

    def list_snapshots(self) -> list[SnapshotInfo]:
        """Every snapshot directory with a readable manifest, oldest first."""
        if not self.snapshots_dir.is_dir():
            return []
        live = self.live_id()
        out = []
        for path in sorted(self.snapshots_dir.iterdir()):
            if not SNAPSHOT_ID.fullmatch(path.name):
                continue
            try:
                m = self.manifest(path.name)
            except (OSError, ValueError):
                continue
            out.append(SnapshotInfo(id=path.name, as_of=m.get("as_of", ""), created_at=m.get("created_at", ""),
                                    tables=m.get("tables", {}), live=path.name == live, path=path))
        return out

    # -- writing ----------------------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive lock for writers (one ingest at a time); released even if the process dies.

        The lock file lives in staging/ so the top level keeps exactly the documented layout.
        """
        self.staging_root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.staging_root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print("waiting for another ingest into this store to finish ...", flush=True)
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def clean(self) -> list[str]:
        """Remove leftovers of interrupted ingests; call under `lock()`. Returns what was removed.

        Removes half-built staging runs and a stray CURRENT.tmp. A run that was killed between
        renaming its snapshot into snapshots/ and moving CURRENT still holds its PUBLISHING
        marker; the snapshot it names was never live, so it is removed too. Snapshots without
        such a marker are never touched (even newer ones, e.g. after a manual roll-back of CURRENT).
        """
        removed: list[str] = []
        live = self.live_id()
        if self.staging_root.is_dir():
            for run in sorted(self.staging_root.iterdir()):
                if run.name == ".lock":
                    continue
                marker = run / PUBLISHING_MARKER
                if marker.is_file():
                    sid = marker.read_text(encoding="utf-8").strip()
                    if SNAPSHOT_ID.fullmatch(sid) and sid != live and self.snapshot_dir(sid).is_dir():
                        # Move it out of snapshots/ first (atomic), so nobody lists a half-deleted one.
                        os.rename(self.snapshot_dir(sid), run / f"unpublished-{sid}")
                        fsync_path(self.snapshots_dir)
                        removed.append(f"snapshots/{sid}")
                shutil.rmtree(run, ignore_errors=True) if run.is_dir() else run.unlink(missing_ok=True)
                removed.append(f"staging/{run.name}")
        tmp = self.root / "CURRENT.tmp"
        if tmp.exists():
            tmp.unlink()
            removed.append("CURRENT.tmp")
        return removed

    def new_staging(self) -> Path:
        """A fresh, empty staging directory (its `snapshot/` subdir becomes the snapshot)."""
        self.staging_root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        path = self.staging_root / f"{stamp}-{os.getpid()}"
        n = 0
        while path.exists():
            n += 1
            path = self.staging_root / f"{stamp}-{os.getpid()}-{n}"
        (path / "snapshot").mkdir(parents=True)
        return path

    def next_id(self, as_of: str) -> str:
        """The id the next published snapshot gets."""
        seq = 0
        if self.snapshots_dir.is_dir():
            for path in self.snapshots_dir.iterdir():
                m = SNAPSHOT_ID.fullmatch(path.name)
                if m:
                    seq = max(seq, int(m.group(1)))
        return f"{seq + 1:05d}_{as_of}"

    def publish(self, staging_dir: Path, manifest: dict, *, backdate: bool = False) -> str:
        """Publish a complete snapshot directory and make it live; returns its id.

        `manifest` must hold "as_of" and "tables"; "id", "created_at" and "parent" are filled in.
        An as_of before the live snapshot's raises StoreError unless `backdate`. Call under `lock()`.
        """
        staging_dir = Path(staging_dir)
        run = staging_dir.parent
        if run.parent.resolve() != self.staging_root.resolve():
            raise ValueError(f"{staging_dir} was not made by new_staging() of this store")
        as_of = manifest["as_of"]
        if not (isinstance(as_of, str) and AS_OF.fullmatch(as_of)):
            raise StoreError(f"not an as_of date: {str(as_of)[:64]!r}")
        live = self.live_id()
        if live is not None and not backdate:
            live_as_of = self.manifest(live).get("as_of", "")
            if as_of < live_as_of:
                raise StoreError(f"as_of {as_of} is before the as_of of the live snapshot {live} ({live_as_of}); "
                                 "the live as_of never goes backwards unless backdating (cockpit ingest --backdate)")
        snapshot_id = self.next_id(as_of)
        full = {
            "id": snapshot_id,
            "as_of": manifest["as_of"],
            "created_at": manifest.get("created_at") or datetime.now().astimezone().isoformat(timespec="seconds"),
            "source": manifest.get("source"),
            "parent": live,
            "tables": manifest["tables"],
        }
        (staging_dir / "manifest.json").write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n",
                                                   encoding="utf-8")
        fsync_tree(staging_dir)
        pause_point("after-staging-written")

        # The marker tells a later clean() which snapshot this run was about to make live, so
        # a crash between the rename and the pointer swap leaves nothing it cannot identify.
        marker = run / PUBLISHING_MARKER
        marker.write_text(snapshot_id + "\n", encoding="utf-8")
        fsync_path(marker)
        fsync_path(run)

        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        target = self.snapshot_dir(snapshot_id)
        os.rename(staging_dir, target)  # same file system: atomic
        fsync_path(self.snapshots_dir)
        fsync_path(run)
        pause_point("after-snapshot-rename")

        tmp = self.root / "CURRENT.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(snapshot_id + "\n")
                f.flush()
                os.fsync(f.fileno())
            pause_point("after-pointer-tmp-written")
            os.replace(tmp, self.current_file)
        except BaseException:
            # Not live: take the snapshot back out of snapshots/ (the run is removed by the caller).
            tmp.unlink(missing_ok=True)
            os.rename(target, run / f"unpublished-{snapshot_id}")
            raise
        fsync_path(self.root)
        marker.unlink()
        pause_point("after-pointer-replaced")
        return snapshot_id

    def write_rejection(self, folder: Path, text: str) -> Path:
        """Keep the report of a rejected drop as rejected/<time>_<folder name>.txt."""
        self.rejected_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        name = re.sub(r"[^\w.-]+", "_", Path(folder).name or "drop")
        path = self.rejected_dir / f"{stamp}_{name}.txt"
        n = 0
        while path.exists():
            n += 1
            path = self.rejected_dir / f"{stamp}_{name}-{n}.txt"
        # The report quotes the provider's file names: never let an odd one stop it being kept.
        path.write_text(text, encoding="utf-8", errors="backslashreplace")
        return path


def cli_snapshots(store: Path) -> int:
    """`cockpit snapshots`: print every snapshot with its row counts; the live one is marked *."""
    st = Store(store)
    try:
        snaps = st.list_snapshots()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not snaps:
        print(f"no snapshots in {store}")
        return 0
    core = [t for t in CORE_TABLES if any(t in s.tables for s in snaps)]
    header = ["", "id", "as_of", "created_at", *core, "extra tables", "rollups"]
    rows = []
    for s in snaps:
        extras = [f"{n}={v['rows']}" for n, v in sorted(s.tables.items()) if v.get("kind") == "extra"]
        rollups = [f"{n}={v['rows']}" for n, v in sorted(s.tables.items()) if v.get("kind") == "rollup"]
        rows.append(["*" if s.live else "", s.id, s.as_of, s.created_at,
                     *[("-" if s.rows(t) is None else str(s.rows(t))) for t in core],
                     " ".join(extras) or "-", " ".join(rollups) or "-"])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())
    live = next((s.id for s in snaps if s.live), None)
    print(f"live: {live or 'none'}  (* = live)")
    return 0
