"""The snapshot store on its own: ids, pointer, publish, listing, cleaning."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cockpit.store import PUBLISHING_MARKER, Store, StoreError, cli_snapshots


def _staged(st: Store, rows: int = 1) -> Path:
    run = st.new_staging()
    snap = run / "snapshot"
    (snap / "tables").mkdir()
    (snap / "tables" / "departments.parquet").write_bytes(b"not read by the store")
    return snap


def _publish(st: Store, as_of: str, rows: int = 1) -> str:
    with st.lock():
        return st.publish(_staged(st), {"as_of": as_of, "source": "test",
                                        "tables": {"departments": {"rows": rows, "kind": "core"}}})


def test_empty_store(tmp_path: Path, capsys):
    st = Store(tmp_path / "store")
    assert st.live_id() is None and st.live_dir() is None
    assert st.list_snapshots() == []
    assert cli_snapshots(tmp_path / "store") == 0
    assert "no snapshots" in capsys.readouterr().out
    assert not (tmp_path / "store").exists()  # readers never create the store


def test_publish_assigns_sequential_ids_and_moves_the_pointer(tmp_path: Path):
    st = Store(tmp_path)
    a = _publish(st, "2026-11-24", rows=3)
    b = _publish(st, "2026-11-25", rows=4)
    c = _publish(st, "2026-11-25", rows=5)
    assert (a, b, c) == ("00001_2026-11-24", "00002_2026-11-25", "00003_2026-11-25")
    assert (tmp_path / "CURRENT").read_text() == c + "\n"
    assert st.live_id() == c
    m = st.manifest(c)
    assert list(m) == ["id", "as_of", "created_at", "source", "parent", "tables"]
    assert m["id"] == c and m["parent"] == b and m["source"] == "test"
    assert m["tables"] == {"departments": {"rows": 5, "kind": "core"}}
    infos = st.list_snapshots()
    assert [(s.id, s.live, s.rows("departments")) for s in infos] == [(a, False, 3), (b, False, 4), (c, True, 5)]
    assert not (tmp_path / "CURRENT.tmp").exists()
    assert [p.name for p in (tmp_path / "staging").iterdir() if p.name != ".lock"]  # runs stay until cleaned


def test_snapshot_dir_rejects_non_ids(tmp_path: Path):
    st = Store(tmp_path)
    for bad in ("../etc", "1_2026-11-25", "00001_2026-11-25/x", ""):
        with pytest.raises(StoreError):
            st.snapshot_dir(bad)


def test_broken_pointer_is_an_error(tmp_path: Path):
    st = Store(tmp_path)
    (tmp_path / "CURRENT").write_text("garbage\n")
    with pytest.raises(StoreError):
        st.live_id()
    (tmp_path / "CURRENT").write_text("00007_2026-11-25\n")
    with pytest.raises(StoreError, match="no manifest"):
        st.live_id()


def test_clean_removes_leftovers_but_keeps_published_snapshots(tmp_path: Path):
    st = Store(tmp_path)
    a = _publish(st, "2026-11-24")
    b = _publish(st, "2026-11-25")
    # leftovers of a run killed after renaming its snapshot but before moving CURRENT
    run = _staged(st).parent
    orphan = tmp_path / "snapshots" / "00003_2026-11-26"
    os.rename(run / "snapshot", orphan)
    (orphan / "manifest.json").write_text(json.dumps({"id": orphan.name, "as_of": "2026-11-26", "tables": {}}))
    (run / PUBLISHING_MARKER).write_text("00003_2026-11-26\n")
    (tmp_path / "CURRENT.tmp").write_text("00003_2026-11-26\n")
    _staged(st)  # and a half-built run
    assert [s.id for s in st.list_snapshots()] == [a, b, "00003_2026-11-26"]
    with st.lock():
        removed = st.clean()
    assert "CURRENT.tmp" in removed and "snapshots/00003_2026-11-26" in removed
    assert [s.id for s in st.list_snapshots()] == [a, b]
    assert [p.name for p in (tmp_path / "staging").iterdir()] == [".lock"]
    assert st.live_id() == b
    assert st.next_id("2026-11-26") == "00003_2026-11-26"


def test_clean_never_removes_a_snapshot_without_marker(tmp_path: Path):
    """E.g. an operator rolled CURRENT back by hand: the newer snapshot stays."""
    st = Store(tmp_path)
    a = _publish(st, "2026-11-24")
    b = _publish(st, "2026-11-25")
    (tmp_path / "CURRENT").write_text(a + "\n")
    with st.lock():
        st.clean()
    assert [s.id for s in st.list_snapshots()] == [a, b]
    assert st.next_id("2026-11-26") == "00003_2026-11-26"


def test_publish_only_takes_staging_runs(tmp_path: Path):
    st = Store(tmp_path / "store")
    elsewhere = tmp_path / "x" / "snapshot"
    elsewhere.mkdir(parents=True)
    with pytest.raises(ValueError):
        st.publish(elsewhere, {"as_of": "2026-11-25", "tables": {}})


def test_rejection_reports_are_kept(tmp_path: Path):
    st = Store(tmp_path)
    p1 = st.write_rejection(Path("/some/where/drop 2026-11-25"), "report one\n")
    p2 = st.write_rejection(Path("/some/where/drop 2026-11-25"), "report two\n")
    assert p1 != p2 and p1.parent == p2.parent == tmp_path / "rejected"
    assert p1.name.endswith("_drop_2026-11-25.txt")
    assert p1.read_text() == "report one\n" and p2.read_text() == "report two\n"


def test_cli_snapshots_marks_live(tmp_path: Path, capsys):
    st = Store(tmp_path)
    _publish(st, "2026-11-24", rows=3)
    _publish(st, "2026-11-25", rows=4)
    capsys.readouterr()
    assert cli_snapshots(tmp_path) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "as_of", "created_at", "departments", "extra", "tables", "rollups"]
    assert lines[1].split()[:2] == ["00001_2026-11-24", "2026-11-24"] and lines[1].split()[3] == "3"
    assert lines[2].split()[:3] == ["*", "00002_2026-11-25", "2026-11-25"] and lines[2].split()[4] == "4"
