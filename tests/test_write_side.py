"""The write side (validation, rollup builders, ingest/merge/publish, the demo writer) stays off the
serving path, and the modules import each other in one direction only (docs/architecture.md).

The import graph is read from the source with `ast`: every `import` statement counts, at module
level or inside a function (a lazy import hides a circle at run time, not from this test). A
package's `__init__` importing its own submodules is how a package is put together, not a
circle; an edge goes to the module an import statement names.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cockpit"

# What a gunicorn worker imports to answer panel queries (cockpit.web builds on these).
SERVING = ("cockpit.db", "cockpit.query", "cockpit.relations", "cockpit.filters", "cockpit.analytics.flow",
           "cockpit.analytics.scores", "cockpit.analytics.ledger", "cockpit.analytics.warning")
WRITE_SIDE = ("cockpit.ingest", "cockpit.demo")
# Names of write-side modules before they moved under cockpit.ingest: they must not come back.
OLD_WRITE_SIDE = ("cockpit.validate", "cockpit.rollups")

# Read side, lowest layer first: a module imports from its own layer or the ones below it.
LAYERS = (
    ("cockpit", "cockpit.settings", "cockpit.duck", "cockpit.text", "cockpit.fields", "cockpit.access"),
    ("cockpit.contract", "cockpit.contract_types", "cockpit.contract_docs"),
    ("cockpit.store",),
    ("cockpit.snapshot", "cockpit.db", "cockpit.analytics", "cockpit.query", "cockpit.relations", "cockpit.cases",
     "cockpit.regions", "cockpit.filters", "cockpit.geo", "cockpit.sqlguard", "cockpit.cache",
     "cockpit.bounds", "cockpit.portable", "cockpit.engines"),
    ("cockpit.specs", "cockpit.visuals"),
    ("cockpit.web",),
)
# The write side may build on the contract, the store, the DuckDB helpers, the snapshot views and
# the analytics SQL; the ingest may also write the demo drop (`cockpit bootstrap`).
INGEST_MAY_IMPORT = ("cockpit.ingest", "cockpit.settings", "cockpit.duck", "cockpit.contract",
                     "cockpit.contract_types", "cockpit.store", "cockpit.snapshot", "cockpit.analytics",
                     "cockpit.demo")
DEMO_MAY_IMPORT = ("cockpit.demo", "cockpit.settings", "cockpit.contract")
ENTRY_POINTS = ("cockpit.cli", "cockpit.access.cli")  # may import anything (lazily)


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """{module: the cockpit modules its import statements name}, lazy imports included."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([node.module] if node.module else []))
                for a in node.names:  # `from pkg import submodule` names the submodule
                    targets.add(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _layer(name: str) -> int | None:
    for i, layer in enumerate(LAYERS):
        if name in layer or _within(name, tuple(p for p in layer if p != "cockpit")):
            return i
    return None


def test_serving_path_does_not_load_the_write_side():
    code = (f"import {', '.join(SERVING)}, sys; "
            "print(sorted(m for m in sys.modules if m.startswith('cockpit')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = ast.literal_eval(out.stdout.strip())
    assert set(SERVING) <= set(loaded)
    assert "cockpit.snapshot" in loaded  # the read side's snapshot views
    write = [m for m in loaded if _within(m, WRITE_SIDE + OLD_WRITE_SIDE)]
    assert write == [], f"the serving path loads write-side modules: {write}"


def test_write_side_lives_under_cockpit_ingest():
    modules = _modules()
    assert not [m for m in modules if _within(m, OLD_WRITE_SIDE)]
    for name in ("cockpit.ingest", "cockpit.ingest.rollups", "cockpit.ingest.validate", "cockpit.duck",
                 "cockpit.snapshot"):
        assert name in modules, name


def test_no_import_circle_even_through_lazy_imports():
    assert _cycles(import_graph()) == []


def test_imports_go_downward_and_never_from_read_to_write_side():
    wrong = []
    for src, targets in sorted(import_graph().items()):
        if _within(src, ENTRY_POINTS):
            continue
        for dst in sorted(targets):
            if _within(src, ("cockpit.ingest",)):
                ok = _within(dst, INGEST_MAY_IMPORT)
            elif _within(src, ("cockpit.demo",)):
                ok = _within(dst, DEMO_MAY_IMPORT)
            else:
                s, d = _layer(src), _layer(dst)
                assert s is not None, f"{src} is in no layer: add it to LAYERS in {Path(__file__).name}"
                ok = d is not None and d <= s
            if not ok:
                wrong.append(f"{src} -> {dst}")
    assert wrong == [], "imports against the layering of docs/architecture.md:\n" + "\n".join(wrong)


def test_modules_stay_small_except_declarations():
    declarations = {"cockpit/contract.py"}  # the data contract: declarations only
    big = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if rel not in declarations and lines > 400:
            big[rel] = lines
    assert big == {}
