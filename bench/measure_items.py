"""(9) the first ``GET /api/items`` after a cold start, SQLite and PostgreSQL, next to ``/health``'s.

The generated service opens nothing until a request needs the database, so its
first item request pays for the driver import and the first connection; ``/health``
must not. Each round starts the same project under uvicorn (warm bytecode) twice:
once timed to the first ``GET /health``, once to the first ``GET /api/items``
(``200``), interleaved. Before measuring, every generated subject gets a migrated
database of its own (the item routes answer ``503`` on an unmigrated one), so the
audit-cost runs that ``POST /api/items`` store real rows too.
"""

from __future__ import annotations

import subprocess
import time
import uuid

from .common import HOST, Series, free_port, interleaved, started, wait_for_status
from .measure_startup import READY_TIMEOUT, Condition
from .report import Report
from .subjects import POSTGRES_URL, Setup, Subject

PACKAGE = "my_service"
PATHS = {"/health": "first `GET /health`", "/api/items": "first `GET /api/items`"}


def migrate_subjects(setup: Setup, notes: list[str]) -> list[str]:
    """Give every generated subject a migrated database; returns the PostgreSQL databases made."""
    made: list[str] = []
    for name, subject in setup.subjects.items():
        if not name.startswith("generated"):
            continue
        subject.env["APP_DATABASE_PATH"] = str(setup.workdir / "var" / f"{name}-app.db")
        if "DATABASE_URL" in subject.env:
            database = f"bench_items_{uuid.uuid4().hex[:10]}"
            _admin(subject, f'CREATE DATABASE "{database}"')
            made.append(database)
            subject.env["DATABASE_URL"] = POSTGRES_URL.rsplit("/", 1)[0] + f"/{database}"
        result = subprocess.run(
            [subject.dev_python, "-m", f"{PACKAGE}.db.migrate"],
            cwd=subject.root,
            env={**Condition("pyc", setup).env(subject), "PYTHONPATH": "src"},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            notes.append(f"{name}: migrations failed, item routes will answer 503: {result.stderr.strip()[-200:]}")
    return made


def drop_databases(setup: Setup, databases: list[str]) -> None:
    for database in databases:
        _admin(setup.subjects["generated-pg"], f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _admin(subject: Subject, sql: str) -> None:
    """Run ``sql`` on the bench's PostgreSQL with the PostgreSQL subject's own psycopg."""
    code = f"import psycopg\nwith psycopg.connect({POSTGRES_URL!r}, autocommit=True) as c: c.execute({sql!r})"
    subprocess.run([subject.dev_python, "-c", code], check=True, capture_output=True, timeout=60)


def first_request(setup: Setup, subject: Subject, rounds: int, *, warmup: bool = True) -> dict[str, Series]:
    """Process start until the first answer on each path (ms), uvicorn, warm bytecode."""
    condition = Condition("pyc", setup)
    logs = setup.workdir / "logs"
    logs.mkdir(exist_ok=True)

    def measure(path: str) -> float:
        port = free_port()
        command = [condition.python(subject), "-m", "uvicorn", "api.index:app", "--host", HOST, "--port", str(port)]
        command += ["--log-level", "warning", "--no-access-log"]
        log = logs / f"items-{subject.name}{path.replace('/', '-')}.log"
        start = time.perf_counter()
        with started(command, cwd=condition.cwd(subject), env=condition.env(subject), log=log) as process:
            status = wait_for_status(port, path, process, READY_TIMEOUT)
            elapsed = (time.perf_counter() - start) * 1000
        if status != 200:
            raise RuntimeError(f"{subject.name} {path} answered {status}; see {log}")
        return elapsed

    for path in PATHS if warmup else ():
        measure(path)
    return interleaved(rounds, list(PATHS), measure, "ms")


def measure(setup: Setup, report: Report, rounds: int, *, warmup: bool = True) -> None:
    """Rows (9): the first item request's extra cold-start cost over /health's, per database."""
    for name, backend, budget in (("generated", "SQLite", 50.0), ("generated-pg", "PostgreSQL", 250.0)):
        subject = setup.subjects.get(name)
        what = f"cold start to first `GET /api/items` minus to first `GET /health`, {backend}, uvicorn, pyc"
        if subject is None:
            report.difference("9", what, None, None, below=budget)
            continue
        try:
            series = first_request(setup, subject, rounds, warmup=warmup)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            report.notes.append(f"first item request ({backend}): unavailable ({str(exc).splitlines()[0]})")
            series = {}
        report.difference("9", what, series.get("/api/items"), series.get("/health"), below=budget)
