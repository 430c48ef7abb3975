"""The lazy entry's lifespan, and the audit log's shutdown, under Vercel's real Python runtime.

A rendered project gets a second entry serving the generated tests' probe app
(``tests/lifespan_probe.py``): its lifespan opens a resource a route reads, fails
its first startup on purpose, and leaves one mark per startup and per shutdown.
The runtime serves it through its own uvicorn, as the platform does, and is then
stopped with a real signal.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from support.database import migrate
from support.render import project_requirements
from support.vercel import RuntimeServer, runtime_python, serve_with_vercel_runtime

pytestmark = pytest.mark.slow

PREFIX = "PROBE_"
ENTRY = "api/probe.py"


def _marks(folder: Path, name: str) -> int:
    path = folder / name
    return len(path.read_text().splitlines()) if path.exists() else 0


def _probe_project(default_project: Path, dest: Path) -> Path:
    project = shutil.copytree(default_project, dest, ignore=shutil.ignore_patterns("var", "__pycache__", ".venv"))
    (project / ENTRY).write_text(
        f'from api.index import LazyApp\n\napp = LazyApp("tests.lifespan_probe:create_app", env_prefix="{PREFIX}")\n'
    )
    return project


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_runtime_runs_the_lifespan_retries_a_failed_startup_and_shuts_down_once(
    default_project: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    project = _probe_project(default_project, tmp_path / "project")
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {"PROBE_DIR": str(marks), "PROBE_FAILURES": "1", f"{PREFIX}BUILD_RETRY_SECONDS": "0.5"}
    secret = "lifespan secret 5e1f"  # noqa: S105 - tests/lifespan_probe.py planted failure text

    with serve_with_vercel_runtime(project, ENTRY, env=env) as server:
        failed = server.get("/resource")
        time.sleep(0.6)  # the cooldown
        retried = server.get("/resource")
        again = server.get("/resource")
        body = json.dumps({"any": "body", "size": "x" * 100_000}).encode()
        echoed = server.request("POST", "/echo", body=body, headers={"content-type": "application/json"})
        server.process.send_signal(stop)
        server.process.wait(timeout=30)
        time.sleep(0.2)  # the log readers drain
        logs = server.logs()

    assert failed.status == 503, logs
    assert secret not in failed.body.decode()
    assert f"APP_BUILD_FAILED error_id={failed.json()['error_id']}" in logs
    assert (retried.status, retried.json()) == (200, {"opened_on_attempt": 2}), logs
    assert again.json() == {"opened_on_attempt": 2}  # built once, not per request
    assert (echoed.status, echoed.body) == (200, body)
    assert _marks(marks, "startup") == 2
    assert _marks(marks, "shutdown") == 1, logs


# --- the audit log at shutdown, under the runtime ---------------------------


def _stored(db_path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        return [row[0] for row in conn.execute("SELECT request_id FROM audit_log")]


def _has_rows(db_path: Path) -> bool:
    try:
        return bool(_stored(db_path))
    except sqlite3.Error:  # no file or no table yet
        return False


def _logged(logs: str) -> list[str]:
    return [
        json.loads(line)["audit_event"]["request_id"] for line in logs.splitlines() if line.startswith('{"audit_event"')
    ]


def _post_item(server: RuntimeServer, request_id: str) -> int:
    """An invalid item (422): audited like any mutation, and it never waits on the locked
    database, where the items live too."""
    body = json.dumps({"name": ""}).encode()
    headers = {"content-type": "application/json", "x-request-id": request_id}
    return server.request("POST", "/api/items", body=body, headers=headers).status


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_runtime_stores_or_logs_every_audit_event_once_when_stopped_with_the_database_locked(
    default_project: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    project = shutil.copytree(default_project, tmp_path / "project", ignore=shutil.ignore_patterns("var", ".venv"))
    db_path = tmp_path / "audit.db"
    shutdown_seconds = 1.5
    env = {"APP_DATABASE_PATH": str(db_path), "APP_SHUTDOWN_TIMEOUT_SECONDS": str(shutdown_seconds)}
    migrate(project, runtime_python(project_requirements(project, dev=False)), env)  # requests create no table

    with serve_with_vercel_runtime(project, env=env) as server:
        accepted = ["warm-up"] if _post_item(server, "warm-up") == 422 else []
        deadline = time.monotonic() + 10
        while not _has_rows(db_path) and time.monotonic() < deadline:
            time.sleep(0.05)  # the warm-up's row: the table exists, it can be locked
        locker = sqlite3.connect(db_path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another connection's exclusive transaction
        accepted += [f"req-{i}" for i in range(20) if _post_item(server, f"req-{i}") == 422]
        started = time.monotonic()
        server.process.send_signal(stop)
        server.process.wait(timeout=60)
        took = time.monotonic() - started
        time.sleep(0.3)  # the log readers drain
        logs = server.logs()
    locker.rollback()
    locker.close()

    stored, logged = _stored(db_path), _logged(logs)
    assert len(accepted) == 21, logs
    assert took < shutdown_seconds + 5, took
    assert not set(stored) & set(logged), "events both stored and logged"
    assert sorted(stored + logged) == sorted(accepted), (len(stored), len(logged), logs[-3000:])
