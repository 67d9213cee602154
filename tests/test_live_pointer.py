"""STORE/CURRENT is read in one place (`cockpit.store.read_live_id`) and a bad pointer is refused
by every reader: the store, the serving database (and so the web's state resolution), the
analytics helpers and `cockpit scores`, `cockpit snapshots` and `cockpit ingest`.

A real store: the small drop of tests/drops.py published by the real ingest; then CURRENT is
overwritten with garbage, a path out of snapshots/, an id nobody published, or the id of a
directory without a manifest.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import pytest

import drops
from cockpit.analytics import live_snapshot_dir
from cockpit.analytics.scores import cli_scores
from cockpit.cli import main
from cockpit.db import Database
from cockpit.filters import parse_query, resolve
from cockpit.ingest import cli_ingest, ingest
from cockpit.store import Store, StoreError, cli_snapshots, read_live_id

LIVE = "00001_2026-11-25"
PACKAGE = Path(__file__).resolve().parent.parent / "cockpit"

BAD_POINTERS = {
    "garbage": b"garbage\n",
    "path_out_of_snapshots": b"../x\n",
    "absolute_path": b"/etc\n",
    "unpublished_id": b"00009_2026-11-25\n",
    "no_manifest": b"00002_2026-11-26\n",
    "id_plus_path": b"00001_2026-11-25/../../x\n",
    "empty": b"\n",
    "not_utf8": b"\xff\xfe\x00\n",
}


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("pointer")
    res = ingest(drops.write_drop(base / "drop"), base / "store", log=lambda s: None)
    assert res.ok and res.snapshot_id == LIVE, [str(p) for p in res.problems]
    return base / "store"


@pytest.fixture()
def store(published: Path, tmp_path: Path) -> Path:
    """A private copy of the published store, with bait for a reader that follows a bad pointer:
    a snapshot-like directory outside snapshots/ (the target of `../x`) and a snapshot directory
    without a manifest."""
    store = Path(shutil.copytree(published, tmp_path / "store"))
    shutil.copytree(store / "snapshots" / LIVE, store / "x")
    (store / "snapshots" / "00002_2026-11-26" / "tables").mkdir(parents=True)
    return store


def test_a_good_pointer_is_followed_by_every_reader(store: Path, capsys):
    assert read_live_id(store) == LIVE
    assert Store(store).live_id() == LIVE
    assert Database(store).live_id() == LIVE
    assert Database(store).snapshot_ids() == [LIVE]
    assert live_snapshot_dir(store) == store / "snapshots" / LIVE
    assert resolve(parse_query(""), Database(store), None).ctx.snapshot == LIVE
    assert cli_scores(store, period="2026-11", fmt="csv") == 0
    assert cli_snapshots(store) == 0
    assert f"live: {LIVE}" in capsys.readouterr().out


def test_nothing_published_is_not_an_error(tmp_path: Path):
    assert read_live_id(tmp_path) is None
    assert Store(tmp_path).live_id() is None
    assert Database(tmp_path).live_id() is None
    with pytest.raises(FileNotFoundError, match="CURRENT missing"):
        live_snapshot_dir(tmp_path)


@pytest.mark.parametrize("pointer", list(BAD_POINTERS.values()), ids=list(BAD_POINTERS))
def test_a_bad_pointer_is_refused_by_every_reader(store: Path, pointer: bytes, capsys):
    (store / "CURRENT").write_bytes(pointer)
    for read in (read_live_id, lambda s: Store(s).live_id(), lambda s: Store(s).live_dir(),
                 lambda s: Database(s).live_id(), lambda s: Database(s).snapshot_ids(), live_snapshot_dir,
                 lambda s: resolve(parse_query(""), Database(s), None)):
        with pytest.raises(StoreError, match="CURRENT") as caught:
            read(store)
        # the web shows a LookupError's message as "no snapshot to serve": our words, no server path
        assert isinstance(caught.value, LookupError) and str(store.parent) not in str(caught.value)

    # the command line: an error message naming CURRENT and a failing exit status
    assert cli_scores(store, period="2026-11", fmt="csv") == 2
    assert main(["scores", "--store", str(store), "--period", "2026-11"]) == 2
    assert cli_snapshots(store) == 1
    assert cli_ingest(drops.write_drop(store.parent / "drop"), store) == 1
    out = capsys.readouterr()
    assert out.out == ""
    errors = out.err.splitlines()
    assert len(errors) == 4 and all(e.startswith("error: ") and "CURRENT" in e for e in errors), errors

    # nothing was published over the bad pointer
    assert (store / "CURRENT").read_bytes() == pointer
    assert sorted(p.name for p in (store / "snapshots").iterdir()) == [LIVE, "00002_2026-11-26"]
    assert json.loads((store / "snapshots" / LIVE / "manifest.json").read_text(encoding="utf-8"))["id"] == LIVE


def test_only_the_store_names_the_pointer_file():
    """Every reader goes through read_live_id: no other module builds the path STORE/CURRENT."""
    naming = sorted(
        path.relative_to(PACKAGE.parent).as_posix() for path in PACKAGE.rglob("*.py")
        if any(isinstance(n, ast.Constant) and n.value == "CURRENT"
               for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))))
    assert naming == ["cockpit/store.py"]
