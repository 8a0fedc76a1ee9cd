"""The flows are leaves under the engine: no flow imports another, no import circle.

Read from the source with ``ast`` (nothing imported), so a test run that
already loaded the package cannot hide a cycle. Every import counts, also
one inside a function: a late import is how a circle hides.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import assistant.dialog
from assistant.dialog.flows import FLOWS
from assistant.dialog.state import Task

PACKAGE = "assistant.dialog"
ROOT = Path(assistant.dialog.__file__).parent

#: The modules that answer the driver for one kind of task (see flows.FLOWS).
FLOW_MODULES = {
    "announce",
    "calendar_flow",
    "call_flow",
    "contact_flow",
    "move_flow",
    "read_flow",
    "send_flow",
}


def _modules() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text("utf-8")) for path in ROOT.glob("*.py")}


def _imported(tree: ast.Module, known: set[str]) -> set[str]:
    """The modules of this package that ``tree`` imports, wherever the import stands."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.add((node.module or "").removeprefix(PACKAGE + ".").split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    found.add(alias.name.removeprefix(PACKAGE + ".").split(".")[0])
    return found & known


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imported(tree, known) - {name} for name, tree in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle in ``graph`` (empty when there is none), by depth-first search."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if found := visit(target):
                return found
        path.pop()
        done.add(node)
        return []

    for start in sorted(graph):
        if found := visit(start):
            return found
    return []


def test_the_dialog_package_has_no_import_circle() -> None:
    assert _cycle(_graph()) == []


def test_no_flow_imports_another_flow() -> None:
    graph = _graph()
    crossing = {
        name: graph[name] & FLOW_MODULES for name in FLOW_MODULES if graph[name] & FLOW_MODULES
    }
    assert crossing == {}


def test_shared_helpers_import_no_flow() -> None:
    graph = _graph()
    helpers = set(graph) - FLOW_MODULES - {"engine", "flows", "runner", "snapshot", "voice"}
    assert {
        name: graph[name] & FLOW_MODULES for name in helpers if graph[name] & FLOW_MODULES
    } == {}


def test_flows_import_at_the_top_only() -> None:
    modules = _modules()
    late = {
        name: node.lineno
        for name in (*FLOW_MODULES, "common", "engine", "flows")
        for node in ast.walk(modules[name])
        if isinstance(node, ast.Import | ast.ImportFrom) and node.col_offset > 0
    }
    assert late == {}


def test_every_flow_module_is_known_to_this_test() -> None:
    assert {path.stem for path in ROOT.glob("*_flow.py")} <= FLOW_MODULES


def test_the_engine_table_covers_every_kind_of_task() -> None:
    assert set(FLOWS) == set(Task.__args__)  # type: ignore[attr-defined]


def test_the_cycle_finder_finds_the_circle_flows_once_had() -> None:
    # What the flows were before the engine's table: held together by late imports.
    graph = {
        "common": {"announce"},
        "announce": {"common", "read_flow", "send_flow"},
        "read_flow": {"common", "send_flow"},
        "send_flow": {"common", "read_flow"},
    }
    circle = _cycle(graph)
    assert len(circle) > 2
    assert circle[0] == circle[-1]
    assert all(target in graph[source] for source, target in itertools.pairwise(circle))
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []
