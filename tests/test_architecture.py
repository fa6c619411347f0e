"""The import graph follows the pipeline: no module imports a later stage, and there is no
import circle (read from the source with ``ast``, so a lazy import inside a function counts)."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest
from helpers import REPO

PACKAGE = REPO / "gigrouter"

# Each module or package by its stage, in pipeline order. A module may import its own stage
# and earlier ones only. Commands read trees the pipeline wrote, so they come last.
STAGES: dict[str, int] = {
    # shared facts and utilities, below every stage
    "__init__": 0,
    "errors": 0,
    "types": 0,
    "giturl": 0,
    "markdown": 0,
    "yamlio": 0,
    "safeyaml": 0,
    "helm": 0,
    "cache": 0,  # the user cache (compiled templates, help text): standard library only
    "parallel": 0,  # work shared with a forked copy of the process (render, validate)
    # the pipeline
    "model": 1,  # the typed platform: built by config, read by everything after
    "config": 2,  # YAML (with lines), overlays and copied files -> the model
    "layout": 3,
    "docs": 4,  # reads layout, never the reverse
    "render": 5,
    "provenance": 5,  # after render: which config key made each rendered object and field
    "validate": 6,
    "ownership": 7,
    "write": 7,
    "pipeline": 8,
    "git": 8,
    "sources": 8,
    # the commands beyond render and validate
    "plan": 9,
    "diff": 9,
    "setimage": 9,
    "publish": 9,
    "init": 9,
    "cli": 10,
    "__main__": 11,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    return ".".join(rel.parts)


def top(name: str) -> str:
    """The stage key of a dotted module name below gigrouter."""
    return name.split(".", 1)[0]


def imports(path: Path) -> set[str]:
    """The gigrouter modules ``path`` imports (without the 'gigrouter.' prefix)."""
    name = module_name(path)
    package = name.rsplit(".", 1)[0] if "." in name else None
    return imports_of(path.read_text(encoding="utf-8"), package)


def imports_of(source: str, package: str | None) -> set[str]:
    """The gigrouter modules ``source`` imports, anywhere in it; ``package`` resolves relative
    imports."""
    tree = ast.parse(source)
    found: set[str] = set()
    # Imports only for the type checker (``if TYPE_CHECKING:``) run never: not an edge.
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING")
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("gigrouter.")}
        elif isinstance(node, ast.ImportFrom):
            if node.level and package is not None:
                base = "gigrouter." + package
                if node.module:
                    found.add(f"{base}.{node.module}")
                else:
                    found |= {f"{base}.{a.name}" for a in node.names}
            elif node.module == "gigrouter":
                found |= {f"gigrouter.{a.name}" for a in node.names}
            elif node.module and node.module.startswith("gigrouter."):
                found.add(node.module)
    return {name[len("gigrouter.") :] for name in found}


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_top_level_module_has_a_stage() -> None:
    missing = sorted({top(m) for m in MODULES} - set(STAGES))
    assert not missing, f"give these a stage in STAGES: {missing}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_a_later_stage(module: str) -> None:
    mine = STAGES[top(module)]
    later = sorted(
        name
        for name in imports(MODULES[module])
        if top(name) in STAGES and STAGES[top(name)] > mine and top(name) != top(module)
    )
    assert not later, f"{module} (stage {mine}) imports the later {later}"


def _resolve(name: str) -> str | None:
    """The module file a dotted import names (a name imported from a package resolves to the
    package's __init__ when it is not a module itself)."""
    while name:
        if name in MODULES:
            return name
        if f"{name}.__init__" in MODULES:
            return f"{name}.__init__"
        name = name.rpartition(".")[0]
    return None


def test_no_import_circle() -> None:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {_resolve(n) for n in imports(path)}
        graph[module] = {t for t in targets if t is not None and t != module}
    # A package's __init__ re-exporting its modules is not a circle with them.
    for module in graph:
        if module.endswith("__init__"):
            package = module.rsplit(".", 1)[0]
            graph[module] = {t for t in graph[module] if not t.startswith(package + ".")}
        else:
            package = module.rpartition(".")[0]
            if package:
                graph[module].discard(f"{package}.__init__")
    try:  # the standard library's topological sort names a circle when there is one
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as circle:
        raise AssertionError(" -> ".join(circle.args[1])) from None


def test_the_reader_sees_every_form_of_import() -> None:
    code = (
        "import gigrouter.render\n"
        "from gigrouter import pipeline\n"
        "from . import registry\n"
        "def f():\n    from gigrouter.docs import pages\n"
        "if TYPE_CHECKING:\n    from gigrouter.cli import app\n"
    )
    assert imports_of(code, "layout") == {"render", "pipeline", "layout.registry", "docs"}
