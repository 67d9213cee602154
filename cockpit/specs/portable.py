"""The portable-SQL part of `cockpit check`: panel SQL (`sql` and each `[queries]` entry), the
analytics methods' SQL and the statements code runs whole (the scores, the what-if scores) must
stay inside the subset that means the same on DuckDB and on Spark (`cockpit.portable`), so a
deployment can move to `COCKPIT_ENGINE=spark` without a panel changing its numbers. Each problem
names the construct, where it is, and what to write instead."""

from __future__ import annotations

from cockpit.portable import problems
from cockpit.specs.errors import SpecError

#: The what-if statements checked stand for every count of weights (only the VALUES rows repeat).
_WHAT_IF_COUNTS = (1, 2)


def portable_errors(catalog) -> tuple[list[SpecError], list[SpecError]]:
    """(errors, warnings): one SpecError per construct outside the portable subset, in panels, the
    named relations and the trusted statements alike (every one runs on either engine)."""
    from cockpit.analytics.scores import indicator_scores_sql, street_scores_sql
    from cockpit.relations import RELATIONS, TRUSTED_STATEMENTS

    errors: list[SpecError] = []
    for panel in catalog.panels.values():
        spec = panel.spec
        for key, sql in [("sql", spec.sql), *((f"queries.{k}", v) for k, v in spec.queries.items())]:
            errors += [SpecError(panel.file, key, str(p)) for p in problems(sql)]
    for name, (sql, _) in sorted(RELATIONS.items()):
        errors += [SpecError("cockpit/relations.py", f"relation {name}", str(p)) for p in problems(sql)]
    relations = {sql for sql, _ in RELATIONS.values()}
    statements = {f"trusted statement {i + 1}": sql for i, sql in enumerate(sorted(TRUSTED_STATEMENTS - relations))}
    for n in _WHAT_IF_COUNTS:
        statements[f"what-if scores ({n} weights)"] = street_scores_sql(n)
        statements[f"what-if indicator scores ({n} weights)"] = indicator_scores_sql(n)
    for where, sql in statements.items():
        errors += [SpecError("cockpit/analytics/scores.py", where, str(p)) for p in problems(sql)]
    return errors, []
