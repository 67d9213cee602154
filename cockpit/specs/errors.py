"""How a declaration problem is reported: file, key (a dotted path into the file), what was expected."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class SpecError:
    """One problem in one declaration file."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


def pydantic_errors(file: str, exc: ValidationError, prefix: str = "") -> list[SpecError]:
    """One SpecError per pydantic error, with messages written for analysts."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(file)"
        msg = err["msg"]
        # A validator's ValueError reads "Value error, <what we wrote>": the prefix says nothing to analysts.
        msg = msg.removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see the kind's options in docs/panels.md)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        out.append(SpecError(file, prefix + loc, msg))
    return out


def read_toml(path: Path, rel: str, errors: list[SpecError]) -> dict[str, Any] | None:
    """The parsed file, or None with the parse error appended to `errors`."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        errors.append(SpecError(rel, "(file)", f"not valid TOML: {exc}"))
        return None
