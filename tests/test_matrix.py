"""Every combination of the answers that change code renders a project whose own checks pass.

The answers that change code are ``audit_log`` x ``database`` x ``init_function`` x
``python_version``: 16 projects. ``database`` matters with or without the audit log
(the items live there too).

Fast mode (a laptop, no ``CI`` and no ``MATRIX=full``) runs three of them: the
defaults, everything off, and PostgreSQL on Python 3.13. CI runs all. Projects with the
same dependency set share one cached venv (``project_venv``), and pytest-xdist runs one
combination per test in parallel.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from support.render import assert_project_checks_pass, project_venv, render
from support.tools import in_ci, postgres_reachable, require, require_python

TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
PYTHON_VERSIONS = ("3.12", "3.13")


def combinations() -> list[dict[str, Any]]:
    """Every distinct answer set."""
    return [
        {"python_version": python_version, "audit_log": audit_log, "database": database, "init_function": init}
        for python_version, audit_log, database, init in itertools.product(
            PYTHON_VERSIONS, (True, False), ("sqlite", "postgres"), (True, False)
        )
    ]


FAST = (
    {"python_version": "3.12", "audit_log": True, "database": "sqlite", "init_function": True},  # defaults
    {"python_version": "3.12", "audit_log": False, "database": "sqlite", "init_function": False},  # all off
    {"python_version": "3.13", "audit_log": True, "database": "postgres", "init_function": True},
)


def full_matrix() -> bool:
    return in_ci() or os.environ.get("MATRIX", "").lower() == "full"


def combo_id(answers: dict[str, Any]) -> str:
    audit = "audit" if answers["audit_log"] else "no-audit"
    init = "init" if answers["init_function"] else "no-init"
    return f"py{answers['python_version']}-{answers['database']}-{audit}-{init}"


def params() -> list[Any]:
    in_fast_mode = pytest.mark.skipif(
        not full_matrix(), reason="fast mode: set MATRIX=full (CI does) to run every combination"
    )
    return [
        pytest.param(answers, id=combo_id(answers), marks=() if answers in FAST else (in_fast_mode,))
        for answers in combinations()
    ]


def test_the_matrix_covers_every_distinct_answer_set() -> None:
    ids = [combo_id(answers) for answers in combinations()]
    assert len(ids) == len(set(ids)) == 16
    assert all(answers in combinations() for answers in FAST)


def test_the_database_answer_matters_without_the_audit_log(template_dir: Path, tmp_path: Path) -> None:
    """The items live in the database too: postgres adds its driver and tests either way."""
    project = render(template_dir, tmp_path / "pg", {"audit_log": False, "database": "postgres"})
    assert not (project / "src/my_service/audit").exists()
    assert (project / "src/my_service/db/postgres.py").is_file()
    assert (project / "tests/test_items_postgres.py").is_file()
    assert "psycopg" in (project / "pyproject.toml").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("answers", params())
def test_combination_passes_its_own_lint_and_tests(answers: dict[str, Any], template_dir: Path, tmp_path: Path) -> None:
    python_version = answers["python_version"]
    require_python(python_version)
    env = {}
    if answers["database"] == "postgres":
        require(postgres_reachable(), "PostgreSQL is not listening on 127.0.0.1:5432")
        env["TEST_DATABASE_URL"] = TEST_DATABASE_URL
    project = render(template_dir, tmp_path / "project", answers)
    assert (project / ".python-version").read_text().strip() == python_version
    venv = project_venv(project, python_version)
    assert_project_checks_pass(venv, project, env=env, label=f"{combo_id(answers)}: ")
