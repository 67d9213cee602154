"""Check a drop folder against the data contract before anything is published.

`validate_drop(folder, live_snapshot_dir)` returns a list of `Problem`s (empty means the drop may
be published). Schemas are checked with pyarrow from the parquet footers alone; row rules,
uniqueness and foreign keys run as DuckDB queries straight on the files, so a 10M-row
requests.parquet is streamed with bounded memory (DuckDB spills to `temp_dir` when it must)
and never loaded into pandas. Geometries (regions only, small) are checked with shapely in
batches.

One module per concern, run in this order by `validate_drop` (a later check skips what an
earlier one found broken):

- `folder`: manifest.json (its form and a plausible `as_of`), the folder's entries (links and
  anything not a regular file are refused) and the names of the parquet files (core, extra, bad),
- `parquet`: each file's footer, from its raw bytes, before any reader decodes it (size, row
  groups, columns),
- `schema`: columns and types of each core file (from its footer); readability of extra tables,
- `rows`: row rules, uniqueness and table rules,
- `references`: foreign keys, forwards and against the live snapshot's other tables,
- `geometry`: GeoParquet metadata (called from the schema check) and every geometry.

Row numbers in problems are 0-based positions in the file (pandas `df.iloc[n]`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from cockpit.contract import CONTRACTS, CORE_TABLES, MANIFEST_FILE
from cockpit.duck import connect_duckdb
from cockpit.ingest.validate.context import DropCheck
from cockpit.ingest.validate.folder import (
    DropFiles,
    check_as_of,
    entry_problem,
    read_manifest,
    reserved_names,
    scan_drop,
    shown_name,
)
from cockpit.ingest.validate.geometry import check_geometry
from cockpit.ingest.validate.parquet import check_parquet, trailer_problem
from cockpit.ingest.validate.problems import MAX_ROWS_SHOWN, Problem, format_problems
from cockpit.ingest.validate.references import check_foreign_keys, check_reverse_foreign_keys
from cockpit.ingest.validate.rows import check_rows
from cockpit.ingest.validate.schema import check_extra, check_schema

__all__ = ["MAX_ROWS_SHOWN", "DropFiles", "Problem", "check_as_of", "check_parquet", "entry_problem",
           "format_problems", "read_manifest", "reserved_names", "scan_drop", "shown_name", "trailer_problem",
           "validate_drop"]


def _check(run: DropCheck) -> list[Problem]:
    """Every check of one run, in the order problems are reported."""
    if not run.folder.is_dir():
        run.add(Problem("(folder)", None, f"drop folder {run.folder} does not exist or is not a folder",
                        "folder"))
        return run.problems
    refused = {p.file for p in run.refused}
    if MANIFEST_FILE in refused:
        run.add(*(p for p in run.refused if p.file == MANIFEST_FILE))
    else:
        manifest, problems = read_manifest(run.folder)
        run.add(*problems)
        if manifest is not None:
            run.add(*check_as_of(manifest["as_of"], run.live, backdate=run.backdate, today=run.today))
    run.add(*(p for p in run.refused if p.file != MANIFEST_FILE))
    run.files = scan_drop(run.folder)
    run.add(*run.files.bad)
    if not run.files.core and not run.files.extras and not run.files.bad and not refused - {MANIFEST_FILE}:
        run.add(Problem("(folder)", None, "the drop holds no .parquet file", "no_files"))
    # The footer of every file first: a file that fails it is read by no later check.
    for name, path in [*run.files.core.items(), *run.files.extras.items()]:
        problem = check_parquet(path, path.name)
        if problem is not None:
            run.add(problem)
            run.failed.add(path.name)
    for name, path in run.files.core.items():
        if path.name not in run.failed:
            check_schema(run, CONTRACTS[name], path)
    for name in CORE_TABLES:
        if name in run.readable:
            check_rows(run, CONTRACTS[name])
    for name in CORE_TABLES:
        if name in run.readable:
            check_foreign_keys(run, CONTRACTS[name])
    check_reverse_foreign_keys(run)
    for name in CORE_TABLES:
        if name in run.readable and CONTRACTS[name].geo:
            check_geometry(run, CONTRACTS[name], run.files.core[name])
    for name, path in run.files.extras.items():
        if path.name not in run.failed:
            check_extra(run, name, path)
    return run.problems


def validate_drop(folder: Path, live_snapshot_dir: Path | None = None, *, temp_dir: Path | None = None,
                  memory_limit: str | None = None, backdate: bool = False, today: date | None = None,
                  refused: Iterable[Problem] = ()) -> list[Problem]:
    """Check every file of a drop folder; an empty list means it may be published.

    Foreign keys are resolved against the drop's own file when it holds the target table, else
    against `live_snapshot_dir` (partial drops), whose as_of the drop's may not precede unless
    `backdate`. `temp_dir` is where DuckDB may spill. `refused`: problems with entries that were
    not copied when the drop was staged (`cockpit.ingest.stage.copy_drop`), reported first.
    """
    folder = Path(folder)
    own_tmp = None
    if temp_dir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="cockpit-validate-")
        temp_dir = Path(own_tmp.name)
    con = connect_duckdb(temp_dir, memory_limit)
    try:
        return _check(DropCheck(folder, Path(live_snapshot_dir) if live_snapshot_dir else None, con,
                                backdate=backdate, today=today, refused=tuple(refused)))
    finally:
        con.close()
        if own_tmp is not None:
            own_tmp.cleanup()
