"""The import rules of ARCHITECTURE.md, checked on the source: no circles, layers kept apart.

Module-level imports make the graph (imports inside functions are lazy by design, and those
under ``if TYPE_CHECKING`` never run). Private names are checked in every shipped or
repo-only module outside tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "unpixel": ROOT / "runtime" / "unpixel",
    "unpixel_export": ROOT / "export" / "unpixel_export",
}
STAGES = (
    "tiles",
    "classifier",
    "regions",
    "grid",
    "cells",
    "borders",
    "period",
    "geometry",
    "restorer",
    "blend",
    "stages",
    "stream",
    "dispatch",
)
"""The runtime's stage modules (and the per-frame and per-stream helpers beside them)."""


def _modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((package, *parts))
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """First-party modules a module imports when it is imported."""
    out: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name if is_package else name.rsplit(".", 1)[0]
                    for _ in range(node.level - 1):
                        pkg = pkg.rsplit(".", 1)[0]
                    base = f"{pkg}.{base}" if base else pkg
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    out.add(sub if sub in MODULES else base)

    visit(tree.body)
    return {m for m in out if m.split(".")[0] in PACKAGES}


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        graph[name] = _top_level_imports(tree, name, path.name == "__init__.py") - {name}
    return graph


GRAPH = _graph()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            strong(v)
    return found


def _package_free(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without edges into package ``__init__`` modules (``import unpixel`` for
    a submodule is the package's face, loaded first; it is not a dependency of the stage)."""
    packages = {m for m, p in MODULES.items() if p.name == "__init__.py"}
    return {m: {d for d in deps if d not in packages or m in packages} for m, deps in graph.items()}


def test_the_graph_was_built_from_the_real_tree():
    assert "unpixel.pipeline" in GRAPH and "unpixel_export.train" in GRAPH
    assert "unpixel.stages" in GRAPH["unpixel.pipeline"]
    assert "unpixel.cells" in GRAPH["unpixel.stages"]


def test_no_import_circles():
    assert _cycles(_package_free(GRAPH)) == []


def test_the_cycle_check_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_runtime_never_imports_the_export_package_at_import_time():
    bad = {m: d for m, d in GRAPH.items() if m.startswith("unpixel.") or m == "unpixel"}
    bad = {m: sorted(x for x in d if x.startswith("unpixel_export")) for m, d in bad.items()}
    assert {m: d for m, d in bad.items() if d} == {}


def _all_imports(path: Path) -> set[str]:
    """Every module a file imports when it runs, lazy ones included (not type-only ones)."""
    out = set()
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for top in ast.walk(tree)
        if isinstance(top, ast.If) and _is_type_checking(top)
        for n in ast.walk(top)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


@pytest.mark.parametrize("stage", STAGES)
def test_stages_never_import_the_pipeline_or_the_running_modes(stage):
    imports = _all_imports(MODULES[f"unpixel.{stage}"])
    assert not imports & {"unpixel.pipeline", "unpixel.cli", "unpixel.live", "unpixel.bench"}
    assert not any(m.startswith(("unpixel.live.", "unpixel.bench.")) for m in imports)


@pytest.mark.parametrize("engine", [m for m in MODULES if m.startswith("unpixel.engines")])
def test_engines_know_nothing_of_mosaics(engine):
    """Engines run model files; tiles, grids and cells are the stages' business."""
    imports = {m for m in _all_imports(MODULES[engine]) if m.startswith("unpixel")}
    allowed = ("unpixel.engines", "unpixel.errors", "unpixel.formats", "unpixel.manifest")
    assert all(m.startswith(allowed) for m in imports), sorted(imports)


def _defined_private_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls")
        ):
            names.add(node.attr)  # only what this module's own classes set on themselves
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return {n for n in names if n.startswith("_")}


KERAS_INTERNALS = frozenset({"_keras_history", "_inbound_nodes"})
"""Keras 3 exposes no public way to walk a functional model's layer graph backwards; the
fp16-exact weight rewrite (export side, never the runtime) reads these two attributes."""


def _private_uses(path: Path) -> list[str]:
    """``obj._name`` and ``from m import _name`` where ``_name`` is not this file's own."""
    tree = ast.parse(path.read_text())
    own = _defined_private_names(tree)
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("unpixel"):
            bad += [f"from {node.module} import {a.name}" for a in node.names if _private(a.name)]
            if any(_private(part) for part in node.module.split(".")):
                bad.append(f"from {node.module}")
        elif (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and node.attr not in own | KERAS_INTERNALS
        ):
            bad.append(f"{ast.unparse(node)} (line {node.lineno})")
    return bad


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


REPO_CODE = sorted(
    p
    for folder in ("runtime", "export", "benchmarks", "scripts", "examples")
    for p in (ROOT / folder).rglob("*.py")
)


@pytest.mark.parametrize("path", REPO_CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_touches_another_modules_private_names(path):
    assert _private_uses(path) == []


def test_the_private_check_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from unpixel.grid import _fit\n\ndef f(pipe, x):\n    pipe._cell_finder = x\n"
        "    return pipe._scores\n"
    )
    assert len(_private_uses(bad)) == 3


def _full_graph() -> dict[str, set[str]]:
    """Every import, lazy ones included, resolved to first-party modules."""
    graph = {}
    for name, path in MODULES.items():
        deps = set()
        for m in _all_imports(path):
            while m and m not in MODULES:
                m = m.rpartition(".")[0]
            if m and m != name:
                deps.add(m)
        graph[name] = deps
    return graph


def test_no_circles_even_through_lazy_imports():
    """A lazy import still ties two modules together: none may lead back to its importer."""
    assert _cycles(_package_free(_full_graph())) == []
