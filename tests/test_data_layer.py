"""The generated data layer, tried as a team would: real uvicorn, real SQLite, real PostgreSQL.

- two server processes on one PostgreSQL see each other's writes;
- a SQLite project restarted keeps its items;
- the init function called twice at once against an empty database migrates it once;
- the generated project's own PostgreSQL tests run (none skipped) on a fresh database;
- a project generated from the last release (34de17a) updates without a new question
  and keeps its backend.
PostgreSQL is the real server at 127.0.0.1:5432; each test creates its own database
and drops it. In CI (CI=true) an unreachable server is a failure, not a skip.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import tarfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from support.gitrepo import answers, commit_all, files_with_conflicts, git, init_repo, isolated_env
from support.render import copier_cli, project_venv, render, run_project_tests, snapshot_template, tool_env
from support.tools import PG_HOST, PG_PORT, REPO_ROOT, postgres_reachable, require
from support.vercel import stop_process

ADMIN_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test"
PKG = "svc"
LAST_RELEASE = "34de17a"  # the template's current release: projects generated from it must update
SECRET = "init-secret-for-tests"  # noqa: S105 - a test value
WIDGET = {"name": "Widget", "price": 9.5, "description": None}

pytestmark = pytest.mark.slow


def psql(sql: str) -> str:
    """Run SQL as the admin through the psql client (the test process has no driver)."""
    require(postgres_reachable(), f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} (user postgres, trust auth)")
    result = subprocess.run(
        ["psql", ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A new, empty database for this test; dropped afterwards."""
    name = f"datalayer_{uuid.uuid4().hex[:12]}"
    psql(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"
    psql(f'DROP DATABASE "{name}" WITH (FORCE)')


def query(url: str, sql: str) -> str:
    result = subprocess.run(["psql", url, "-qAtc", sql], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# ---------------------------------------------------------------- projects and servers


@pytest.fixture(scope="module")
def pg_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    template = snapshot_template(tmp_path_factory.mktemp("template"))
    project = render(template, tmp_path_factory.mktemp("pg") / "p", {"package_name": PKG, "database": "postgres"})
    return project, project_venv(project, "3.12")


@pytest.fixture(scope="module")
def sqlite_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    template = snapshot_template(tmp_path_factory.mktemp("template"))
    project = render(template, tmp_path_factory.mktemp("sqlite") / "p", {"package_name": PKG})
    return project, project_venv(project, "3.12")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def project_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The project's processes: no inherited APP_* or database variables, src importable."""
    env = {
        key: value
        for key, value in tool_env().items()
        if not key.startswith("APP_") and key not in {"DATABASE_URL", "POSTGRES_URL", "VERCEL", "CRON_SECRET"}
    }
    env["PYTHONPATH"] = "src"
    env.update(extra or {})
    return env


def http(method: str, url: str, body: object = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310 - loopback
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@contextlib.contextmanager
def server(project: Path, venv: Path, env: dict[str, str], entry: str = "api.index:app") -> Iterator[str]:
    """``uvicorn <entry>`` in the project on a free port, until the block ends."""
    port = free_port()
    log = project / f"uvicorn-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "uvicorn"), entry, "--host", "127.0.0.1", "--port", str(port)],
            cwd=project,
            env=project_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            assert time.monotonic() < deadline, f"uvicorn did not start:\n{log.read_text()}"
            time.sleep(0.1)
        yield base
    finally:
        stop_process(process)


def migrate(project: Path, venv: Path, env: dict[str, str]) -> str:
    """``make migrate``'s command."""
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-m", f"{PKG}.db.migrate"],
        cwd=project,
        env=project_env(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


# ---------------------------------------------------------------- the scenarios


def test_two_server_processes_on_one_postgres_see_each_others_writes(
    pg_project: tuple[Path, Path], pg_database: str
) -> None:
    project, venv = pg_project
    env = {"DATABASE_URL": pg_database}
    migrate(project, venv, env)
    with server(project, venv, env) as first, server(project, venv, env) as second:
        status, created = http("POST", f"{first}/api/items", WIDGET)
        assert status == 201, created
        assert http("GET", f"{second}/api/items/{created['id']}") == (200, created)
        status, replaced = http("PUT", f"{second}/api/items/{created['id']}", {**WIDGET, "price": 1})
        assert status == 200, replaced
        assert http("GET", f"{first}/api/items") == (200, [replaced])
        assert http("DELETE", f"{first}/api/items/{created['id']}")[0] == 204
        assert http("GET", f"{second}/api/items/{created['id']}")[0] == 404
        for base in (first, second):
            assert http("GET", f"{base}/health") == (200, {"status": "ok"})


def test_a_restarted_sqlite_project_keeps_its_items(sqlite_project: tuple[Path, Path], tmp_path: Path) -> None:
    project, venv = sqlite_project
    env = {"APP_DATABASE_PATH": str(tmp_path / "app.db")}
    output = migrate(project, venv, env)
    assert "MIGRATE_DONE" in output
    with server(project, venv, env) as base:
        status, created = http("POST", f"{base}/api/items", WIDGET)
        assert status == 201, created
    with server(project, venv, env) as base:
        assert http("GET", f"{base}/api/items") == (200, [created])


def test_a_fresh_sqlite_project_answers_503_until_migrated(sqlite_project: tuple[Path, Path], tmp_path: Path) -> None:
    """Requests never create the database: `make dev` runs `make migrate` first."""
    project, venv = sqlite_project
    path = tmp_path / "fresh.db"
    env = {"APP_DATABASE_PATH": str(path)}
    with server(project, venv, env) as base:
        status, body = http("GET", f"{base}/api/items")
        assert status == 503, body
        assert set(body) == {"detail", "error_id"}
        assert http("GET", f"{base}/health") == (200, {"status": "degraded", "degraded": ["database"]})
        assert not path.exists()
        migrate(project, venv, env)
        assert http("GET", f"{base}/api/items") == (200, [])
        assert http("GET", f"{base}/health") == (200, {"status": "ok"})


def test_the_init_function_called_twice_at_once_migrates_an_empty_database_once(
    pg_project: tuple[Path, Path], pg_database: str
) -> None:
    project, venv = pg_project
    env = {"DATABASE_URL": pg_database, "CRON_SECRET": SECRET}
    results: list[tuple[int, Any]] = []
    with server(project, venv, env, "api.init:app") as first, server(project, venv, env, "api.init:app") as second:
        calls = [
            threading.Thread(
                target=lambda base=base: results.append(
                    http("POST", f"{base}/api/init", headers={"Authorization": f"Bearer {SECRET}"})
                )
            )
            for base in (first, second)
        ]
        for call in calls:
            call.start()
        for call in calls:
            call.join(120)
    assert len(results) == 2
    for status, report in results:
        assert status == 200, report
        assert report["steps"]["migrations"] == "ok", report
    assert query(pg_database, "SELECT version_num FROM alembic_version") == "0001"
    tables = set(query(pg_database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").split())
    assert {"items", "audit_log"} <= tables


def test_the_generated_postgres_tests_run_and_pass_on_a_real_server(pg_project: tuple[Path, Path]) -> None:
    require(postgres_reachable(), f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}")
    project, venv = pg_project
    passed = run_project_tests(
        venv, project, "tests/test_items.py", "tests/test_items_postgres.py", env={"TEST_DATABASE_URL": ADMIN_URL}
    )["PASSED"]
    assert "test_two_migrators_at_once_on_an_empty_database_both_succeed" in passed
    assert "test_unreachable_database_is_a_503_then_the_service_recovers" in passed
    assert "test_no_server_side_prepared_statements_so_transaction_poolers_work" in passed


# ---------------------------------------------------------------- updating from the last release


def template_at(commit: str, dest: Path) -> Path:
    """The template's files as they were at ``commit``, from this repository's history."""
    found = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True, check=False
    )
    require(found.returncode == 0, f"commit {commit} is not in this checkout (a shallow clone?)")
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", commit, "copier.yml", "template"],
        capture_output=True,
        check=True,
    )
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


@pytest.mark.parametrize(
    ("copy_data", "expected"),
    [({"audit_backend": "postgres"}, "postgres"), ({}, "sqlite"), ({"audit_log": "false"}, "sqlite")],
    ids=["postgres", "sqlite", "no-audit-log"],
)
def test_a_project_from_the_last_release_updates_without_new_questions_and_keeps_its_backend(
    tmp_path: Path, copy_data: dict[str, str], expected: str
) -> None:
    env = isolated_env(tmp_path)
    template = init_repo(template_at(LAST_RELEASE, tmp_path / "template"), "the last release")
    git(template, "tag", "0.1.0", env=env)
    project = tmp_path / "project"
    data = [arg for key, value in copy_data.items() for arg in ("--data", f"{key}={value}")]
    result = copier_cli("copy", "--defaults", *data, str(template), str(project), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    init_repo(project, "generated from the last release")
    assert "database" not in answers(project)

    # The template moves to this working tree and is released.
    for name in ("copier.yml", "template"):
        git(template, "rm", "-r", "--quiet", name, env=env)
    snapshot_template(template)
    commit_all(template, "the data layer")
    git(template, "tag", "0.2.0", env=env)

    update = copier_cli("update", "--defaults", cwd=project, env=env)  # no --trust
    assert update.returncode == 0, update.stderr
    recorded = answers(project)
    assert recorded["_commit"] == "0.2.0"
    assert recorded["database"] == expected
    assert files_with_conflicts(project) == []
    assert (project / "migrations" / "versions").is_dir()
    postgres_module = project / "src" / "my_service" / "db" / "postgres.py"
    assert postgres_module.exists() == (expected == "postgres")
    pyproject = (project / "pyproject.toml").read_text()
    assert ("psycopg" in pyproject) == (expected == "postgres")
    assert "alembic" in pyproject
