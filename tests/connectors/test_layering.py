"""Connector packages share code through the shared layers, never through each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"
BACKENDS = sorted(p.name for p in CONNECTORS.iterdir() if (p / "__init__.py").is_file())


def _imports(package: Path) -> set[str]:
    found: set[str] = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "shared"])
def test_a_backend_imports_no_other_backend(backend: str) -> None:
    others = {b for b in BACKENDS if b not in (backend, "shared")}
    crossing = sorted(
        name
        for name in _imports(CONNECTORS / backend)
        if name.startswith("connectors.") and name.split(".")[1] in others
    )
    assert not crossing, f"connectors.{backend} imports another backend: {crossing}"


def test_the_shared_layer_imports_no_backend() -> None:
    backends = {b for b in BACKENDS if b != "shared"}
    assert not [
        n
        for n in _imports(CONNECTORS / "shared")
        if n.startswith("connectors.") and n.split(".")[1] in backends
    ]
