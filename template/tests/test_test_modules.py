"""The tests themselves: none imports the service at module level.

A module-level import runs while pytest collects: if the service raised there (a
missing environment variable, say), pytest would stop before any test ran (exit 4
from conftest.py, 2 from a test module) instead of failing the checklist test that
names the file and line. Import the service inside tests and fixtures; imports
under ``if TYPE_CHECKING:`` are fine (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

from api.index import app

TESTS = Path(__file__).resolve().parent
PACKAGE = app.factory.partition(".")[0]


def _runtime_imports(tree: ast.Module) -> list[ast.stmt]:
    """Top-level imports that run: not those under ``if TYPE_CHECKING:``."""
    found: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.Try | ast.With):
            found.extend(n for n in node.body if isinstance(n, ast.Import | ast.ImportFrom))
    return found


def _names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [node.module or ""] if node.level == 0 else []
    assert isinstance(node, ast.Import)
    return [alias.name for alias in node.names]


def test_no_test_module_imports_the_service_at_module_level() -> None:
    offenders = [
        f"tests/{path.name}:{node.lineno}: import {name}"
        for path in sorted(TESTS.glob("*.py"))
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
        for name in _names(node)
        if name == PACKAGE or name.startswith(f"{PACKAGE}.")
    ]
    assert not offenders, (
        "move these imports into the tests or fixtures that use them "
        "(or under `if TYPE_CHECKING:` for annotations):\n" + "\n".join(offenders)
    )
