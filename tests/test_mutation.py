"""The generated project's own `make mutate`: the entry's tests still catch its mutants.

mutmut (pinned in the project's dev group) mutates the lazy entry, ``api/index.py``,
and runs the project's tests against each mutant, offline. The test fails when the
entry's score drops below the project's threshold, or when ``mutmut-equivalent.toml``
lists a mutant mutmut no longer generates (the run generates the mutants of the whole
scope, so the list is checked for every module, not only the entry's).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
from support.render import project_venv, tool_env

pytestmark = pytest.mark.slow

# The entry's score must stay at or above the project's own threshold (Makefile MUTATE_MIN).
ENTRY_MODULE = "api.index"


def _threshold(project: Path) -> float:
    match = re.search(r"^MUTATE_MIN \?= (\d+)$", (project / "Makefile").read_text(), re.MULTILINE)
    assert match, "Makefile: no MUTATE_MIN"
    return float(match.group(1))


def test_scope_covers_the_entry_the_middleware_and_the_audit_log(default_project: Path) -> None:
    config = tomllib.loads((default_project / "pyproject.toml").read_text())["tool"]["mutmut"]
    scope = config["only_mutate"]
    for needed in (
        "api/*.py",
        "src/my_service/middleware/*.py",
        "src/my_service/origins.py",
        "src/my_service/settings.py",
        "src/my_service/state.py",
        "src/my_service/audit/queue.py",
        "src/my_service/audit/store.py",
    ):
        assert needed in scope
    assert "not subprocess" in config["pytest_add_cli_args"]


def test_make_mutate_on_the_entry_keeps_its_score(default_project: Path, tmp_path: Path) -> None:
    venv = project_venv(default_project, "3.12")
    project = tmp_path / "project"
    shutil.copytree(default_project, project, ignore=shutil.ignore_patterns("mutants", "__pycache__"))
    started = time.monotonic()
    result = subprocess.run(
        ["make", "mutate", f"VENV={venv}", f"MUTANTS={ENTRY_MODULE}.*", "MUTATE_JOBS=4"],
        cwd=project,
        env=tool_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    elapsed = time.monotonic() - started
    report = f"make mutate ({elapsed:.0f}s):\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    assert "STALE" not in result.stdout, report
    # module, mutants, caught, missed, equivalent, mutmut's score, score without the equivalent
    row = re.search(
        rf"^{re.escape(ENTRY_MODULE)}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%$",
        result.stdout,
        re.MULTILINE,
    )
    assert row, report
    mutants, _, _, _, _, score = row.groups()
    assert int(mutants) > 100, report  # the entry was really mutated
    assert float(score) >= _threshold(project), report
    assert result.returncode == 0, report
