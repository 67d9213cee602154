"""The drop folder itself: its manifest.json, and which of its parquet files are core or extra tables."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from cockpit.contract import CONTRACTS, CORE_TABLES, EXTRA_TABLE_NAME, MANIFEST_FILE, RESERVED_SUFFIX
from cockpit.ingest.rollups import rollup_names
from cockpit.ingest.validate.problems import Problem


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


def scan_drop(folder: Path) -> DropFiles:
    """Sort the folder's `*.parquet` entries into core and extra tables; report bad names."""
    found = DropFiles()
    reserved = reserved_names()
    keywords: set[str] | None = None
    for path in sorted(folder.iterdir()):
        if not path.name.endswith(".parquet"):
            continue  # manifest.json, README, .DS_Store ...: not part of the data
        name = path.name[: -len(".parquet")]
        if not path.is_file():
            found.bad.append(Problem(path.name, None, "must be a single parquet file, not a directory",
                                     "not_a_file"))
            continue
        if name in CONTRACTS:
            found.core[name] = path
            continue
        if not EXTRA_TABLE_NAME.match(name):
            hint = f" (did you mean {name.lower()}.parquet?)" if name.lower() in CONTRACTS else ""
            found.bad.append(Problem(path.name, None, "extra table name must match "
                                     f"{EXTRA_TABLE_NAME.pattern}{hint}", "bad_name"))
            continue
        if keywords is None:
            keywords = _sql_keywords()
        if name in reserved or name.endswith(RESERVED_SUFFIX) or name in keywords:
            found.bad.append(Problem(path.name, None, "extra table name is reserved (a core or derived "
                                     f"table, an SQL keyword, or ending in {RESERVED_SUFFIX})", "bad_name"))
            continue
        found.extras[name] = path
    return found


def read_manifest(folder: Path) -> tuple[dict | None, list[Problem]]:
    """Parse manifest.json; returns (manifest or None, problems)."""
    path = folder / MANIFEST_FILE
    f = MANIFEST_FILE
    if not path.is_file():
        return None, [Problem(f, None, 'manifest.json is missing; write {"as_of": "YYYY-MM-DD"}',
                              "manifest_missing")]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [Problem(f, None, f"not valid JSON: {exc}", "manifest_json")]
    if not isinstance(data, dict):
        return None, [Problem(f, None, "must be a JSON object", "manifest_json")]
    problems = []
    as_of = data.get("as_of")
    if as_of is None:
        problems.append(Problem(f, "as_of", "as_of is required (YYYY-MM-DD)", "manifest_as_of"))
    elif not (isinstance(as_of, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of) and _is_date(as_of)):
        problems.append(Problem(f, "as_of", "as_of must be a valid date YYYY-MM-DD", "manifest_as_of",
                                example=str(as_of)))
    if "source" in data and not isinstance(data["source"], str):
        problems.append(Problem(f, "source", "source must be text", "manifest_source"))
    return (None if problems else data), problems


def _is_date(s: str) -> bool:
    try:
        date.fromisoformat(s)
    except ValueError:
        return False
    return True

