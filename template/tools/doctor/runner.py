"""Run every check: static ones inline, fresh-interpreter ones in parallel.

Each fresh interpreter is a separate process, so threads are enough to run
them side by side; the whole doctor takes a few seconds on two cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from . import (
    fresh_entry,
    fresh_import_cost,
    fresh_modules,
    static_entry,
    static_env,
    static_packages,
    vercel_json,
)
from .layout import Project, load_project
from .report import CheckResult

# The checklist lines, in README order (the generated tests assert one each).
FAMILIES = {
    "entry-app": "every api/*.py binds `app` at top level, as Vercel's build detects it",
    "entry-imports": "the entry modules import in a fresh interpreter with an empty environment",
    "env-at-import": "no environment variable is read at import time",
    "no-io": "importing the entry and building the app do no I/O",
    "module-imports": "every module imports on its own; every package folder has __init__.py",
    "import-cost": "import cost within budget; no FastAPI import in the entry",
    "vercel-json": "vercel.json is valid and routes to the entry",
}

Check = Callable[[], list[CheckResult]]


def _checks(project: Project) -> tuple[list[Check], list[Check]]:
    static: list[Check] = [
        partial(static_entry.check_entries, project),
        partial(static_env.check_env_reads, project),
        partial(static_packages.check_init_files, project),
        partial(vercel_json.check_vercel_json, project),
    ]
    fresh: list[Check] = [
        partial(fresh_entry.run_entry, project, path) for path in project.entries()
    ]
    fresh += [
        partial(fresh_modules.check_modules, project),
        partial(fresh_import_cost.check_entry_cost, project),
        partial(fresh_import_cost.check_app_cost, project),
    ]
    return static, fresh


def run_checks(root: Path | None = None, families: set[str] | None = None) -> list[CheckResult]:
    """All results, grouped by checklist line; ``families`` keeps only those lines."""
    project = load_project(root)
    static, fresh = _checks(project)
    results = [result for check in static for result in check()]
    workers = max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch in pool.map(lambda check: check(), fresh):
            results.extend(batch)
    order = list(FAMILIES)
    results.sort(key=lambda result: (order.index(result.family), result.ok, not result.warning))
    if families is not None:
        results = [result for result in results if result.family in families]
    return results
