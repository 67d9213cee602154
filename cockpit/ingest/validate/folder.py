"""The drop folder itself: its entries, its manifest.json, and which of its parquet files are core
or extra tables.

Every drop is untrusted. Entries are looked at without following links (`lstat`): a symbolic
link or anything that is not a regular file (FIFO, socket, device) is refused whatever its name,
so nothing outside the folder is ever read and no read can block; a directory is ignored, unless
it is named like a table. manifest.json is opened without following links, must be a small
regular file, and its `as_of` must be plausible (`check_as_of`).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from cockpit.contract import (
    AS_OF_EARLIEST,
    AS_OF_MAX_DAYS_AHEAD,
    CONTRACTS,
    CORE_TABLES,
    EXTRA_TABLE_NAME,
    MANIFEST_FILE,
    MANIFEST_MAX_BYTES,
    RESERVED_SUFFIX,
    SOURCE_MAX_CHARS,
)
from cockpit.ingest.rollups import rollup_names
from cockpit.ingest.validate.problems import Problem

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


@dataclass
class DropFiles:
    """What a drop folder holds: core and extra parquet files by table name, and other entries."""

    core: dict[str, Path] = field(default_factory=dict)
    extras: dict[str, Path] = field(default_factory=dict)
    bad: list[Problem] = field(default_factory=list)


def reserved_names() -> set[str]:
    """Names an extra table may not take: core tables and derived (rollup) tables."""
    return set(CORE_TABLES) | set(rollup_names())


def _sql_keywords() -> set[str]:
    con = duckdb.connect()
    try:
        rows = con.execute("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'").fetchall()
    finally:
        con.close()
    return {r[0].lower() for r in rows}


def shown_name(name: str) -> str:
    """A file name as problems show it: quoted and escaped when it holds control characters or
    bytes that are not UTF-8, so a hostile name cannot forge lines of the report."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return ascii(name)
    return name if name.isprintable() else ascii(name)


def entry_problem(name: str, mode: int) -> Problem | None:
    """The problem with a folder entry of this `lstat` mode, or None (a regular file, or a
    directory not named like a table, which is ignored)."""
    shown = shown_name(name)
    if stat.S_ISLNK(mode):
        return Problem(shown, None, "is a symbolic link; links are refused and never followed (put the file "
                       "itself in the folder)", "symlink")
    if stat.S_ISDIR(mode):
        if name == MANIFEST_FILE:
            return Problem(shown, None, "must be a file, not a directory", "manifest_not_file")
        if name.endswith(".parquet"):
            return Problem(shown, None, "must be a single parquet file, not a directory", "not_a_file")
        return None
    if stat.S_ISREG(mode):
        return None
    kind = next((text for test, text in _KINDS if test(mode)), "not a regular file")
    return Problem(shown, None, f"is {kind}; only regular files are accepted", "not_regular")


def scan_drop(folder: Path) -> DropFiles:
    """Sort the folder's `*.parquet` entries into core and extra tables; report bad names, links
    and entries that are not regular files (manifest.json is `read_manifest`'s)."""
    found = DropFiles()
    reserved = reserved_names()
    keywords: set[str] | None = None
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        if entry.name == MANIFEST_FILE:
            continue
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            continue  # gone meanwhile
        problem = entry_problem(entry.name, mode)
        if problem is not None:
            found.bad.append(problem)
            continue
        path = Path(folder) / entry.name
        if not entry.name.endswith(".parquet") or not stat.S_ISREG(mode):
            continue  # README, .DS_Store, sub-folders ...: not part of the data
        name = entry.name[: -len(".parquet")]
        if name in CONTRACTS:
            found.core[name] = path
            continue
        if not EXTRA_TABLE_NAME.fullmatch(name):
            hint = f" (did you mean {name.lower()}.parquet?)" if name.lower() in CONTRACTS else ""
            found.bad.append(Problem(shown_name(path.name), None, "extra table name must match "
                                     f"{EXTRA_TABLE_NAME.pattern}{hint}", "bad_name"))
            continue
        if keywords is None:
            keywords = _sql_keywords()
        if name in reserved or name.endswith(RESERVED_SUFFIX) or name in keywords:
            found.bad.append(Problem(shown_name(path.name), None, "extra table name is reserved (a core or derived "
                                     f"table, an SQL keyword, or ending in {RESERVED_SUFFIX})", "bad_name"))
            continue
        found.extras[name] = path
    return found


def read_manifest(folder: Path) -> tuple[dict | None, list[Problem]]:
    """Parse manifest.json (a small regular file, never through a link); returns (manifest or None, problems).

    Only its form is checked here; whether `as_of` is plausible is `check_as_of`'s.
    """
    f = MANIFEST_FILE
    missing = Problem(f, None, 'manifest.json is missing; write {"as_of": "YYYY-MM-DD"}', "manifest_missing")
    try:
        mode = os.lstat(Path(folder) / f).st_mode
    except FileNotFoundError:
        return None, [missing]
    except OSError as exc:
        return None, [Problem(f, None, f"cannot be read ({exc.strerror})", "manifest_json")]
    problem = entry_problem(f, mode)
    if problem is not None:
        return None, [problem]
    try:
        fd = os.open(Path(folder) / f, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None, [missing]
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, [entry_problem(f, stat.S_IFLNK)]  # type: ignore[list-item]
        return None, [Problem(f, None, f"cannot be read ({exc.strerror})", "manifest_json")]
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced since the lstat
            return None, [entry_problem(f, st.st_mode) or missing]
        if st.st_size > MANIFEST_MAX_BYTES:
            return None, [Problem(f, None, f"is {st.st_size} bytes, more than the limit of {MANIFEST_MAX_BYTES} "
                                  'bytes (it only needs {"as_of": "YYYY-MM-DD"})', "manifest_size")]
        raw = os.read(fd, MANIFEST_MAX_BYTES + 1)
    except OSError as exc:
        return None, [Problem(f, None, f"cannot be read ({exc.strerror})", "manifest_json")]
    finally:
        os.close(fd)
    if len(raw) > MANIFEST_MAX_BYTES:
        return None, [Problem(f, None, f"is more than the limit of {MANIFEST_MAX_BYTES} bytes", "manifest_size")]
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [Problem(f, None, f"not valid JSON: {exc}", "manifest_json")]
    except RecursionError:
        return None, [Problem(f, None, "not valid JSON: nested too deeply", "manifest_json")]
    if not isinstance(data, dict):
        return None, [Problem(f, None, "must be a JSON object", "manifest_json")]
    problems = []
    as_of = data.get("as_of")
    if as_of is None:
        problems.append(Problem(f, "as_of", "as_of is required (YYYY-MM-DD)", "manifest_as_of"))
    elif parse_as_of(as_of) is None:
        problems.append(Problem(f, "as_of", "as_of must be a valid date YYYY-MM-DD (a real calendar day, "
                                "e.g. 2026-11-25)", "manifest_as_of", example=_shown_value(as_of)))
    if "source" in data:
        source = data["source"]
        if not isinstance(source, str):
            problems.append(Problem(f, "source", "source must be text", "manifest_source"))
        elif len(source) > SOURCE_MAX_CHARS or not source.isprintable():
            problems.append(Problem(f, "source", f"source must be one line of at most {SOURCE_MAX_CHARS} "
                                    "printable characters", "manifest_source", example=_shown_value(source)))
    return (None if problems else data), problems


def _shown_value(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)[:100]
    return text if text.isprintable() else ascii(text)


def parse_as_of(value) -> date | None:
    """The date an `as_of` value names, or None unless it is exactly YYYY-MM-DD of a real day."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def live_as_of(live: Path | None) -> str | None:
    """The as_of of the live snapshot directory (None when there is none)."""
    if live is None:
        return None
    return json.loads((live / "manifest.json").read_text(encoding="utf-8")).get("as_of")


def check_as_of(as_of: str, live: Path | None, *, backdate: bool = False,
                today: date | None = None) -> list[Problem]:
    """Is a well-formed `as_of` plausible? Not before AS_OF_EARLIEST, at most AS_OF_MAX_DAYS_AHEAD
    after today, and not before the live snapshot's as_of unless `backdate`."""
    f = MANIFEST_FILE
    day = parse_as_of(as_of)
    if day is None:
        return []  # read_manifest reports it
    today = today or date.today()
    latest = today + timedelta(days=AS_OF_MAX_DAYS_AHEAD)
    if day > latest:
        return [Problem(f, "as_of", f"as_of must not be in the future: at most {AS_OF_MAX_DAYS_AHEAD} day after "
                        f"today ({today.isoformat()}), i.e. {latest.isoformat()} at the latest",
                        "manifest_as_of_future", example=as_of)]
    if as_of < AS_OF_EARLIEST:
        return [Problem(f, "as_of", f"as_of must be {AS_OF_EARLIEST} or later", "manifest_as_of_early",
                        example=as_of)]
    current = live_as_of(live)
    if current is not None and as_of < current and not backdate:
        return [Problem(f, "as_of", f"as_of must not be before the as_of of the published snapshot "
                        f"{live.name} ({current}); to publish an older date on purpose, run "  # type: ignore[union-attr]
                        "`cockpit ingest --backdate FOLDER`", "manifest_as_of_backwards", example=as_of)]
    return []
