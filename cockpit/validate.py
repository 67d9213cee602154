"""Check a drop folder against the data contract before anything is published.

`validate_drop(folder, live_snapshot_dir)` returns a list of `Problem`s (empty means the drop may
be published). Schemas are checked with pyarrow from the parquet footers alone; row rules,
uniqueness and foreign keys run as DuckDB queries straight on the files, so a 10M-row
requests.parquet is streamed with bounded memory (DuckDB spills to `temp_dir` when it must)
and never loaded into pandas. Geometries (regions only, small) are checked with shapely in
batches.

Row numbers in problems are 0-based positions in the file (pandas `df.iloc[n]`).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cockpit.contract import (
    ACCEPTED_CRS,
    CONTRACTS,
    CORE_TABLES,
    EXTRA_TABLE_NAME,
    GEOMETRY_TYPES,
    MANIFEST_FILE,
    RESERVED_SUFFIX,
    Column,
    TableContract,
    foreign_keys,
    type_accepts,
    type_hint,
)

MAX_ROWS_SHOWN = 5
# Columns pandas writes for a non-default index; they carry no contract data and are ignored.
PANDAS_INDEX = re.compile(r"^__index_level_\d+__$")
# Lon/lat box of China (the same bounds as requests.lon/lat): catches projected coordinates and
# swapped axes, both of which would still look like "valid" polygons.
GEO_BOUNDS = (73.0, 3.0, 136.0, 54.0)


@dataclass
class Problem:
    """One broken rule of a drop.

    `file` is the file name inside the drop (or "(folder)"), `column` the column (None for
    file-level problems), `rows` the first few offending 0-based row numbers, `count` how many
    rows break the rule (0 for file-level problems), `code` a stable short name of the rule kind
    (for tests and tools), `example` the offending value of the first row when useful.
    """

    file: str
    column: str | None
    rule: str
    code: str
    rows: tuple[int, ...] = ()
    count: int = 0
    example: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.column:
            parts.append(f"column {self.column}")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            more = self.count - len(self.rows)
            label = "row" if len(self.rows) == 1 and more <= 0 else "rows"
            parts.append(f"{label} {shown}" + (f" and {more} more rows" if more > 0 else ""))
        elif self.count:
            parts.append(f"{self.count} rows")
        text = ": ".join(parts) + ": " + self.rule
        if self.example is not None:
            ex = self.example if len(self.example) <= 80 else self.example[:77] + "..."
            text += f" (got {ex!r})"
        return text


@dataclass
class DropFiles:
    """What a drop folder holds: core and extra parquet files by table name, and other entries."""

    core: dict[str, Path] = field(default_factory=dict)
    extras: dict[str, Path] = field(default_factory=dict)
    bad: list[Problem] = field(default_factory=list)


def reserved_names() -> set[str]:
    """Names an extra table may not take: core tables and derived (rollup) tables."""
    from cockpit.rollups import rollup_names  # lazy: rollups imports this module's neighbours
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


def _q(s: str | Path) -> str:
    """A SQL string literal (paths and enum values are embedded; they are not user SQL)."""
    return "'" + str(s).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect_duckdb(temp_dir: Path | None = None, memory_limit: str | None = None,
                   threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection bounded in memory and spilling to `temp_dir`."""
    from cockpit.settings import get_settings
    s = get_settings()
    con = duckdb.connect()
    con.execute(f"SET memory_limit = {_q(memory_limit or s.duckdb_memory_limit)}")
    con.execute(f"SET threads = {int(threads or s.duckdb_threads)}")
    if temp_dir is not None:
        con.execute(f"SET temp_directory = {_q(temp_dir)}")
    # Order of rows only matters where we sort explicitly; this lets DuckDB stream and spill more.
    con.execute("SET preserve_insertion_order = false")
    return con


class _Validator:
    """One validation run: holds the DuckDB connection, the drop's files and what is usable."""

    def __init__(self, folder: Path, live: Path | None, con: duckdb.DuckDBPyConnection):
        self.folder = folder
        self.live = live
        self.con = con
        self.problems: list[Problem] = []
        self.files = DropFiles()
        # Per core table in the drop: the columns usable by checks (present, with a good type).
        self.usable: dict[str, set[str]] = {}
        self.readable: set[str] = set()  # core tables whose data could be read so far
        self.failed: set[str] = set()  # files already reported as unreadable

    # -- plumbing ---------------------------------------------------------------------------------

    def add(self, *problems: Problem) -> None:
        self.problems.extend(problems)

    def view(self, table: str) -> str:
        return _ident(f"drop_{table}")

    def live_view(self, table: str) -> str | None:
        """A view over the live snapshot's table, or None when there is no such table."""
        if self.live is None:
            return None
        name = _ident(f"live_{table}")
        if table == "requests":
            files = sorted((self.live / "requests").glob("month=*/data.parquet"))
            if not files:
                return None
            src = f"read_parquet({_q(self.live / 'requests' / 'month=*' / 'data.parquet')})"
        else:
            path = self.live / "tables" / f"{table}.parquet"
            if not path.is_file():
                return None
            src = f"read_parquet({_q(path)})"
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {src}")
        return name

    def query_rows(self, file: str, sql: str) -> tuple[int, tuple[int, ...], str | None] | None:
        """Run a query returning (count, first rows list, example); None if the data is unreadable."""
        try:
            count, rows, example = self.con.execute(sql).fetchall()[0]
        except duckdb.Error as exc:
            self._unreadable(file, exc)
            return None
        return int(count or 0), tuple(int(r) for r in (rows or ())), example

    def _unreadable(self, file: str, exc: Exception) -> None:
        """A query on a file failed: report it once and stop checking that file.

        Any failure counts (fail closed): a check that cannot run must not let a drop through.
        """
        self.readable.discard(file[: -len(".parquet")])
        if file not in self.failed:
            self.failed.add(file)
            msg = str(exc).strip().splitlines()[0][:300]
            self.add(Problem(file, None, f"unreadable parquet data: {msg}", "unreadable"))

    # -- the checks -------------------------------------------------------------------------------

    def run(self) -> list[Problem]:
        if not self.folder.is_dir():
            self.add(Problem("(folder)", None, f"drop folder {self.folder} does not exist or is not a folder",
                             "folder"))
            return self.problems
        _, problems = read_manifest(self.folder)
        self.add(*problems)
        self.files = scan_drop(self.folder)
        self.add(*self.files.bad)
        if not self.files.core and not self.files.extras and not self.files.bad:
            self.add(Problem("(folder)", None, "the drop holds no .parquet file", "no_files"))
        for name, path in self.files.core.items():
            self.check_schema(CONTRACTS[name], path)
        for name in CORE_TABLES:
            if name in self.readable:
                self.check_rows(CONTRACTS[name])
        for name in CORE_TABLES:
            if name in self.readable:
                self.check_foreign_keys(CONTRACTS[name])
        self.check_reverse_foreign_keys()
        for name in CORE_TABLES:
            if name in self.readable and CONTRACTS[name].geo:
                self.check_geometry(CONTRACTS[name], self.files.core[name])
        for name, path in self.files.extras.items():
            self.check_extra(name, path)
        return self.problems

    def check_schema(self, t: TableContract, path: Path) -> None:
        try:
            with pq.ParquetFile(path) as pf:
                schema = pf.schema_arrow
        except Exception as exc:  # pyarrow raises several kinds for a broken footer
            self.add(Problem(t.file, None, f"unreadable parquet: {str(exc).splitlines()[0][:300]}", "unreadable"))
            return
        ignored = geo_covering_columns(schema) if t.geo else set()
        names = [n for n in schema.names if not PANDAS_INDEX.match(n) and n not in ignored]
        usable: set[str] = set()
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.add(Problem(t.file, name, "column appears more than once", "duplicate_column"))
        known = set(t.column_names)
        for name in names:
            if name not in known:
                self.add(Problem(t.file, name, "unknown column (not in the contract; put additional data "
                                 "in an extra table)", "unknown_column"))
        for col in t.columns:
            if col.name not in names:
                if not col.optional:
                    self.add(Problem(t.file, col.name, f"required column is missing ({col.type})",
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
                self.add(Problem(t.file, col.name, f"must be of type {col.type}, got {typ}"
                                 + (f"; {hint}" if hint else ""), "type"))
        if t.geo:
            self.check_geo_metadata(t, schema)
        self.usable[t.name] = usable
        self.readable.add(t.name)
        try:
            self.con.execute(f"CREATE OR REPLACE VIEW {self.view(t.name)} AS "
                             f"SELECT * FROM read_parquet({_q(path)}, file_row_number = true)")
        except duckdb.Error as exc:
            self._unreadable(t.file, exc)

    def check_geo_metadata(self, t: TableContract, schema: pa.Schema) -> None:
        meta = (schema.metadata or {}).get(b"geo")
        if meta is None:
            self.add(Problem(t.file, "geometry", "not GeoParquet: no 'geo' metadata (write it with "
                             "geopandas GeoDataFrame.to_parquet)", "geo_metadata"))
            return
        try:
            geo = json.loads(meta)
            col = geo["columns"]["geometry"]
        except (ValueError, KeyError, TypeError):
            self.add(Problem(t.file, "geometry", "the 'geo' metadata does not describe a column named "
                             "geometry", "geo_metadata"))
            return
        encoding = str(col.get("encoding", "")).upper()
        if encoding != "WKB":
            self.add(Problem(t.file, "geometry", "geometry encoding must be WKB", "geo_metadata",
                             example=str(col.get("encoding"))))
        if col.get("crs") is None:
            self.add(Problem(t.file, "geometry", "CRS is missing; set it to EPSG:4326 "
                             "(gdf.set_crs('EPSG:4326')) before writing", "crs"))
            return
        name = _crs_name(col["crs"])
        if name not in ACCEPTED_CRS:
            self.add(Problem(t.file, "geometry", "CRS must be EPSG:4326 (WGS 84 lon/lat)", "crs",
                             example=name))

    def check_rows(self, t: TableContract) -> None:
        """All row-local rules of a table in one scan, then uniqueness and table rules."""
        ok = self.usable.get(t.name, set())
        checks: list[tuple[Column | None, str, str, str, str]] = []  # (col, rule, code, predicate, shown)
        for col in t.columns:
            if col.name not in ok or col.type == "geometry":
                continue  # geometry nulls/values are checked with shapely
            c = _ident(col.name)
            if not col.nullable:
                checks.append((col, "must not be null", "null", f"{c} IS NULL", c))
            if col.enum:
                values = ", ".join(_q(v) for v in col.enum)
                checks.append((col, "must be one of " + ", ".join(col.enum), "enum",
                               f"{c} IS NOT NULL AND {c} NOT IN ({values})", c))
            if col.type == "float":
                checks.append((col, "must be a finite number (no NaN or infinity)", "finite",
                               f"NOT isfinite(CAST({c} AS DOUBLE))", c))
            if col.min is not None or col.max is not None:
                v = f"CAST({c} AS DOUBLE)"
                bad = []
                if col.min is not None:
                    bad.append(f"{v} {'<=' if col.min_exclusive else '<'} {col.min!r}")
                if col.max is not None:
                    bad.append(f"{v} > {col.max!r}")
                checks.append((col, f"must be {col.range_text()}", "range",
                               f"isfinite({v}) AND ({' OR '.join(bad)})", c))
            if col.first_of_month:
                checks.append((col, "must be the first day of a month", "first_of_month",
                               f"extract(day FROM {c}) <> 1", c))
            if col.type == "list<string>":
                checks.append((col, "list elements must not be null", "list_null",
                               f"list_count({c}) < len({c})", c))
        for rule in t.row_rules:
            if set(rule.columns) <= ok:
                shown = " || ', ' || ".join(f"'{x}=' || coalesce(CAST({_ident(x)} AS VARCHAR), 'null')"
                                            for x in rule.columns)
                checks.append((t.column(rule.column), rule.rule, "row_rule", rule.violation, shown))
        if checks:
            # Pass 1 counts every rule in one scan (cheap: ~0.1 s per 2M rows). Only rules that
            # fail get pass 2, which fetches their first rows; list-valued aggregates over all
            # rules in pass 1 would cost ~50x more on the (usual) valid drop.
            view = self.view(t.name)
            counts_sql = ", ".join(f"count_if(coalesce({pred}, false))" for _, _, _, pred, _ in checks)
            try:
                counts = self.con.execute(f"SELECT {counts_sql} FROM {view}").fetchall()[0]
                for (col, rule, code, pred, shown), count in zip(checks, counts):
                    if not count:
                        continue
                    first = self.con.execute(
                        f"SELECT file_row_number, CAST({shown} AS VARCHAR) FROM {view} "
                        f"WHERE coalesce({pred}, false) ORDER BY file_row_number LIMIT {MAX_ROWS_SHOWN}").fetchall()
                    self.add(Problem(t.file, col.name if col else None, rule, code,
                                     tuple(int(r[0]) for r in first), int(count),
                                     None if code == "null" or not first else first[0][1]))
            except duckdb.Error as exc:
                self._unreadable(t.file, exc)
                return
        keys = [(col.name,) for col in t.columns if col.unique] + ([t.key] if t.key else [])
        for key in keys:
            if set(key) <= ok:
                self.check_unique(t, key)
        for rule in t.table_rules:
            if set(rule.columns) <= ok:
                self.check_table_rule(t, rule)

    def check_unique(self, t: TableContract, key: tuple[str, ...]) -> None:
        cols = ", ".join(_ident(k) for k in key)
        on = " AND ".join(f"v.{_ident(k)} = d.{_ident(k)}" for k in key)
        shown = " || ', ' || ".join(f"CAST(v.{_ident(k)} AS VARCHAR)" for k in key)
        notnull = " AND ".join(f"{_ident(k)} IS NOT NULL" for k in key)
        sql = (f"WITH d AS (SELECT {cols} FROM {self.view(t.name)} WHERE {notnull} GROUP BY ALL HAVING count(*) > 1) "
               f"SELECT count(*), min(v.file_row_number, {MAX_ROWS_SHOWN}), arg_min({shown}, v.file_row_number) "
               f"FROM {self.view(t.name)} v SEMI JOIN d ON {on}")
        res = self.query_rows(t.file, sql)
        if res and res[0]:
            what = "must be unique" if len(key) == 1 else f"({', '.join(key)}) must be unique together"
            self.add(Problem(t.file, ", ".join(key), what, "unique", res[1], res[0], res[2]))

    def check_table_rule(self, t: TableContract, rule) -> None:
        inner = rule.sql.format(t=self.view(t.name))
        sql = (f"SELECT count(*), min(rn, {MAX_ROWS_SHOWN}), arg_min(CAST(value AS VARCHAR), rn) "
               f"FROM ({inner}) q")
        res = self.query_rows(t.file, sql)
        if res is None:
            return
        count, rows, example = res
        if rule.expect == "exactly_one":
            if count != 1:
                self.add(Problem(t.file, rule.column, f"{rule.rule}; found {count}", "table_rule",
                                 rows if count > 1 else (), 0 if count <= 1 else count, None))
        elif count:
            self.add(Problem(t.file, rule.column, rule.rule, "table_rule", rows, count, example))

    def fk_target(self, src: TableContract, col: Column) -> str | None:
        """SQL selecting the allowed values of a foreign key, from the drop or the live snapshot.

        Returns None (after reporting if needed) when the check cannot or need not run.
        """
        fk = col.references
        assert fk is not None
        needed = {fk.column} | ({"level"} if fk.level else set())
        if fk.table in self.files.core:
            if fk.table not in self.readable or not needed <= self.usable.get(fk.table, set()):
                return None  # the target file's own problems are already reported
            rel = self.view(fk.table)
        else:
            rel = self.live_view(fk.table)
            if rel is None:
                self.add(Problem(src.file, col.name, f"{fk.describe()}, but {fk.table}.parquet is neither "
                                 "in the drop nor in a published snapshot", "fk_target_missing"))
                return None
        where = f" WHERE level = {_q(fk.level)}" if fk.level else ""
        return f"SELECT DISTINCT {_ident(fk.column)} AS k FROM {rel}{where}"

    def check_foreign_keys(self, t: TableContract) -> None:
        for col in t.columns:
            if col.references is None or col.name not in self.usable.get(t.name, set()):
                continue
            target = self.fk_target(t, col)
            if target is None:
                continue
            c = _ident(col.name)
            if col.type == "list<string>":
                src = (f"(SELECT file_row_number, min(e) AS {c} FROM (SELECT file_row_number, unnest({c}) AS e "
                       f"FROM {self.view(t.name)}) u ANTI JOIN ({target}) k ON u.e = k.k "
                       f"WHERE e IS NOT NULL GROUP BY file_row_number)")
                sql = (f"SELECT count(*), min(file_row_number, {MAX_ROWS_SHOWN}), "
                       f"arg_min(CAST({c} AS VARCHAR), file_row_number) FROM {src} s")
                rule = "each element " + col.references.describe()
            else:
                sql = (f"SELECT count(*), min(s.file_row_number, {MAX_ROWS_SHOWN}), "
                       f"arg_min(CAST(s.{c} AS VARCHAR), s.file_row_number) FROM {self.view(t.name)} s "
                       f"ANTI JOIN ({target}) k ON s.{c} = k.k WHERE s.{c} IS NOT NULL")
                rule = col.references.describe()
            res = self.query_rows(t.file, sql)
            if res and res[0]:
                self.add(Problem(t.file, col.name, rule, "fk", res[1], res[0], res[2]))

    def check_reverse_foreign_keys(self) -> None:
        """A replaced table must keep the values the live snapshot's other tables still use.

        Tables absent from the drop are carried over from the live snapshot; the published
        requests are merged, so their rows not updated by the drop are carried over too.
        """
        if self.live is None:
            return
        for src, col, fk in foreign_keys():
            if fk.table not in self.files.core or fk.table not in self.readable:
                continue
            needed = {fk.column} | ({"level"} if fk.level else set())
            if not needed <= self.usable.get(fk.table, set()):
                continue
            if src.name in self.files.core and src.merge != "upsert":
                continue  # replaced as a whole; checked forwards above
            if src.name == fk.table:
                continue
            live = self.live_view(src.name)
            if live is None:
                continue
            where = f" WHERE level = {_q(fk.level)}" if fk.level else ""
            target = f"SELECT DISTINCT {_ident(fk.column)} AS k FROM {self.view(fk.table)}{where}"
            c = _ident(col.name)
            rows = f"SELECT * FROM {live}"
            if src.name in self.files.core and "request_id" in self.usable.get(src.name, set()):
                rows = f"SELECT * FROM {live} ANTI JOIN {self.view(src.name)} d USING (request_id)"
            if col.type == "list<string>":
                values = f"SELECT unnest({c}) AS v FROM ({rows}) r"
            else:
                values = f"SELECT {c} AS v FROM ({rows}) r"
            sql = (f"SELECT count(*), NULL, min(CAST(v AS VARCHAR)) FROM ({values}) x "
                   f"ANTI JOIN ({target}) k ON x.v = k.k WHERE x.v IS NOT NULL")
            res = self.query_rows(f"{fk.table}.parquet", sql)
            if res and res[0]:
                self.add(Problem(f"{fk.table}.parquet", fk.column,
                                 f"{res[0]} values of {src.name}.{col.name} in the published snapshot would "
                                 f"no longer refer to an existing {fk.column}"
                                 + (f" of level {fk.level}" if fk.level else "")
                                 + f" (send {src.file} too, or keep these values)",
                                 "fk_reverse", (), 0, res[2]))

    def check_geometry(self, t: TableContract, path: Path) -> None:
        """Null, WKB, type, emptiness, validity and lon/lat range of every geometry, in batches."""
        if "geometry" not in self.usable.get(t.name, set()):
            return
        import numpy as np
        import shapely

        found: dict[str, list] = {}  # code -> [rule, count, rows, example]

        def note(code: str, rule: str, idx: np.ndarray, offset: int, example=None) -> None:
            if len(idx) == 0:
                return
            entry = found.setdefault(code, [rule, 0, [], None])
            entry[1] += len(idx)
            room = MAX_ROWS_SHOWN - len(entry[2])
            if room > 0:
                entry[2].extend(int(i) + offset for i in idx[:room])
            if entry[3] is None and example is not None:
                entry[3] = example(int(idx[0]))

        offset = 0
        try:
            with pq.ParquetFile(path) as pf:
                for batch in pf.iter_batches(columns=["geometry"], batch_size=4096):
                    arr = batch.column(0)
                    if isinstance(arr.type, pa.ExtensionType):
                        arr = arr.storage
                    raw = arr.to_numpy(zero_copy_only=False)
                    isnull = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
                    geoms = shapely.from_wkb(np.where(isnull, None, raw), on_invalid="ignore")
                    parsed = ~shapely.is_missing(geoms)
                    note("null", "must not be null", np.flatnonzero(isnull), offset)
                    note("geometry_wkb", "not valid WKB", np.flatnonzero(~isnull & ~parsed), offset)
                    types = shapely.get_type_id(geoms)
                    poly = np.isin(types, [3, 6])  # Polygon, MultiPolygon
                    note("geometry_type", "must be a " + " or ".join(GEOMETRY_TYPES),
                         np.flatnonzero(parsed & ~poly), offset,
                         lambda i, g=geoms: g[i].geom_type)
                    check = parsed & poly
                    empty = check & shapely.is_empty(geoms)
                    note("geometry_empty", "must not be empty", np.flatnonzero(empty), offset)
                    check &= ~empty
                    invalid = check & ~shapely.is_valid(geoms)
                    note("geometry_invalid", "must be a valid geometry", np.flatnonzero(invalid), offset,
                         lambda i, g=geoms: shapely.is_valid_reason(g[i]))
                    b = shapely.bounds(geoms)
                    with np.errstate(invalid="ignore"):
                        outside = check & ((b[:, 0] < GEO_BOUNDS[0]) | (b[:, 1] < GEO_BOUNDS[1])
                                           | (b[:, 2] > GEO_BOUNDS[2]) | (b[:, 3] > GEO_BOUNDS[3]))
                    note("geometry_bounds", "coordinates must be longitude/latitude degrees in EPSG:4326 "
                         f"(lon {GEO_BOUNDS[0]:g}..{GEO_BOUNDS[2]:g}, lat {GEO_BOUNDS[1]:g}..{GEO_BOUNDS[3]:g})",
                         np.flatnonzero(outside), offset,
                         lambda i, bb=b: "bounds " + ", ".join(f"{x:.6g}" for x in bb[i]))
                    offset += len(arr)
        except Exception as exc:
            self._unreadable(t.file, exc)
            return
        for code, (rule, count, rows, example) in found.items():
            self.add(Problem(t.file, "geometry", rule, code, tuple(rows), count,
                             None if example is None else str(example)))

    def check_extra(self, name: str, path: Path) -> None:
        """An extra table only has to be readable parquet (decoded in batches: bounded memory)."""
        try:
            with pq.ParquetFile(path) as pf:
                for _ in pf.iter_batches(batch_size=65536):
                    pass
            self.con.execute(f"SELECT count(*) FROM read_parquet({_q(path)})").fetchall()[0]
        except Exception as exc:
            self.add(Problem(path.name, None, f"unreadable parquet: {str(exc).splitlines()[0][:300]}",
                             "unreadable"))


def geo_covering_columns(schema: pa.Schema) -> set[str]:
    """Columns a GeoParquet 1.1 'covering' (e.g. the bbox column of `write_covering_bbox=True`)
    names: derived from the geometry, so they are ignored by the checks and not stored."""
    try:
        geo = json.loads((schema.metadata or {})[b"geo"])
        covering = geo["columns"]["geometry"].get("covering") or {}
        return {path[0] for spec in covering.values() for path in spec.values() if path}
    except (KeyError, ValueError, TypeError, AttributeError, IndexError):
        return set()


def _crs_name(crs) -> str:
    """'AUTHORITY:CODE' of a GeoParquet CRS (PROJJSON or a string), or its name."""
    if isinstance(crs, str):
        name = crs
    elif isinstance(crs, dict):
        ident = crs.get("id") or {}
        if ident.get("authority") and ident.get("code") is not None:
            name = f"{ident['authority']}:{ident['code']}"
        else:
            name = str(crs.get("name", "unknown CRS"))
            try:  # PROJJSON without an id: ask pyproj whether it is WGS 84 lon/lat
                import pyproj
                if pyproj.CRS.from_json_dict(crs).equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True):
                    return "EPSG:4326"
            except Exception:
                pass
    else:
        name = str(crs)
    return name.upper() if name.upper() in ACCEPTED_CRS else name


def validate_drop(folder: Path, live_snapshot_dir: Path | None = None, *, temp_dir: Path | None = None,
                  memory_limit: str | None = None) -> list[Problem]:
    """Check every file of a drop folder; an empty list means it may be published.

    Foreign keys are resolved against the drop's own file when it holds the target table, else
    against `live_snapshot_dir` (partial drops). `temp_dir` is where DuckDB may spill.
    """
    folder = Path(folder)
    own_tmp = None
    if temp_dir is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="cockpit-validate-")
        temp_dir = Path(own_tmp.name)
    con = connect_duckdb(temp_dir, memory_limit)
    try:
        return _Validator(folder, Path(live_snapshot_dir) if live_snapshot_dir else None, con).run()
    finally:
        con.close()
        if own_tmp is not None:
            own_tmp.cleanup()


def format_problems(problems: Iterable[Problem]) -> str:
    """One line per problem."""
    return "\n".join(str(p) for p in problems)
