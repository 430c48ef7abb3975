"""The audit log in generated projects: SQLite and PostgreSQL backends, really run.

Renders one project per backend, lints the audit files with the project's own
ruff, and runs the project's audit tests. The PostgreSQL tests run against the
real server at 127.0.0.1:5432: in CI (CI=true) an unreachable server or a
skipped PostgreSQL test is a failure, not a skip.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support.render import project_venv, render, run_in_project, run_project_tests
from support.tools import PG_HOST, PG_PORT, postgres_reachable, require

TEST_DATABASE_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
AUDIT_FILES = ("src/svc/audit", "tests/test_audit.py")


def dependencies(project: Path) -> list[str]:
    return tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]


def test_sqlite_backend_renders_no_postgres_code_or_dependency(template_dir: Path, tmp_path: Path) -> None:
    project = render(template_dir, tmp_path / "p", {"package_name": "svc", "audit_backend": "sqlite"})
    audit = project / "src/svc/audit"
    names = {path.name for path in audit.glob("*.py")}
    assert "postgres.py" not in names
    assert {"backend.py", "queue.py", "store.py", "middleware.py", "sqlite.py"} <= names
    assert not any("psycopg" in dep for dep in dependencies(project))
    assert "psycopg" not in (audit / "backend.py").read_text()
    assert not (project / "tests/test_audit_postgres.py").exists()
    assert 'MiddlewareEntry("audit"' in (project / "src/svc/middleware/registry.py").read_text()


def test_postgres_backend_adds_psycopg_and_its_tests(template_dir: Path, tmp_path: Path) -> None:
    project = render(template_dir, tmp_path / "p", {"package_name": "svc", "audit_backend": "postgres"})
    assert (project / "src/svc/audit/postgres.py").is_file()
    assert (project / "tests/test_audit_postgres.py").is_file()
    assert [dep for dep in dependencies(project) if dep.startswith("psycopg")] == ["psycopg[binary]>=3.2,<4"]
    assert "DATABASE_URL" in (project / "src/svc/settings.py").read_text()


def test_no_audit_log_means_no_audit_package_and_no_psycopg(template_dir: Path, tmp_path: Path) -> None:
    project = render(template_dir, tmp_path / "p", {"package_name": "svc", "audit_log": False})
    assert not (project / "src/svc/audit").exists()
    assert not list(project.glob("tests/test_audit*"))
    assert not any("psycopg" in dep for dep in dependencies(project))
    assert "audit" not in (project / "src/svc/middleware/registry.py").read_text()
    assert "audit" not in (project / "src/svc/settings.py").read_text()


def _run_audit_tests(project: Path, *extra_tests: str) -> list[str]:
    """Lint the audit files, run the audit tests (none may skip); the names that passed."""
    venv = project_venv(project, "3.12")
    lint_targets = [*AUDIT_FILES, *extra_tests]
    for command in (("ruff", "check", *lint_targets), ("ruff", "format", "--check", *lint_targets)):
        result = run_in_project(venv, project, *command)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    outcomes = run_project_tests(
        venv, project, "tests/test_audit.py", *extra_tests, env={"TEST_DATABASE_URL": TEST_DATABASE_URL}
    )
    return outcomes["PASSED"]


@pytest.mark.slow
def test_sqlite_project_passes_its_audit_tests(template_dir: Path, tmp_path: Path) -> None:
    project = render(template_dir, tmp_path / "p", {"package_name": "svc", "audit_backend": "sqlite"})
    passed = _run_audit_tests(project)
    assert "test_unwritable_path_sends_every_event_to_the_log_stream" in passed


@pytest.mark.slow
def test_postgres_project_passes_its_audit_tests_on_a_real_server(template_dir: Path, tmp_path: Path) -> None:
    require(
        postgres_reachable(),
        f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} (user postgres, trust auth, database test)",
    )
    project = render(template_dir, tmp_path / "p", {"package_name": "svc", "audit_backend": "postgres"})
    passed = _run_audit_tests(project, "tests/test_audit_postgres.py")
    assert "test_each_mutating_request_is_one_row_in_postgres" in passed
    assert "test_a_locked_table_degrades_then_recovers_without_losing_events" in passed
    assert len(passed) >= 7, passed


@pytest.mark.slow
def test_postgres_tests_fail_in_ci_and_skip_on_a_laptop_without_a_database(template_dir: Path, tmp_path: Path) -> None:
    """The generated CI sets CI=true: a PostgreSQL test that cannot run there is red, not skipped."""
    project = render(template_dir, tmp_path / "p", {"package_name": "svc", "audit_backend": "postgres"})
    venv = project_venv(project, "3.12")
    unreachable = f"postgresql://postgres@{PG_HOST}:1/test?connect_timeout=2"

    def run(ci: str, url: str) -> tuple[int, str]:
        env = {"CI": ci, "TEST_DATABASE_URL": url}
        result = run_in_project(
            venv, project, "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/test_audit_postgres.py", env=env
        )
        return result.returncode, result.stdout + result.stderr

    for url in ("", unreachable):
        code, out = run("true", url)
        assert code == 1, out
        assert "CI must run the PostgreSQL audit tests" in out
        assert " skipped" not in out
        code, out = run("", url)
        assert code == 0, out
        assert " skipped" in out
