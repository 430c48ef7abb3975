"""Import cost from ``python -X importtime``: the dominant modules and a budget.

Every cold start pays the entry's import before the first byte. It is measured
without ``.pyc`` (each import compiled from source, as in a Vercel build without
``VERCEL_PYTHON_COMPILEALL=1``): the worst case a deployment can hit. The entry should
cost a few ms (standard library only); the app, built on the first request,
a second or two. Budgets live in ``[tool.<package>.doctor]`` in pyproject.toml:
``entry_import_budget_ms`` and ``app_import_budget_ms``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .fresh_interpreter import python_paths, run_python
from .layout import Project
from .report import CheckResult, passed

START = "--doctor-importtime-start--"
CPU = "--doctor-import-cpu-seconds="
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass(frozen=True)
class Imported:
    module: str
    cumulative_us: int
    depth: int


def parse_importtime(stderr: str) -> list[Imported]:
    """Lines after the start marker; depth 1 is what the measured import itself pulled in."""
    _, _, measured = stderr.partition(START)
    rows = []
    for line in measured.splitlines():
        match = _LINE.match(line)
        if match:
            depth = len(match.group(3)) // 2
            rows.append(Imported(match.group(4), int(match.group(2)), depth))
    return rows


def dominant(rows: list[Imported], limit: int = 5) -> list[Imported]:
    """The heaviest modules one level below the measured one(s)."""
    top = min((row.depth for row in rows), default=1)
    children = [row for row in rows if row.depth == top + 1]
    return sorted(children, key=lambda row: row.cumulative_us, reverse=True)[:limit]


def _import_line(project: Project, module: str, files: list[str]) -> tuple[str, int]:
    """Where a project file imports ``module`` (or its top-level package)."""
    head = module.split(".")[0]
    for rel in files:
        try:
            tree = ast.parse((project.root / rel).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            if any(name == module or name.split(".")[0] == head for name in names):
                return rel, node.lineno
    return (files[0] if files else ""), 0


def measure(project: Project, module: str) -> tuple[float, list[Imported], str]:
    """CPU ms of the import (stable on a busy machine, unlike wall time) and the breakdown."""
    paths = python_paths(project)
    code = (
        f"import sys, time; sys.path[:0] = {paths!r}; sys.stderr.write({START!r} + '\\n'); "
        f"sys.stderr.flush(); started = time.process_time(); import {module}; "
        f"sys.stderr.write('\\n{CPU}%f\\n' % (time.process_time() - started))"
    )
    completed = run_python(project, ["-X", "importtime", "-c", code], bytecode=False)
    if completed.returncode != 0:
        return 0.0, [], " ".join(completed.stderr.strip().splitlines()[-1:])
    seconds = completed.stderr.rpartition(CPU)[2].split()[0]
    return float(seconds) * 1000, parse_importtime(completed.stderr), ""


def check_cost(project: Project, module: str, budget_key: str, files: list[str]) -> CheckResult:
    budget_ms = float(project.setting(budget_key))
    name = f"import cost of {module} within {budget_ms:g} ms"
    total_ms, rows, error = measure(project, module)
    if error:
        return passed(
            "import-cost", name, f"not measured: the import fails ({error}); see the import checks"
        )
    heavy = dominant(rows)
    summary = ", ".join(f"{row.module} {row.cumulative_us / 1000:.0f} ms" for row in heavy)
    if total_ms <= budget_ms:
        return passed(
            "import-cost", name, f"{total_ms:.0f} ms CPU; heaviest (wall): {summary or 'none'}"
        )
    file, line = _import_line(project, heavy[0].module, files) if heavy else ("", 0)
    return CheckResult(
        family="import-cost",
        name=name,
        ok=False,
        file=file,
        line=line,
        message=f"importing {module} took {total_ms:.0f} ms CPU (budget {budget_ms:g} ms); heaviest (wall): {summary}",
        fix=(
            f"import the heavy module inside the function that uses it, or raise {budget_key} "
            f"in [tool.{project.package}.doctor] in pyproject.toml if the cost is worth it"
        ),
    )


def check_entry_cost(project: Project) -> list[CheckResult]:
    results = []
    for entry in project.entries():
        rel = project.rel(entry)
        results.append(check_cost(project, f"api.{entry.stem}", "entry_import_budget_ms", [rel]))
    return results


def check_app_cost(project: Project) -> list[CheckResult]:
    files = [project.rel(path) for path in project.sources()]
    main = f"{project.package}.main"
    main_rel = project.rel(project.package_dir / "main.py")
    return [check_cost(project, main, "app_import_budget_ms", [main_rel, *files])]
