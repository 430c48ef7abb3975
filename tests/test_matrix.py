"""Every combination of the answers that change code renders a project whose own checks pass.

The answers that change code are ``audit_log`` x ``audit_backend`` x ``init_function`` x
``python_version``. ``audit_backend`` is only asked when ``audit_log`` is on, so the
combinations without the audit log are deduplicated (a test below proves the backend
answer then changes nothing). That leaves 12 projects.

Fast mode (a laptop, no ``CI`` and no ``MATRIX=full``) runs three of them: the
defaults, everything off, and PostgreSQL on Python 3.13. CI runs all. Projects with the
same dependency set share one cached venv (``project_venv``), and pytest-xdist runs one
combination per test in parallel.
"""

from __future__ import annotations

import itertools
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from support.render import assert_project_checks_pass, project_venv, render
from support.tools import in_ci, require, require_python

TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
PYTHON_VERSIONS = ("3.12", "3.13")


def combinations() -> list[dict[str, Any]]:
    """Every distinct answer set: the audit backend only where the audit log is on."""
    found: list[dict[str, Any]] = []
    for python_version, audit_log, init_function in itertools.product(PYTHON_VERSIONS, (True, False), (True, False)):
        backends = ("sqlite", "postgres") if audit_log else (None,)
        for backend in backends:
            answers: dict[str, Any] = {
                "python_version": python_version,
                "audit_log": audit_log,
                "init_function": init_function,
            }
            if backend:
                answers["audit_backend"] = backend
            found.append(answers)
    return found


FAST = (
    {"python_version": "3.12", "audit_log": True, "audit_backend": "sqlite", "init_function": True},  # defaults
    {"python_version": "3.12", "audit_log": False, "init_function": False},  # everything off
    {"python_version": "3.13", "audit_log": True, "audit_backend": "postgres", "init_function": True},
)


def full_matrix() -> bool:
    return in_ci() or os.environ.get("MATRIX", "").lower() == "full"


def combo_id(answers: dict[str, Any]) -> str:
    audit = f"audit-{answers['audit_backend']}" if answers["audit_log"] else "no-audit"
    init = "init" if answers["init_function"] else "no-init"
    return f"py{answers['python_version']}-{audit}-{init}"


def params() -> list[Any]:
    in_fast_mode = pytest.mark.skipif(
        not full_matrix(), reason="fast mode: set MATRIX=full (CI does) to run every combination"
    )
    return [
        pytest.param(answers, id=combo_id(answers), marks=() if answers in FAST else (in_fast_mode,))
        for answers in combinations()
    ]


def postgres_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


def test_the_matrix_covers_every_distinct_answer_set() -> None:
    ids = [combo_id(answers) for answers in combinations()]
    assert len(ids) == len(set(ids)) == 12
    assert all(answers in combinations() for answers in FAST)


def test_audit_backend_changes_nothing_without_the_audit_log(template_dir: Path, tmp_path: Path) -> None:
    """Why the matrix drops audit_backend when audit_log is off: the renders are identical."""
    trees = []
    for backend in ("sqlite", "postgres"):
        project = render(template_dir, tmp_path / backend, {"audit_log": False, "audit_backend": backend})
        trees.append(
            {
                str(path.relative_to(project)): path.read_bytes()
                for path in sorted(project.rglob("*"))
                if path.is_file() and path.name != ".copier-answers.yml"
            }
        )
    assert trees[0] == trees[1]


@pytest.mark.slow
@pytest.mark.parametrize("answers", params())
def test_combination_passes_its_own_lint_and_tests(answers: dict[str, Any], template_dir: Path, tmp_path: Path) -> None:
    python_version = answers["python_version"]
    require_python(python_version)
    env = {}
    if answers["audit_log"] and answers["audit_backend"] == "postgres":
        require(postgres_is_up(), "PostgreSQL is not listening on 127.0.0.1:5432")
        env["TEST_DATABASE_URL"] = TEST_DATABASE_URL
    project = render(template_dir, tmp_path / "project", answers)
    assert (project / ".python-version").read_text().strip() == python_version
    venv = project_venv(project, python_version)
    assert_project_checks_pass(venv, project, env=env, label=f"{combo_id(answers)}: ")
