"""The package's modules import each other as a DAG, at the top of each file.

Operator overloading needs a recursion (operators → table → bind → value types →
operators); it goes through ``_core.install``, never through an import circle, a
bottom-of-file import or an import hidden inside a function. Imports under
``if TYPE_CHECKING:`` are for annotations only and are not load-time edges.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import tape

PACKAGE = Path(tape.__file__).resolve().parent


def _is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",)


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package modules an import statement loads (``"__init__"`` for the package)."""
    if isinstance(node, ast.Import):
        return ["__init__" for a in node.names if a.name.split(".")[0] == "tape"]
    if node.level == 0:
        if node.module is None or node.module.split(".")[0] != "tape":
            return []
        parts = node.module.split(".")[1:]
        return [parts[0]] if parts else ["__init__"]
    if node.module:  # from ._x import y
        return [node.module.split(".")[0]]
    return [a.name for a in node.names]  # from . import _x


def imports_of(source: str) -> tuple[set[str], list[str]]:
    """(the package modules ``source`` imports at load time, the misplaced imports found)."""
    tree = ast.parse(source)
    edges: set[str] = set()
    misplaced: list[str] = []
    code_started = False
    for i, stmt in enumerate(tree.body):
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            found = _targets(stmt)
            edges.update(found)
            if found and code_started:
                misplaced.append(f"line {stmt.lineno}: after the module's code began")
        elif _is_type_checking(stmt):
            continue
        elif i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # the docstring
        else:
            code_started = True
            for node in ast.walk(stmt):
                if isinstance(node, ast.Import | ast.ImportFrom) and _targets(node):
                    misplaced.append(f"line {node.lineno}: inside a function or block")
                    edges.update(_targets(node))
    return edges, misplaced


def graph() -> dict[str, set[str]]:
    return {p.stem: imports_of(p.read_text())[0] - {p.stem} for p in PACKAGE.glob("*.py")}


def test_the_modules_import_each_other_as_a_dag() -> None:
    order = list(TopologicalSorter(graph()).static_order())  # raises CycleError on a circle
    assert order.index("_rows") < order.index("_core") < order.index("_table")
    assert order.index("_table") < order.index("_numpy") < order.index("_ops") < order.index("_var")
    assert order.index("_var") < order.index("_tape") < order.index("transforms")


def test_every_import_of_the_package_is_at_the_top_of_its_file() -> None:
    bad = {
        p.name: misplaced
        for p in sorted(PACKAGE.glob("*.py"))
        for misplaced in [imports_of(p.read_text())[1]]
        if misplaced
    }
    assert bad == {}


def test_the_checker_sees_a_circle_and_a_late_import() -> None:
    a = "from . import _b\nX = 1\n"
    b = '"""doc"""\nfrom ._a import X\n\ndef f():\n    from . import _c\n'
    c = "import numpy\nY = 2\nfrom ._a import X\n"
    g = {"_a": imports_of(a)[0], "_b": imports_of(b)[0], "_c": imports_of(c)[0]}
    assert g == {"_a": {"_b"}, "_b": {"_a", "_c"}, "_c": {"_a"}}
    with pytest.raises(CycleError):
        list(TopologicalSorter(g).static_order())
    assert imports_of(b)[1] == ["line 5: inside a function or block"]
    assert imports_of(c)[1] == ["line 3: after the module's code began"]
    assert imports_of("if TYPE_CHECKING:\n    from ._a import X\n") == (set(), [])
