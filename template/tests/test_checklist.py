"""The README checklist as tests: one test per line, each failure names the file, line and fix.

The checks themselves live in tools/doctor (the same code as `python -m tools.doctor`,
dev-only, outside the service package). Importing it imports nothing of the service,
so it may sit at module level; the checks run once per module, in fresh interpreters
with an empty environment, on the working tree.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tools.doctor import CheckResult, failure_report, run_checks, warning_report

# Fresh interpreters (the doctor): mutation runs deselect these (see the marker in pyproject.toml).
pytestmark = pytest.mark.subprocess

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results() -> list[CheckResult]:
    return run_checks(PROJECT_ROOT)


def assert_line(results: list[CheckResult], family: str) -> None:
    mine = [result for result in results if result.family == family]
    assert mine, f"no check ran for {family!r}"
    failures = failure_report(mine)
    assert not failures, f"\n{failures}"
    noticed = warning_report(mine)
    if noticed:  # passes, but shows in pytest's summary
        warnings.warn(f"{family}: {noticed}", stacklevel=2)


def test_every_entry_binds_app_at_top_level_as_vercel_detects_it(
    results: list[CheckResult],
) -> None:
    assert_line(results, "entry-app")


def test_entries_import_in_a_fresh_interpreter_with_an_empty_environment(
    results: list[CheckResult],
) -> None:
    assert_line(results, "entry-imports")


def test_no_environment_variable_is_read_at_import_time(results: list[CheckResult]) -> None:
    assert_line(results, "env-at-import")


def test_importing_the_entry_and_building_the_app_do_no_io(results: list[CheckResult]) -> None:
    assert_line(results, "no-io")


def test_every_module_imports_on_its_own_and_every_package_has_init(
    results: list[CheckResult],
) -> None:
    assert_line(results, "module-imports")


def test_import_cost_is_within_budget_and_the_entry_does_not_import_fastapi(
    results: list[CheckResult],
) -> None:
    assert_line(results, "import-cost")


def test_vercel_json_is_valid_and_routes_to_the_entry(results: list[CheckResult]) -> None:
    assert_line(results, "vercel-json")
