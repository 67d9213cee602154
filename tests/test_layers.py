"""The package's layers, checked on the source: contract → store → query → visuals → specs → web,
each importing only downward; visuals never import specs; the web layer knows no particular kind."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from visual_samples import BUILTIN

PACKAGE = Path(__file__).resolve().parent.parent / "cockpit"
LOW = {"cockpit.text", "cockpit.fields", "cockpit.settings"}
QUERY_LAYER = {"cockpit.db", "cockpit.query", "cockpit.filters", "cockpit.regions", "cockpit.geo",
               "cockpit.relations", "cockpit.sqlguard", "cockpit.cache", "cockpit.bounds"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def cockpit_imports(path: Path) -> set[str]:
    """Every cockpit module `path` imports (TYPE_CHECKING imports included: they are dependencies too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("cockpit")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cockpit"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}  # `from cockpit.visuals import kpi`
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def forbidden_for(name: str) -> tuple[str, ...]:
    if name in LOW:
        return ("cockpit.",)  # the lowest modules import nothing of the cockpit
    if name in QUERY_LAYER:
        return ("cockpit.visuals", "cockpit.specs", "cockpit.web")
    if name.startswith("cockpit.visuals"):
        return ("cockpit.specs", "cockpit.web")
    if name.startswith("cockpit.specs"):
        return ("cockpit.web",)
    if name.startswith("cockpit.web"):
        return tuple(f"cockpit.visuals.{kind}" for kind in BUILTIN)
    return ()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_downward_only(name):
    bad = sorted(i for i in cockpit_imports(MODULES[name])
                 if any(i == f or i.startswith(f if f.endswith(".") else f + ".") for f in forbidden_for(name)))
    assert bad == [], f"{name} imports {bad} against the layers"


def code_words(path: Path) -> list[tuple[int, str]]:
    """Identifiers and words of string literals in the code of `path` (docstrings and comments left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    words = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            words.append((node.lineno, node.attr))
        elif isinstance(node, ast.alias):
            words += [(node.lineno, w) for w in node.name.split(".")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            words += [(node.lineno, w) for w in node.module.split(".")]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            words += [(node.lineno, w) for w in re.findall(r"[A-Za-z_]+", node.value)]
    return words


@pytest.mark.parametrize("path", sorted((PACKAGE / "web").glob("*.py")), ids=lambda p: p.name)
def test_the_web_layer_names_no_kind(path):
    hits = [(line, w) for line, w in code_words(path) if w in BUILTIN]
    assert hits == [], f"{path.name} names kinds in code: {hits}"
