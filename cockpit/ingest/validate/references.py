"""Foreign keys: forwards (the drop's values exist, in the drop or the live snapshot) and backwards
(a replaced table keeps the values the live snapshot's other tables still use)."""

from __future__ import annotations

from cockpit.contract import Column, TableContract, foreign_keys
from cockpit.duck import ident, literal
from cockpit.ingest.validate.context import DropCheck
from cockpit.ingest.validate.problems import MAX_ROWS_SHOWN, Problem


def fk_target(run: DropCheck, src: TableContract, col: Column) -> str | None:
    """SQL selecting the allowed values of a foreign key, from the drop or the live snapshot.

    Returns None (after reporting if needed) when the check cannot or need not run.
    """
    fk = col.references
    assert fk is not None
    needed = {fk.column} | ({"level"} if fk.level else set())
    if fk.table in run.files.core:
        if fk.table not in run.readable or not needed <= run.usable.get(fk.table, set()):
            return None  # the target file's own problems are already reported
        rel = run.view(fk.table)
    else:
        rel = run.live_view(fk.table)
        if rel is None:
            run.add(Problem(src.file, col.name, f"{fk.describe()}, but {fk.table}.parquet is neither "
                            "in the drop nor in a published snapshot", "fk_target_missing"))
            return None
    where = f" WHERE level = {literal(fk.level)}" if fk.level else ""
    return f"SELECT DISTINCT {ident(fk.column)} AS k FROM {rel}{where}"


def check_foreign_keys(run: DropCheck, t: TableContract) -> None:
    """Every value of the table's foreign-key columns (each element of a list) exists in its target."""
    for col in t.columns:
        if col.references is None or col.name not in run.usable.get(t.name, set()):
            continue
        target = fk_target(run, t, col)
        if target is None:
            continue
        c = ident(col.name)
        if col.type == "list<string>":
            src = (f"(SELECT file_row_number, min(e) AS {c} FROM (SELECT file_row_number, unnest({c}) AS e "
                   f"FROM {run.view(t.name)}) u ANTI JOIN ({target}) k ON u.e = k.k "
                   f"WHERE e IS NOT NULL GROUP BY file_row_number)")
            sql = (f"SELECT count(*), min(file_row_number, {MAX_ROWS_SHOWN}), "
                   f"arg_min(CAST({c} AS VARCHAR), file_row_number) FROM {src} s")
            rule = "each element " + col.references.describe()
        else:
            sql = (f"SELECT count(*), min(s.file_row_number, {MAX_ROWS_SHOWN}), "
                   f"arg_min(CAST(s.{c} AS VARCHAR), s.file_row_number) FROM {run.view(t.name)} s "
                   f"ANTI JOIN ({target}) k ON s.{c} = k.k WHERE s.{c} IS NOT NULL")
            rule = col.references.describe()
        res = run.query_rows(t.file, sql)
        if res and res[0]:
            run.add(Problem(t.file, col.name, rule, "fk", res[1], res[0], res[2]))


def check_reverse_foreign_keys(run: DropCheck) -> None:
    """A replaced table must keep the values the live snapshot's other tables still use.

    Tables absent from the drop are carried over from the live snapshot; the published
    requests are merged, so their rows not updated by the drop are carried over too.
    """
    if run.live is None:
        return
    for src, col, fk in foreign_keys():
        if fk.table not in run.files.core or fk.table not in run.readable:
            continue
        needed = {fk.column} | ({"level"} if fk.level else set())
        if not needed <= run.usable.get(fk.table, set()):
            continue
        if src.name in run.files.core and src.merge != "upsert":
            continue  # replaced as a whole; checked forwards above
        if src.name == fk.table:
            continue
        live = run.live_view(src.name)
        if live is None:
            continue
        where = f" WHERE level = {literal(fk.level)}" if fk.level else ""
        target = f"SELECT DISTINCT {ident(fk.column)} AS k FROM {run.view(fk.table)}{where}"
        c = ident(col.name)
        rows = f"SELECT * FROM {live}"
        if src.name in run.files.core and "request_id" in run.usable.get(src.name, set()):
            rows = f"SELECT * FROM {live} ANTI JOIN {run.view(src.name)} d USING (request_id)"
        if col.type == "list<string>":
            values = f"SELECT unnest({c}) AS v FROM ({rows}) r"
        else:
            values = f"SELECT {c} AS v FROM ({rows}) r"
        sql = (f"SELECT count(*), NULL, min(CAST(v AS VARCHAR)) FROM ({values}) x "
               f"ANTI JOIN ({target}) k ON x.v = k.k WHERE x.v IS NOT NULL")
        res = run.query_rows(f"{fk.table}.parquet", sql)
        if res and res[0]:
            run.add(Problem(f"{fk.table}.parquet", fk.column,
                            f"{res[0]} values of {src.name}.{col.name} in the published snapshot would "
                            f"no longer refer to an existing {fk.column}"
                            + (f" of level {fk.level}" if fk.level else "")
                            + f" (send {src.file} too, or keep these values)",
                            "fk_reverse", (), 0, res[2]))
