"""Hostile drops: every drop is untrusted.

Each attack is made with real files (links, FIFOs, sockets, devices, hand-made parquet footers,
huge polygons), ingested by the real `cockpit ingest` (in-process, or as real subprocesses for
concurrency and anything that could block), validated with real DuckDB. For every refused drop:
the exit code is 1, the printed line names the file (and field) and what was expected, the live
snapshot and CURRENT are unchanged, the report is kept under STORE/rejected/, and the drop folder
is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

import drops
from cockpit.cli import main as cockpit_main
from cockpit.ingest import cli_ingest, ingest
from cockpit.ingest.validate import validate_drop
from cockpit.store import PAUSE_ENV, PAUSE_RESUME_SIGNAL, Store, StoreError

LIVE_AS_OF = drops.AS_OF  # 2026-11-25
TIMEOUT = 180  # seconds a subprocess may take on a loaded machine


def _quiet(_line: str) -> None:
    pass


def _tree_state(folder: Path) -> dict[str, tuple]:
    """Every entry under folder, never following links: type, mode, size, mtime, content hash."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            st = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else None
            target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
            out[str(path.relative_to(folder))] = (st.st_mode, st.st_size, st.st_mtime_ns, digest, target)
    return out


@pytest.fixture(scope="module")
def live_store(tmp_path_factory) -> Path:
    """A store with the valid test drop published (as_of 2026-11-25); refused drops leave it so."""
    store = tmp_path_factory.mktemp("store")
    assert ingest(drops.write_drop(tmp_path_factory.mktemp("valid-drop")), store, log=_quiet).ok
    return store


@pytest.fixture()
def fresh_store(tmp_path: Path) -> Path:
    """A store of this test alone, with the valid test drop published."""
    store = tmp_path / "store"
    assert ingest(drops.write_drop(tmp_path / "d0"), store, log=_quiet).ok
    return store


class Refusal:
    """Run one drop against a store and check it was refused without touching anything."""

    def __init__(self, store: Path, folder: Path):
        self.store, self.folder = store, folder
        self.current = (store / "CURRENT").read_bytes()
        self.snapshots = [s.id for s in Store(store).list_snapshots()]
        self.reports = set((store / "rejected").glob("*")) if (store / "rejected").exists() else set()
        self.drop = _tree_state(folder) if folder.exists() else None

    def check(self, code: int, out: str, *expected: str, only: bool = False) -> list[str]:
        assert code == 1, out
        assert "Traceback" not in out, out
        for text in expected:
            assert text in out, f"{text!r} not in:\n{out}"
        problems = [ln for ln in out.splitlines() if ": " in ln and not ln.startswith(
            ("copying ", "validating ", "rejected: ", "report kept in ", "waiting for "))]
        if only:
            assert len(problems) == 1 and "rejected: 1 problem;" in out, out
        assert (self.store / "CURRENT").read_bytes() == self.current
        assert [s.id for s in Store(self.store).list_snapshots()] == self.snapshots
        assert not [p for p in (self.store / "staging").iterdir() if p.name != ".lock"]
        new = set((self.store / "rejected").glob("*")) - self.reports
        assert len(new) == 1, new
        report = new.pop().read_text(encoding="utf-8")
        for text in expected:
            assert text in report, f"{text!r} not in the report:\n{report}"
        if self.drop is not None:
            assert _tree_state(self.folder) == self.drop, "the drop folder was modified"
        return problems


def _refused_in_process(store: Path, folder: Path, capsys, *expected: str, only: bool = False,
                        backdate: bool = False) -> list[str]:
    r = Refusal(store, folder)
    capsys.readouterr()
    code = cli_ingest(folder, store, backdate=True) if backdate else cli_ingest(folder, store)
    return r.check(code, capsys.readouterr().out, *expected, only=only)


def _cli(folder: Path, store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "cockpit.cli", "ingest", os.fsdecode(folder), "--store", str(store), *args]


def _refused_in_subprocess(store: Path, folder: Path, *expected: str, only: bool = False) -> list[str]:
    """Like `_refused_in_process`, in a real `cockpit ingest` process with a time limit (a FIFO
    or device that were opened could block it forever)."""
    r = Refusal(store, folder)
    proc = subprocess.run(_cli(folder, store), capture_output=True, text=True, timeout=TIMEOUT,
                          errors="backslashreplace")
    return r.check(proc.returncode, proc.stdout + proc.stderr, *expected, only=only)


# -- 1. as_of must be plausible -------------------------------------------------------------------

def _today(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@dataclass
class AsOfCase:
    id: str
    as_of: object
    expected: tuple[str, ...]


AS_OF_CASES = [
    AsOfCase("year-9999", "9999-12-31", ("manifest.json: column as_of: as_of must not be in the future",
                                         "at the latest", "(got '9999-12-31')")),
    AsOfCase("three-days-ahead", _today(3), ("manifest.json: column as_of: as_of must not be in the future: "
                                             "at most 1 day after today",)),
    AsOfCase("before-live", "2026-11-20", (
        "manifest.json: column as_of: as_of must not be before the as_of of the published snapshot "
        "00001_2026-11-25 (2026-11-25)", "cockpit ingest --backdate", "(got '2026-11-20')")),
    AsOfCase("year-1", "0001-01-01", ("manifest.json: column as_of: as_of must be 2000-01-01 or later",)),
    AsOfCase("not-a-day", "2026-02-29", ("manifest.json: column as_of: as_of must be a valid date YYYY-MM-DD",)),
    AsOfCase("fullwidth-digits", "２０２６-１１-２５", ("manifest.json: column as_of: as_of must be a valid date",)),
    AsOfCase("trailing-newline", "2026-11-25\n", ("manifest.json: column as_of: as_of must be a valid date",)),
    AsOfCase("a-number", 20261125, ("manifest.json: column as_of: as_of must be a valid date", "(got '20261125')")),
]


@pytest.mark.parametrize("case", AS_OF_CASES, ids=[c.id for c in AS_OF_CASES])
def test_implausible_as_of_is_refused(case: AsOfCase, live_store: Path, tmp_path: Path, capsys):
    folder = drops.write_drop(tmp_path / f"drop-{case.id}", as_of=None, only=("departments",))
    drops.write_manifest(folder, {"as_of": case.as_of})
    _refused_in_process(live_store, folder, capsys, *case.expected, only=True)


def test_future_as_of_is_refused_even_when_backdating(live_store: Path, tmp_path: Path, capsys):
    folder = drops.write_drop(tmp_path / "drop", as_of="9999-12-31", only=("departments",))
    _refused_in_process(live_store, folder, capsys, "as_of must not be in the future", only=True, backdate=True)


def test_tomorrow_is_accepted(fresh_store: Path, tmp_path: Path):
    """At most one day ahead: a drop made in another time zone is not refused."""
    tomorrow = _today(1)
    res = ingest(drops.write_drop(tmp_path / "drop", as_of=tomorrow, only=("departments",)), fresh_store, log=_quiet)
    assert res.ok, [str(p) for p in res.problems]
    assert Store(fresh_store).manifest(res.snapshot_id)["as_of"] == tomorrow


def test_backdate_publishes_an_older_as_of(fresh_store: Path, tmp_path: Path, capsys):
    folder = drops.write_drop(tmp_path / "drop", as_of="2026-11-20", only=("departments",))
    assert cockpit_main(["ingest", str(folder), "--store", str(fresh_store)]) == 1
    assert "cockpit ingest --backdate" in capsys.readouterr().out
    assert Store(fresh_store).live_id() == "00001_2026-11-25"
    assert cockpit_main(["ingest", str(folder), "--store", str(fresh_store), "--backdate"]) == 0
    st = Store(fresh_store)
    assert st.live_id() == "00002_2026-11-20"
    assert st.manifest("00002_2026-11-20")["parent"] == "00001_2026-11-25"


def test_the_store_refuses_to_move_as_of_backwards(tmp_path: Path):
    """Belt and braces: Store.publish itself refuses an older as_of unless backdating."""
    st = Store(tmp_path / "store")

    def staged() -> Path:
        snap = st.new_staging() / "snapshot"
        (snap / "tables").mkdir()
        return snap

    with st.lock():
        st.publish(staged(), {"as_of": "2026-11-25", "tables": {}})
        with pytest.raises(StoreError, match="before the as_of of the live snapshot 00001_2026-11-25"):
            st.publish(staged(), {"as_of": "2026-11-24", "tables": {}})
        with pytest.raises(StoreError, match="not an as_of date"):
            st.publish(staged(), {"as_of": "9999-99-99/../x", "tables": {}})
        assert st.live_id() == "00001_2026-11-25"
        assert st.publish(staged(), {"as_of": "2026-11-24", "tables": {}}, backdate=True) == "00002_2026-11-24"
    assert [s.id for s in st.list_snapshots()] == ["00001_2026-11-25", "00002_2026-11-24"]


def test_hostile_manifests(live_store: Path, tmp_path: Path, capsys):
    cases = [
        ("deep", "[" * 5000 + "]" * 5000, "manifest.json: not valid JSON"),
        ("huge", json.dumps({"as_of": LIVE_AS_OF, "pad": "x" * 100_000}), "manifest.json: is 100"),
        ("source-lines", json.dumps({"as_of": LIVE_AS_OF, "source": "a\nrequests.parquet: fine"}),
         "manifest.json: column source: source must be one line of at most 500 printable characters"),
        ("source-long", json.dumps({"as_of": LIVE_AS_OF, "source": "s" * 5000}), "column source: source must be one"),
    ]
    for name, raw, expected in cases:
        folder = drops.write_drop(tmp_path / name, only=("departments",))
        drops.write_manifest(folder, raw=raw)
        _refused_in_process(live_store, folder, capsys, expected, only=True)


# -- 2. the validated copy is what is published ---------------------------------------------------

def _four_departments() -> pa.Table:
    return pa.concat_tables([drops.departments(), pa.table({"dept_code": ["D04"], "name": ["新部门"],
                                                             "region_code": ["330102"]})])


def test_a_file_changed_after_validation_does_not_slip_in(fresh_store: Path, tmp_path: Path):
    """The log line after validation is the moment to strike: rewrite, break and swap files of
    the original folder. The published snapshot holds what was validated."""
    folder = drops.write_drop(tmp_path / "drop", as_of="2026-11-26", only=("departments",),
                              report_burden=pa.table({"form": ["a", "b"]}))
    struck = []

    def log(line: str) -> None:
        if line.startswith("valid (") and not struck:
            struck.append(line)
            drops.write_table(folder, "departments", drops.with_value(_four_departments(), "region_code", 0, "X"))
            (folder / "report_burden.parquet").write_bytes(b"PAR1 garbage now")
            (folder / "requests.parquet").symlink_to("/etc/passwd")

    res = ingest(folder, fresh_store, log=log)
    assert struck and res.ok, [str(p) for p in res.problems]
    snap = Store(fresh_store).snapshot_dir(res.snapshot_id)
    assert pq.read_table(snap / "tables" / "departments.parquet").to_pylist() == drops.departments().to_pylist()
    assert pq.read_table(snap / "tables" / "report_burden.parquet").column("form").to_pylist() == ["a", "b"]
    assert Store(fresh_store).manifest(res.snapshot_id)["tables"]["requests"]["rows"] == 12  # the live ones
    assert Store(fresh_store).manifest(res.snapshot_id)["source"] == str(folder.resolve())


class Ingest:
    """A real `cockpit ingest` subprocess whose output is collected line by line."""

    def __init__(self, folder: Path, store: Path, *args: str, pause: str | None = None):
        env = dict(os.environ)
        env.pop(PAUSE_ENV, None)
        if pause:
            env[PAUSE_ENV] = pause
        self.proc = subprocess.Popen(_cli(folder, store, *args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = TIMEOUT) -> None:
        if any(text in ln for ln in self.lines):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                pytest.fail(f"ingest ended before printing {text!r}:\n" + self.output)
            self.lines.append(line)
            if text in line:
                return
        self.proc.kill()
        pytest.fail(f"ingest did not print {text!r} in time:\n" + self.output)

    def finish(self, timeout: float = TIMEOUT) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("ingest did not finish:\n" + self.output)
        while (line := self._queue.get(timeout=30)) is not None:
            self.lines.append(line)
        return code

    def resume(self) -> None:
        os.kill(self.proc.pid, PAUSE_RESUME_SIGNAL)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def test_the_original_changed_while_paused_after_validation(fresh_store: Path, tmp_path: Path):
    """A real ingest process paused after validating: its staging run holds the copy it
    validated; the provider rewrites the original meanwhile; the copy is what gets published."""
    folder = drops.write_drop(tmp_path / "drop", as_of="2026-11-26", only=("departments",))
    run = Ingest(folder, fresh_store, pause="after-drop-validated")
    try:
        run.wait_for("PAUSED AT after-drop-validated")
        runs = [p for p in (fresh_store / "staging").iterdir() if p.name != ".lock"]
        assert len(runs) == 1
        assert sorted(p.name for p in (runs[0] / "drop").iterdir()) == ["departments.parquet", "manifest.json"]
        drops.write_table(folder, "departments", _four_departments())
        drops.write_manifest(folder, "9999-12-31")
        run.resume()
        assert run.finish() == 0, run.output
    finally:
        run.kill()
    st = Store(fresh_store)
    assert st.live_id() == "00002_2026-11-26"
    snap = st.snapshot_dir("00002_2026-11-26")
    assert pq.read_table(snap / "tables" / "departments.parquet").to_pylist() == drops.departments().to_pylist()
    assert [p.name for p in (fresh_store / "staging").iterdir()] == [".lock"]


def test_the_drop_folder_is_only_read(fresh_store: Path, tmp_path: Path):
    folder = drops.write_drop(tmp_path / "drop", as_of="2026-11-26", notes=drops.departments())
    (folder / "README.txt").write_text("hello")
    (folder / "old").mkdir()
    (folder / "old" / "requests.parquet").write_bytes(b"ignored: sub-folders are not part of the drop")
    os.chmod(folder / "departments.parquet", 0o444)
    before = _tree_state(folder)
    assert ingest(folder, fresh_store, log=_quiet).ok
    assert _tree_state(folder) == before


# -- 3. links and entries that are not regular files ----------------------------------------------

def _outside(tmp_path: Path) -> Path:
    """A folder next to the drop holding valid files a link could point at."""
    out = drops.write_drop(tmp_path / "outside", only=("departments",))
    drops.write_table(out, "departments", _four_departments())
    return out


@dataclass
class EntryCase:
    id: str
    make: Callable[[Path, Path], None]  # (drop folder, tmp_path)
    expected: str
    subprocess: bool = False


def _link(name: str, target: Callable[[Path], Path | str]) -> Callable[[Path, Path], None]:
    def make(folder: Path, tmp_path: Path) -> None:
        (folder / name).unlink(missing_ok=True)
        (folder / name).symlink_to(target(tmp_path))
    return make


def _fifo(name: str) -> Callable[[Path, Path], None]:
    def make(folder: Path, tmp_path: Path) -> None:
        (folder / name).unlink(missing_ok=True)
        os.mkfifo(folder / name)
    return make


def _device(folder: Path, tmp_path: Path) -> None:
    try:
        os.mknod(folder / "zero.parquet", stat.S_IFCHR | 0o644, os.makedev(1, 5))  # like /dev/zero
    except PermissionError:
        pytest.skip("creating a device node needs root")


def _socket(folder: Path, tmp_path: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    os.chdir(folder)  # a relative address: tmp paths can be longer than a socket address may be
    try:
        s.bind("report_burden.parquet")
    finally:
        os.chdir(cwd)
        s.close()


def _dir_named_manifest(folder: Path, tmp_path: Path) -> None:
    (folder / "manifest.json").unlink()
    (folder / "manifest.json").mkdir()


ENTRY_CASES = [
    EntryCase("link-to-passwd", _link("x.parquet", lambda t: "/etc/passwd"),
              "x.parquet: is a symbolic link; links are refused and never followed"),
    EntryCase("core-file-linked-from-outside", _link("departments.parquet", lambda t: _outside(t) / "departments.parquet"),
              "departments.parquet: is a symbolic link"),
    EntryCase("manifest-linked-from-outside", _link("manifest.json", lambda t: _outside(t) / "manifest.json"),
              "manifest.json: is a symbolic link"),
    EntryCase("link-to-folder-named-parquet", _link("foo.parquet", lambda t: _outside(t)),
              "foo.parquet: is a symbolic link"),
    EntryCase("dangling-link", _link("report_burden.parquet", lambda t: t / "nowhere.parquet"),
              "report_burden.parquet: is a symbolic link"),
    EntryCase("link-to-dev-zero", _link("zeros.parquet", lambda t: "/dev/zero"), "zeros.parquet: is a symbolic link"),
    EntryCase("link-ignored-name", _link("README", lambda t: "/etc/passwd"), "README: is a symbolic link"),
    EntryCase("fifo-as-table", _fifo("report_burden.parquet"),
              "report_burden.parquet: is a FIFO (named pipe); only regular files are accepted", subprocess=True),
    EntryCase("fifo-as-manifest", _fifo("manifest.json"), "manifest.json: is a FIFO (named pipe)", subprocess=True),
    EntryCase("fifo-ignored-name", _fifo("notes.txt"), "notes.txt: is a FIFO (named pipe)", subprocess=True),
    EntryCase("device", _device, "zero.parquet: is a character device; only regular files are accepted",
              subprocess=True),
    EntryCase("socket", _socket, "report_burden.parquet: is a socket", subprocess=True),
    EntryCase("manifest-is-a-folder", _dir_named_manifest, "manifest.json: must be a file, not a directory"),
]


@pytest.mark.parametrize("case", ENTRY_CASES, ids=[c.id for c in ENTRY_CASES])
def test_links_and_special_files_are_refused(case: EntryCase, live_store: Path, tmp_path: Path, capsys):
    folder = drops.write_drop(tmp_path / f"drop-{case.id}", as_of="2026-11-26", only=("departments",))
    case.make(folder, tmp_path)
    if case.subprocess:
        problems = _refused_in_subprocess(live_store, folder, case.expected, only=True)
    else:
        problems = _refused_in_process(live_store, folder, capsys, case.expected, only=True)
    assert "unreadable" not in " ".join(problems)


def test_odd_file_names_cannot_forge_report_lines(live_store: Path, tmp_path: Path, capsys):
    folder = drops.write_drop(tmp_path / "drop", as_of="2026-11-26", only=("departments",))
    drops.write_table(folder, "abc\n", drops.departments())  # `abc\n` passed the name rule's `$`
    drops.write_table(folder, "x\nrequests", drops.departments())
    problems = _refused_in_process(live_store, folder, capsys, "'abc\\n.parquet': extra table name must match",
                                   "'x\\nrequests.parquet': extra table name must match")
    assert len(problems) == 2


def test_file_names_that_are_not_utf8(live_store: Path, tmp_path: Path):
    folder = drops.write_drop(tmp_path / "drop", as_of="2026-11-26", only=("departments",))
    raw = os.path.join(os.fsencode(folder), b"\xff\xfe.parquet")
    with open(raw, "wb") as f:
        pq.write_table(drops.departments(), f)
    os.symlink(b"/etc/passwd", os.path.join(os.fsencode(folder), b"link\xff"))
    _refused_in_subprocess(live_store, folder, "'\\udcff\\udcfe.parquet': extra table name must match",
                           "'link\\udcff': is a symbolic link")


# -- 4. parquet footers ---------------------------------------------------------------------------

def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _list_header(size: int, etype: int) -> bytes:
    return bytes([(size << 4) | etype]) if size < 15 else bytes([0xF0 | etype]) + _varint(size)


def _hand_made_parquet(row_groups: int, columns: int) -> bytes:
    """A parquet file whose footer (Thrift compact protocol, written by hand) lists `row_groups`
    row groups of `columns` minimal column chunks each: 3 bytes per chunk in the file, far more
    for a reader that decodes them."""
    schema = (b"\x19" + _list_header(2, 12)
              + b"\x48\x06schema\x15\x02\x00"  # root: name, num_children=1
              + b"\x15\x02\x25\x00\x18\x01x\x00")  # leaf x: INT32, REQUIRED
    chunk = b"\x26\x00\x00"  # ColumnChunk{file_offset: 0}
    group = b"\x19" + _list_header(columns, 12) + chunk * columns + b"\x16\x00\x16\x02\x00"
    footer = (b"\x15\x02" + schema + b"\x16\x02"  # version 1, schema, num_rows 1
              + b"\x19" + _list_header(row_groups, 12) + group * row_groups + b"\x00")
    return b"PAR1" + footer + struct.pack("<I", len(footer)) + b"PAR1"


def _valid_extra() -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"x": [1, 2, 3]}), sink)
    return sink.getvalue().to_pybytes()


def _claims_footer(length: int) -> bytes:
    data = _valid_extra()
    return data[:-8] + struct.pack("<I", length) + b"PAR1"


@dataclass
class FooterCase:
    id: str
    content: Callable[[Path], None]  # writes report_burden.parquet (an extra table) or requests.parquet
    expected: str
    file: str = "report_burden.parquet"


def _bytes(data: bytes | Callable[[], bytes], name: str = "report_burden.parquet") -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / name).write_bytes(data() if callable(data) else data)
    return write


def _sparse_big_footer(folder: Path) -> None:
    """A 20 MiB file (sparse: no disk used) whose footer claims 17 MiB: within the file, over the limit."""
    with open(folder / "report_burden.parquet", "wb") as f:
        f.write(b"PAR1")
        f.truncate(20 * 1024 * 1024 - 8)
        f.seek(0, 2)
        f.write(struct.pack("<I", 17 * 1024 * 1024) + b"PAR1")


def _table_file(table_fn: Callable[[], pa.Table], **kw) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        pq.write_table(table_fn(), folder / "report_burden.parquet", **kw)
    return write


FOOTER_CASES = [
    FooterCase("empty-file", _bytes(b""), "unreadable parquet: the file is too small to be parquet (0 bytes)"),
    FooterCase("three-bytes", _bytes(b"PAR"), "unreadable parquet: the file is too small to be parquet (3 bytes)"),
    FooterCase("empty-footer", _bytes(b"PAR1\x00\x00\x00\x00PAR1"), "unreadable parquet: the footer is empty"),
    FooterCase("no-start-magic", _bytes(lambda: b"JUNK" + _valid_extra()[4:]), "unreadable parquet: the file does not start with the parquet magic PAR1"),
    FooterCase("encrypted", _bytes(lambda: b"PARE" + _valid_extra()[4:-4] + b"PARE"),
               "unreadable parquet: encrypted parquet (PARE) is not supported"),
    FooterCase("footer-claims-2-GiB", _bytes(lambda: _claims_footer(0x7FFFFFF0)),
               "unreadable parquet: the footer claims 2048.0 MiB of metadata but the file has only"),
    FooterCase("footer-over-the-limit", _sparse_big_footer,
               "the footer (file metadata) is 17.0 MiB, more than the limit of 16.0 MiB"),
    FooterCase("garbage-footer", _bytes(b"PAR1" + b"\x19\xfc\xff\xff\xff\xff\x0f" + b"\x07" * 64
                                        + struct.pack("<I", 71) + b"PAR1"),
               "unreadable parquet: the footer is not valid parquet metadata"),
    FooterCase("core-file-claims-footer", _bytes(lambda: _claims_footer(1 << 30), "requests.parquet"),
               "unreadable parquet: the footer claims 1024.0 MiB", file="requests.parquet"),
    FooterCase("too-many-row-groups", _table_file(lambda: pa.table({"x": pa.array([0] * 10_001, pa.int8())}),
                                                  row_group_size=1, write_statistics=False),
               "the file has 10001 row groups, more than the limit of 10000"),
    FooterCase("too-many-columns", _table_file(lambda: pa.table({f"c{i}": [1] for i in range(1001)})),
               "a row group has 1001 columns, more than the limit of 1000"),
    FooterCase("hand-made-wide-row-group", _bytes(lambda: _hand_made_parquet(1, 300_000)),
               "a row group has 300000 columns, more than the limit of 1000"),
    FooterCase("hand-made-many-column-chunks", _bytes(lambda: _hand_made_parquet(101, 1000)),
               "the file has more than 100000 column chunks"),
]


@pytest.mark.parametrize("case", FOOTER_CASES, ids=[c.id for c in FOOTER_CASES])
def test_parquet_footers_are_checked_before_reading(case: FooterCase, live_store: Path, tmp_path: Path, capsys):
    folder = drops.write_drop(tmp_path / f"drop-{case.id}", as_of="2026-11-26", only=("departments",))
    case.content(folder)
    _refused_in_process(live_store, folder, capsys, f"{case.file}: {case.expected}", only=True)


# -- 5. region vertices ---------------------------------------------------------------------------

def test_a_region_with_too_many_vertices_is_refused(live_store: Path, tmp_path: Path, capsys):
    g = drops.regions()
    angles = np.linspace(0, 2 * np.pi, 200_004, endpoint=False)
    circle = shapely.Polygon(np.column_stack([120.5 + 0.4 * np.cos(angles), 30.5 + 0.4 * np.sin(angles)]))
    g.loc[7, "geometry"] = circle  # 200004 vertices + the closing one
    assert shapely.get_num_coordinates(g.geometry.values[7]) == 200_005
    folder = drops.write_drop(tmp_path / "drop", as_of="2026-11-26", regions=g)
    _refused_in_process(live_store, folder, capsys,
                        "regions.parquet: column geometry: row 7: region 330106002 has 200005 vertices, more than "
                        "the limit of 200000 (setting COCKPIT_MAX_REGION_VERTICES)", only=True)


def test_the_vertex_limit_is_a_setting(tmp_path: Path, use_store):
    folder = drops.write_drop(tmp_path / "drop")
    use_store(tmp_path / "store", COCKPIT_MAX_REGION_VERTICES="4")  # a box has 5 coordinates
    problems = validate_drop(folder, None)
    assert [p.code for p in problems] == ["geometry_vertices"] * 6
    assert str(problems[0]) == ("regions.parquet: column geometry: row 0: region 330000 has 5 vertices, more than "
                                "the limit of 4 (setting COCKPIT_MAX_REGION_VERTICES); simplify its boundary "
                                "before sending it")
    assert str(problems[-1]) == "regions.parquet: column geometry: 3 rows: 3 more regions have more than 4 vertices"
    use_store(tmp_path / "store", COCKPIT_MAX_REGION_VERTICES="5")
    assert validate_drop(folder, None) == []


# -- 6. concurrent ingests ------------------------------------------------------------------------

def _requests_for_new_department(folder: Path, as_of: str) -> Path:
    rows = [drops.request_row("N1", datetime(2026, 11, 26, 9), dept_code="D04")]
    return drops.write_drop(folder, as_of=as_of, only=(), requests=drops.requests_table(rows))


def test_a_second_ingest_waits_and_validates_against_the_new_snapshot(fresh_store: Path, tmp_path: Path):
    """B's requests use department D04, which only A's drop brings: B can only pass when it is
    validated after A has published."""
    first = Ingest(drops.write_drop(tmp_path / "a", as_of="2026-11-26", only=(), departments=_four_departments()),
                   fresh_store, pause="after-drop-validated")
    second = None
    try:
        first.wait_for("PAUSED AT after-drop-validated")
        second = Ingest(_requests_for_new_department(tmp_path / "b", "2026-11-26"), fresh_store)
        second.wait_for("waiting for another ingest into this store to finish")
        time.sleep(1.0)
        assert second.proc.poll() is None, second.output  # still queued behind the first
        assert Store(fresh_store).live_id() == "00001_2026-11-25"
        first.resume()
        assert first.finish() == 0, first.output
        assert second.finish() == 0, second.output
    finally:
        first.kill()
        if second is not None:
            second.kill()
    st = Store(fresh_store)
    assert [s.id for s in st.list_snapshots()] == ["00001_2026-11-25", "00002_2026-11-26", "00003_2026-11-26"]
    assert st.live_id() == "00003_2026-11-26" and st.manifest("00003_2026-11-26")["parent"] == "00002_2026-11-26"
    assert "D04" in drops.read_requests(st.snapshot_dir("00003_2026-11-26")).column("dept_code").to_pylist()


def test_live_as_of_never_goes_backwards_while_queued(fresh_store: Path, tmp_path: Path):
    """A (as_of 11-27) holds the lock; B (as_of 11-26, no --backdate) queues, then is refused
    against the snapshot A published."""
    first = Ingest(drops.write_drop(tmp_path / "a", as_of="2026-11-27", only=("departments",)), fresh_store,
                   pause="after-drop-validated")
    second = None
    try:
        first.wait_for("PAUSED AT after-drop-validated")
        second = Ingest(drops.write_drop(tmp_path / "b", as_of="2026-11-26", only=("departments",)), fresh_store)
        second.wait_for("waiting for another ingest into this store to finish")
        first.resume()
        assert first.finish() == 0, first.output
        assert second.finish() == 1, second.output
    finally:
        first.kill()
        if second is not None:
            second.kill()
    assert ("manifest.json: column as_of: as_of must not be before the as_of of the published snapshot "
            "00002_2026-11-27 (2026-11-27)") in second.output
    st = Store(fresh_store)
    assert st.live_id() == "00002_2026-11-27"
    assert [s.as_of for s in st.list_snapshots()] == ["2026-11-25", "2026-11-27"]
    assert len(list((fresh_store / "rejected").glob("*_b.txt"))) == 1


def test_two_ingests_released_at_once_never_move_as_of_backwards(fresh_store: Path, tmp_path: Path):
    """Both wait on the lock (held here), then race for it. Whichever wins, the live as_of ends
    at the later date and never went back: the older drop is refused, or published first."""
    newer = drops.write_drop(tmp_path / "newer", as_of="2026-11-27", only=("departments",))
    older = drops.write_drop(tmp_path / "older", as_of="2026-11-26", only=("departments",))
    runs = []
    try:
        with Store(fresh_store).lock():
            runs = [Ingest(newer, fresh_store), Ingest(older, fresh_store)]
            for r in runs:
                r.wait_for("waiting for another ingest into this store to finish")
        codes = [r.finish() for r in runs]
    finally:
        for r in runs:
            r.kill()
    st = Store(fresh_store)
    as_ofs = [s.as_of for s in st.list_snapshots()]
    assert as_ofs == sorted(as_ofs), as_ofs  # in order of publication
    assert st.manifest(st.live_id())["as_of"] == "2026-11-27"
    assert codes[0] == 0, runs[0].output
    if codes[1] == 1:
        assert "must not be before the as_of of the published snapshot" in runs[1].output
        assert as_ofs == ["2026-11-25", "2026-11-27"]
    else:
        assert codes[1] == 0 and as_ofs == ["2026-11-25", "2026-11-26", "2026-11-27"], runs[1].output


# -- docs -----------------------------------------------------------------------------------------

def test_docs_say_what_is_refused():
    from cockpit.contract_docs import render_contract_markdown

    contract = render_contract_markdown()
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    ingest_section = readme.split("## Ingest data", 1)[1].split("\n## ", 1)[0]
    for text in (contract, ingest_section):
        for needle in ("--backdate", "symbolic link", "FIFO", "COCKPIT_MAX_REGION_VERTICES", "footer",
                       "staging/<run>/drop/", "future"):
            assert needle in text, needle
    assert "A region with more is **refused**, not simplified" in contract
