"""`Problem`: one broken rule of a drop, as printed to the data provider and kept in the report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: How many offending row numbers a problem lists (the count says how many there are in all).
MAX_ROWS_SHOWN = 5


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



def format_problems(problems: Iterable[Problem]) -> str:
    """One line per problem."""
    return "\n".join(str(p) for p in problems)
