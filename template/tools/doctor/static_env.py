"""Static check: no ``os.environ`` / ``os.getenv`` in code that runs at import time.

The fresh-interpreter probe sees the reads that happen with an empty
environment; this sees the ones behind a branch too. Module-level statements,
class bodies, decorators and default values run at import; function bodies
and lambdas do not, so reads there are fine.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from .findings import ENV_FIX
from .layout import Project
from .report import CheckResult, passed

_ENV_ATTRS = frozenset({"environ", "environb", "getenv", "getenvb"})


class _ImportTimeReads(ast.NodeVisitor):
    def __init__(self) -> None:
        self.os_names: set[str] = set()
        self.env_names: set[str] = set()
        self.found: list[tuple[int, str]] = []
        self._aliases: set[int] = set()

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "os":
                self.os_names.add(alias.asname or "os")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "os":
            for alias in node.names:
                if alias.name in _ENV_ATTRS:
                    self.env_names.add(alias.asname or alias.name)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for child in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if child is not None:
                self.visit(child)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for child in [*node.args.defaults, *node.args.kw_defaults]:
            if child is not None:
                self.visit(child)

    def visit_If(self, node: ast.If) -> None:
        # `if __name__ == "__main__":` and `if TYPE_CHECKING:` bodies do not run at import.
        test = ast.unparse(node.test)
        if "__main__" in test or "TYPE_CHECKING" in test:
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if self._is_env(node.value):  # `env = os.environ` keeps a reference, reads nothing
            self._aliases.add(id(node.value))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self._is_env(node) and id(node) not in self._aliases:
            self.found.append((node.lineno, ast.unparse(node)))
            return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.env_names and id(node) not in self._aliases:
            self.found.append((node.lineno, node.id))

    def _is_env(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Attribute) and node.attr in _ENV_ATTRS:
            return isinstance(node.value, ast.Name) and node.value.id in self.os_names
        return isinstance(node, ast.Name) and node.id in self.env_names


def import_time_env_reads(path: Path) -> Iterator[tuple[int, str]]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return  # the import checks report files that do not parse
    visitor = _ImportTimeReads()
    visitor.visit(tree)
    yield from sorted(set(visitor.found))


def check_env_reads(project: Project) -> list[CheckResult]:
    results = []
    for path in project.sources():
        for line, expression in import_time_env_reads(path):
            results.append(
                CheckResult(
                    family="env-at-import",
                    name=f"no environment read at module level: {project.rel(path)}",
                    ok=False,
                    file=project.rel(path),
                    line=line,
                    message=f"`{expression}` runs when the module is imported",
                    fix=ENV_FIX,
                )
            )
    return results or [passed("env-at-import", "no os.environ/os.getenv at module level (static)")]
