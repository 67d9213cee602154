"""Schemas from the parquet footers alone: columns present, unknown, duplicated, of the right type;
extra tables only have to be readable."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cockpit.contract import TableContract
from cockpit.contract_types import type_accepts, type_hint
from cockpit.duck import literal
from cockpit.ingest.validate.context import DropCheck
from cockpit.ingest.validate.geometry import check_geo_metadata, geo_covering_columns
from cockpit.ingest.validate.problems import Problem

# Columns pandas writes for a non-default index; they carry no contract data and are ignored.
PANDAS_INDEX = re.compile(r"^__index_level_\d+__$")


def check_schema(run: DropCheck, t: TableContract, path: Path) -> None:
    """Columns and types of one core file; records its usable columns and opens its view `drop_<name>`."""
    try:
        with pq.ParquetFile(path) as pf:
            schema = pf.schema_arrow
    except Exception as exc:  # pyarrow raises several kinds for a broken footer
        run.add(Problem(t.file, None, f"unreadable parquet: {str(exc).splitlines()[0][:300]}", "unreadable"))
        return
    ignored = geo_covering_columns(schema) if t.geo else set()
    names = [n for n in schema.names if not PANDAS_INDEX.match(n) and n not in ignored]
    usable: set[str] = set()
    for name in sorted({n for n in names if names.count(n) > 1}):
        run.add(Problem(t.file, name, "column appears more than once", "duplicate_column"))
    known = set(t.column_names)
    for name in names:
        if name not in known:
            run.add(Problem(t.file, name, "unknown column (not in the contract; put additional data "
                            "in an extra table)", "unknown_column"))
    for col in t.columns:
        if col.name not in names:
            if not col.optional:
                run.add(Problem(t.file, col.name, f"required column is missing ({col.type})",
                                "missing_column"))
            continue
        typ = schema.field(col.name).type if names.count(col.name) == 1 else None
        if typ is None:
            continue
        if isinstance(typ, pa.ExtensionType):
            typ = typ.storage_type  # e.g. geoarrow.wkb when geoarrow-pyarrow is imported
        if type_accepts(col.type, typ):
            usable.add(col.name)
        else:
            hint = type_hint(col.type, typ)
            run.add(Problem(t.file, col.name, f"must be of type {col.type}, got {typ}"
                            + (f"; {hint}" if hint else ""), "type"))
    if t.geo:
        check_geo_metadata(run, t, schema)
    run.usable[t.name] = usable
    run.readable.add(t.name)
    try:
        run.con.execute(f"CREATE OR REPLACE VIEW {run.view(t.name)} AS "
                        f"SELECT * FROM read_parquet({literal(path)}, file_row_number = true)")
    except duckdb.Error as exc:
        run.unreadable(t.file, exc)


def check_extra(run: DropCheck, name: str, path: Path) -> None:
    """An extra table only has to be readable parquet (decoded in batches: bounded memory)."""
    try:
        with pq.ParquetFile(path) as pf:
            for _ in pf.iter_batches(batch_size=65536):
                pass
        run.con.execute(f"SELECT count(*) FROM read_parquet({literal(path)})").fetchall()[0]
    except Exception as exc:
        run.add(Problem(path.name, None, f"unreadable parquet: {str(exc).splitlines()[0][:300]}",
                        "unreadable"))
