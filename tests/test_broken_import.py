"""A service module that raises at import fails a named checklist test: pytest exits 1.

It used to stop pytest before any test ran (exit 4: conftest.py imported the
service). Now no test module imports the service at module level, so pytest
collects, the checklist test names the module and the line, and the exit code
is 1, the one CI and ``make test`` treat as "tests failed".
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.render import project_venv, run_in_project

pytestmark = pytest.mark.slow

BROKEN_LINE = 'PAYMENT_KEY = os.environ["PAYMENT_API_KEY"]  # a variable nobody set\n'


def _break_settings(project: Path) -> str:
    """Append a module-level read of a missing variable to settings.py; return ``file:line``."""
    settings = project / "src" / "my_service" / "settings.py"
    text = settings.read_text() + "\nimport os  # noqa: E402\n\n" + BROKEN_LINE
    settings.write_text(text)
    return f"src/my_service/settings.py:{text.splitlines().index(BROKEN_LINE.rstrip()) + 1}"


def test_a_service_module_raising_at_import_fails_the_checklist_and_pytest_exits_1(
    default_project: Path, tmp_path: Path
) -> None:
    project = shutil.copytree(default_project, tmp_path / "project", ignore=shutil.ignore_patterns(".venv", "var"))
    where = _break_settings(project)
    venv = project_venv(project, "3.12")

    full = run_in_project(venv, project, "pytest", "-q", "-p", "no:cacheprovider")
    targeted = run_in_project(venv, project, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_main.py")

    output = full.stdout + full.stderr
    assert full.returncode == 1, output
    assert "FAILED tests/test_checklist.py::" in output, output
    assert f"{where}: KeyError: 'PAYMENT_API_KEY'" in output, output
    assert "tests did not run: the service does not import" in output
    # A run without the checklist fails too, each test naming the culprit.
    assert targeted.returncode == 1, targeted.stdout
    assert f"the service does not import: {where}" in targeted.stdout + targeted.stderr
