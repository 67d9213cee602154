"""The portable-SQL part of `cockpit check`: panel SQL (`sql` and each `[queries]` entry) and the
analytics methods' SQL must stay inside the subset that means the same on DuckDB and on Spark
(`cockpit.portable`), so a deployment can move to `COCKPIT_ENGINE=spark` without a panel changing
its numbers. Each problem names the construct, where it is, and what to write instead."""

from __future__ import annotations

from cockpit.portable import problems
from cockpit.specs.errors import SpecError


def portable_errors(catalog) -> tuple[list[SpecError], list[SpecError]]:
    """(errors, warnings): one SpecError per construct outside the portable subset. Panels and the
    named relations are errors. The statements code runs whole (`TRUSTED_STATEMENTS` beyond the
    relations: the what-if scores, bound as two lists) are warnings when the configured engine is
    Spark: they run on DuckDB only."""
    from cockpit.relations import RELATIONS, TRUSTED_STATEMENTS
    from cockpit.settings import get_settings

    errors: list[SpecError] = []
    for panel in catalog.panels.values():
        spec = panel.spec
        for key, sql in [("sql", spec.sql), *((f"queries.{k}", v) for k, v in spec.queries.items())]:
            errors += [SpecError(panel.file, key, str(p)) for p in problems(sql)]
    for name, (sql, _) in sorted(RELATIONS.items()):
        errors += [SpecError("cockpit/relations.py", f"relation {name}", str(p)) for p in problems(sql)]
    relations = {sql for sql, _ in RELATIONS.values()}
    warnings: list[SpecError] = []
    if get_settings().engine == "duckdb":
        return errors, warnings
    for i, sql in enumerate(sorted(TRUSTED_STATEMENTS - relations)):
        warnings += [SpecError("cockpit/relations.py", f"trusted statement {i + 1}", f"{p} (runs on DuckDB only)")
                     for p in problems(sql)]
    return errors, warnings
