"""Architecture rules, checked by reading the source (no imports, no database).

1. No import cycles between the apps (the architecture issue): one app may import another
   at module level only in one direction; the other way goes through string model references
   ("complaints.Department"), signals, or an import inside the function that needs it.
2. Inside complaints, the core modules (models, lifecycle, sweeps) do not import each other
   in a circle, not even through an import deferred into a function (the issue: "models.py,
   lifecycle.py and sweeps.py import each other").

For 1, only module-level imports count: the ones that run when the module is first imported,
also inside a top-level ``try``/``if``/class body, but not inside functions. For 2, imports
inside functions count too. Imports under ``if TYPE_CHECKING:`` never run and never count.
Migrations are left out: only the migration loader imports them, after every app is loaded.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "complaints", "customers", "followups", "notifications", "complainants", "helpdesk")

# The project package's composition root: settings, URL and API wiring, WSGI/ASGI, the Celery
# app. Their job is to import every app; an edge from them is not an app depending on another.
COMPOSITION_ROOT = (
    "helpdesk.settings",
    "helpdesk.urls",
    "helpdesk.api",
    "helpdesk.wsgi",
    "helpdesk.asgi",
    "helpdesk.celery",
)

COMPLAINTS_CORE = ("complaints.models", "complaints.lifecycle", "complaints.sweeps")


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    path: str  # file, relative to the repository
    line: int
    target: str  # dotted module name of what is imported


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _source_files() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            modules[_module_name(path)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module, *, deferred: bool):
    """Import statements that run at import time, and with `deferred` also those inside
    functions; never those under TYPE_CHECKING."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if deferred:
                pending.extend(node.body)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                pending.extend(node.body)
            pending.extend(node.orelse)
        elif isinstance(node, ast.ClassDef):
            pending.extend(node.body)
        elif isinstance(node, ast.Try | ast.TryStar):
            pending.extend(node.body)
            for handler in node.handlers:
                pending.extend(handler.body)
            pending.extend(node.orelse)
            pending.extend(node.finalbody)
        elif isinstance(node, ast.With | ast.AsyncWith | ast.For | ast.AsyncFor | ast.While):
            pending.extend(node.body)
            pending.extend(getattr(node, "orelse", []))
        elif isinstance(node, ast.Match):
            for case in node.cases:
                pending.extend(case.body)


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def collect_imports(*, deferred: bool = False) -> list[Import]:
    modules = _source_files()
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        rel = str(path.relative_to(ROOT))
        for node in _imports(tree, deferred=deferred):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(name, is_package, node)
                # `from pkg import sub` imports the submodule when there is one.
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
                ]
            for target in dict.fromkeys(targets):
                if target.split(".")[0] in APPS:
                    found.append(Import(name, rel, node.lineno, target))
    return found


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; returns the components with more than one node (the cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _simple_cycles(graph: dict[str, set[str]], component: list[str], limit: int = 20) -> list[list[str]]:
    """The elementary cycles of a (small) component, each from its smallest node: [a, b, a]."""
    members = set(component)
    cycles: list[list[str]] = []

    def walk(start: str, path: list[str]) -> None:
        for succ in sorted(graph[path[-1]] & members):
            if len(cycles) >= limit:
                return
            if succ == start:
                cycles.append([*path, start])
            elif succ > start and succ not in path:
                walk(start, [*path, succ])

    for start in sorted(members):
        walk(start, [start])
    return sorted(cycles, key=len)


def _describe(graph, edges, components) -> str:
    lines = []
    for component in components:
        lines.append("strongly connected: " + ", ".join(component))
        lines.extend("  cycle: " + " -> ".join(cycle) for cycle in _simple_cycles(graph, component))
        for (src, dst), imports in sorted(edges.items()):
            if src in component and dst in component:
                lines.append(f"  {src} -> {dst}:")
                lines.extend(f"    {i.path}:{i.line} imports {i.target}" for i in imports)
    return "\n".join(lines)


def app_graph(imports: list[Import]):
    graph: dict[str, set[str]] = defaultdict(set)
    edges: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for imp in imports:
        if imp.importer.startswith(COMPOSITION_ROOT):
            continue
        src, dst = imp.importer.split(".")[0], imp.target.split(".")[0]
        if src != dst:
            graph[src].add(dst)
            graph.setdefault(dst, set())
            edges[src, dst].append(imp)
    return graph, edges


def module_graph(imports: list[Import], package: str):
    graph: dict[str, set[str]] = defaultdict(set)
    edges: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for imp in imports:
        inside = (imp.importer + ".").startswith(package + ".") and (imp.target + ".").startswith(package + ".")
        if inside and imp.importer != imp.target:
            graph[imp.importer].add(imp.target)
            graph.setdefault(imp.target, set())
            edges[imp.importer, imp.target].append(imp)
    return graph, edges


def test_the_source_is_found():
    imports = collect_imports()
    assert {"complaints.models", "accounts.models"} <= set(_source_files())
    assert any(i.importer.startswith("complaints.") for i in imports)


def test_what_counts_as_an_import():
    tree = ast.parse(
        "import a\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import never\n"
        "try:\n    import b\nexcept ImportError:\n    import c\n"
        "class K:\n    import d\n    def m(self):\n        import deferred_in_method\n"
        "def f():\n    import deferred\n"
    )

    def names(deferred):
        found = []
        for node in _imports(tree, deferred=deferred):
            found += [a.name for a in node.names]
        return found

    assert names(deferred=False) == ["a", "TYPE_CHECKING", "b", "c", "d"]
    assert set(names(deferred=True)) == {"a", "TYPE_CHECKING", "b", "c", "d", "deferred_in_method", "deferred"}
    relative = ast.parse("from ..rules import X\nfrom . import sub").body
    assert _resolve("complaints.reports.views", False, relative[0]) == "complaints.rules"
    assert _resolve("complaints.reports", True, relative[1]) == "complaints.reports"


def test_no_import_cycles_between_apps():
    graph, edges = app_graph(collect_imports())
    cycles = _strongly_connected(graph)
    assert not cycles, (
        "Import cycle between apps (module-level imports; use a string model reference or a "
        "function-level import for the back edge):\n" + _describe(graph, edges, cycles)
    )


def test_complaints_models_lifecycle_and_sweeps_do_not_import_each_other():
    graph, edges = module_graph(collect_imports(deferred=True), "complaints")
    cycles = [c for c in _strongly_connected(graph) if set(c) & set(COMPLAINTS_CORE)]
    message = "Import cycle inside complaints (imports in functions count):\n"
    assert not cycles, message + _describe(graph, edges, cycles)
