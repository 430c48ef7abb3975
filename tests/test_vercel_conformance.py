"""Generated projects against Vercel's real code: the Python runtime and `vercel build`.

Two halves:

- **Runtime.** PyPI's ``vercel-runtime`` serves a rendered project exactly as
  the platform starts it (``support.vercel``), with nothing in the environment
  but what the platform itself sets: the entry must be detected as ASGI, serve
  the sample routes, survive a factory that is broken on purpose, and build the
  app once under concurrent first requests.
- **Build.** The pinned Vercel CLI builds rendered projects over several answer
  sets the way they deploy (their own ``make build``), with a ``.env``, a
  SQLite database and a docs folder planted first: the functions carry the
  answered ``maxDuration``, the static output is exactly ``public/``, no secret
  or local state is bundled, the *built* function (its ``_vendor/`` and the
  runtime it vendors) serves ``/health``, and it runs from the bytecode the
  build compiled, not from its sources.

Each answer set is built once per test run, shared by every xdist worker
through a file lock, so the file costs a handful of builds however the tests
are distributed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.database import migrate
from support.render import locked, project_venv, render
from support.tools import REPO_ROOT
from support.vercel import (
    HttpResponse,
    RuntimeServer,
    function_config,
    serve_built_function,
    serve_with_vercel_runtime,
    static_files,
    vercel_build,
    vercel_cli,
)

pytestmark = pytest.mark.slow

SECRET = "conformance-cron-secret"  # noqa: S105 - a test value, not a credential
BOOM = "boom secret 7f3a"  # the text of the planted failure: it must never reach a client
JSON_HEADERS = {"content-type": "application/json"}
# The headers the security middleware promises on every response.
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


# --- rendered projects and their breakages ------------------------------------


def _package(project: Path) -> str:
    (package,) = (path.name for path in (project / "src").iterdir() if path.is_dir())
    return package


def _break_factory(project: Path) -> None:
    """``create_app`` raises on every call, as a bad setting or a bug would."""
    main = project / "src" / _package(project) / "main.py"
    source = main.read_text()
    signature = "def create_app("
    assert signature in source, f"{main} has no create_app: update this test's breakage"
    head, _, tail = source.partition(signature)
    # First statement of the body, before the docstring: valid whatever follows.
    # The signature may span lines: it ends at the first line ending with a colon.
    lines = tail.split("\n")
    end = next(i for i, line in enumerate(lines) if line.rstrip().endswith(":"))
    signature_lines, body = "\n".join(lines[: end + 1]), "\n".join(lines[end + 1 :])
    main.write_text(f"{head}{signature}{signature_lines}\n    raise RuntimeError({BOOM!r})\n{body}")


def _break_import(project: Path) -> None:
    """``main.py`` raises while it is imported, as a circular import or a typo would."""
    main = project / "src" / _package(project) / "main.py"
    main.write_text(main.read_text() + f"\nraise RuntimeError({BOOM!r})\n")


def _count_factory_calls(project: Path) -> None:
    """Wrap ``create_app`` to print one line per call and take its time.

    The sleep widens the window in which concurrent first requests arrive
    while the app is still being built.
    """
    main = project / "src" / _package(project) / "main.py"
    main.write_text(
        main.read_text()
        + "\n\n_real_create_app = create_app\n\n\n"
        + "def create_app(settings=None):\n"
        + "    import sys, time\n"
        + "    print('FACTORY_CALLED', file=sys.stderr, flush=True)\n"
        + "    time.sleep(0.5)\n"
        + "    return _real_create_app(settings)\n"
    )


def _copy(project: Path, dest: Path) -> Path:
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns("var", "__pycache__", ".venv"))
    return dest


# --- the runtime's side -------------------------------------------------------


def _post_item(server: RuntimeServer, name: str = "widget") -> HttpResponse:
    body = json.dumps({"name": name, "price": 9.5}).encode()
    return server.request("POST", "/api/items", body=body, headers=JSON_HEADERS)


def _assert_no_leak(response: HttpResponse) -> None:
    text = response.body.decode(errors="replace")
    for secret in (BOOM, "Traceback", "RuntimeError", "/src/"):
        assert secret not in text, f"{secret!r} leaked to the client: {text}"


@pytest.fixture(scope="module")
def served_copy(default_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the default project: serving it writes ./var/app.db into it."""
    return _copy(default_project, tmp_path_factory.mktemp("runtime") / "my-service")


@pytest.fixture(scope="module")
def index_server(served_copy: Path) -> Iterator[RuntimeServer]:
    """``api/index.py`` under the real runtime with an empty environment, after the
    init function applied the migrations (as on a deployment: requests create no table)."""
    with serve_with_vercel_runtime(served_copy, "api/init.py", env={"CRON_SECRET": SECRET}) as init:
        migrated = init.request("POST", "/api/init", headers={"Authorization": f"Bearer {SECRET}"})
        assert migrated.status == 200, (migrated.body, init.logs())
    with serve_with_vercel_runtime(served_copy) as server:
        yield server


def test_runtime_detects_the_entry_as_asgi_and_serves_health(index_server: RuntimeServer) -> None:
    response = index_server.get("/health")

    assert (response.status, response.json()) == (200, {"status": "ok"}), index_server.logs()
    # The runtime serves what it detected as ASGI through its vendored uvicorn
    # (WSGI apps get http.server): the Server header says which path ran.
    assert response.headers.get("server") == "uvicorn"
    assert response.headers.get("cache-control") == "no-store"


def test_runtime_serves_the_sample_routes(index_server: RuntimeServer) -> None:
    created = _post_item(index_server, "conformance")
    listed = index_server.get("/api/items")

    assert created.status == 201, created.body
    item = created.json()
    assert {"name": "conformance", "price": 9.5}.items() <= item.items()
    assert listed.status == 200
    assert item in listed.json()
    # The audit log (sqlite by default) wrote its event without degrading:
    # off Vercel its file is ./var/audit.db, relative to the function's cwd.
    assert index_server.get("/health").json() == {"status": "ok"}, index_server.logs()


def test_runtime_answers_unknown_paths_with_json_404_and_security_headers(index_server: RuntimeServer) -> None:
    response = index_server.get("/no/such/path")

    assert response.status == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not Found"}
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    assert "default-src 'none'" in response.headers.get("content-security-policy", "")
    assert response.headers.get("x-request-id")


def test_runtime_logs_nothing_alarming_for_a_healthy_app(index_server: RuntimeServer) -> None:
    index_server.get("/health")

    logs = index_server.logs()
    for marker in ("APP_BUILD_FAILED", "FEATURE_FAILED", "FEATURE_DEGRADED", "Traceback"):
        assert marker not in logs, logs


def test_runtime_serves_the_init_function_only_with_the_cron_secret(served_copy: Path) -> None:
    with serve_with_vercel_runtime(served_copy, "api/init.py", env={"CRON_SECRET": SECRET}) as server:
        missing = server.get("/api/init")
        wrong = server.get("/api/init", headers={"Authorization": f"Bearer {SECRET}x"})
        first = server.request("POST", "/api/init", headers={"Authorization": f"Bearer {SECRET}"})
        second = server.get("/api/init", headers={"Authorization": f"Bearer {SECRET}"})

        assert (missing.status, wrong.status) == (401, 401)
        for response in (first, second):  # idempotent: twice is fine
            assert response.status == 200, (response.body, server.logs())
            report = response.json()
            assert report["status"] == "ok", report
            assert set(report["steps"].values()) == {"ok"}, report


@pytest.mark.parametrize("env", [{}, {"CRON_SECRET": "  \t"}], ids=["unset", "blank"])
def test_runtime_init_function_refuses_everyone_without_cron_secret(served_copy: Path, env: dict[str, str]) -> None:
    with serve_with_vercel_runtime(served_copy, "api/init.py", env=env) as server:
        for header in ("Bearer ", "Bearer", f"Bearer {SECRET}"):
            response = server.get("/api/init", headers={"Authorization": header})
            assert response.status == 401, (header, response.body)
            assert response.json()["failed"] == ["cron_secret"]
            # The main app's guards: security headers and a request id.
            for name, value in SECURITY_HEADERS.items():
                assert response.headers.get(name) == value, (name, response.headers)
            assert response.headers.get("x-request-id")
        logs = server.logs()
        assert "CRON_SECRET is not set" in logs
        assert logs.count("INIT_REFUSED") == 1, logs  # once per process, not per request


@pytest.mark.parametrize("breakage", [_break_factory, _break_import], ids=["factory-raises", "main-import-raises"])
def test_runtime_starts_a_broken_project_and_answers_503_without_details(
    default_project: Path, tmp_path: Path, breakage: Any
) -> None:
    project = _copy(default_project, tmp_path / "broken")
    breakage(project)

    with serve_with_vercel_runtime(project) as server:
        health = server.get("/health")
        items = server.get("/api/items")
    # Read once the function stopped: the runtime forwards log lines after the answer.
    logs = server.logs()

    assert health.status == 503, logs
    assert health.headers["content-type"] == "application/json"
    assert health.json()["status"] == "error"
    assert items.status == 503
    assert items.json()["detail"] == "Service Unavailable"
    for response in (health, items):
        _assert_no_leak(response)
        assert response.headers.get("x-content-type-options") == "nosniff"
    # The operator gets everything: the marker, the id the client saw, the traceback.
    error_id = health.json()["error_id"]
    assert f"APP_BUILD_FAILED error_id={error_id}" in logs, logs
    assert "Traceback (most recent call last)" in logs
    assert f"RuntimeError: {BOOM}" in logs


def test_runtime_builds_the_app_once_under_concurrent_first_requests(default_project: Path, tmp_path: Path) -> None:
    project = _copy(default_project, tmp_path / "counted")
    _count_factory_calls(project)
    clients = 16

    with serve_with_vercel_runtime(project) as server:
        barrier = threading.Barrier(clients)
        responses: list[HttpResponse | BaseException] = []

        def hit() -> None:
            barrier.wait()
            try:
                responses.append(server.get("/health", timeout=30))
            except BaseException as exc:  # a reset connection is a failure, not a crash
                responses.append(exc)

        threads = [threading.Thread(target=hit) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        logs = server.logs()

    assert len(responses) == clients
    outcomes = [r if isinstance(r, BaseException) else (r.status, r.json()) for r in responses]
    assert outcomes == [(200, {"status": "ok"})] * clients, logs
    assert logs.count("FACTORY_CALLED") == 1, logs


# --- the build's side ---------------------------------------------------------


# docs/deploy.md shows this file: the init trigger moved from `crons` to `schedules`.
SCHEDULES_EXAMPLE = REPO_ROOT / "examples" / "vercel-schedules.json"


def _use_schedules(project: Path) -> None:
    """The init trigger as docs/deploy.md shows it: a `schedules` entry instead of `crons`."""
    config_path = project / "vercel.json"
    config = json.loads(config_path.read_text())
    del config["crons"]
    config.update(json.loads(SCHEDULES_EXAMPLE.read_text()))
    config_path.write_text(json.dumps(config, indent=2) + "\n")


@dataclass(frozen=True)
class Variant:
    answers: Mapping[str, Any]
    main_max_duration: int = 10
    init_max_duration: int | None = 60
    change: Callable[[Path], None] | None = None  # applied to the rendered project before the build


VARIANTS = {
    "defaults": Variant({}),
    "no-init": Variant({"init_function": False}, init_max_duration=None),
    # 3600: the top of what the questions and `vercel build` accept.
    "durations": Variant({"main_max_duration": 7, "init_max_duration": 3600}, 7, 3600),
    # Another name and prefix too: nothing may depend on "my_service" / "APP_".
    "postgres": Variant({"project_name": "Billing API", "env_prefix": "BILL_", "audit_backend": "postgres"}),
    "broken": Variant({}, change=_break_factory),
    "schedules": Variant({}, change=_use_schedules),
}
BUILDS = [name for name in VARIANTS if name not in {"broken", "schedules"}]

# Planted in the copy before `vercel build`: none may be published or bundled.
PLANTED_ENV = "SECRET_TOKEN=planted-do-not-ship\n"
PLANTED = (".env", ".env.local", "var/audit.db", "docs/notes.md")


def _plant_local_files(project: Path) -> None:
    (project / ".env").write_text(PLANTED_ENV)
    (project / ".env.local").write_text(PLANTED_ENV)
    (project / "var").mkdir()
    with sqlite3.connect(project / "var" / "audit.db") as db:
        db.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, actor TEXT)")
        db.execute("INSERT INTO audit_log (actor) VALUES ('planted')")
    (project / "docs").mkdir()
    (project / "docs" / "notes.md").write_text("# internal notes\n")


@dataclass(frozen=True)
class Built:
    project: Path  # the rendered project the build was made from
    output: Path  # its .vercel/output
    seconds: float


def _run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by every xdist worker of this run (the workers' common parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _build(name: str, template_dir: Path, root: Path) -> Built:
    """Render ``VARIANTS[name]``, plant local files, `vercel build` it: once per run."""
    folder = root / f"vercel-conformance-{name}"
    record = folder / "built.json"
    with locked(root / f"vercel-conformance-{name}.lock"):
        if not record.exists():
            shutil.rmtree(folder, ignore_errors=True)
            variant = VARIANTS[name]
            project = render(template_dir, folder / "rendered" / "service", variant.answers)
            _plant_local_files(project)
            if variant.change:
                variant.change(project)
            started = time.perf_counter()
            # As the project deploys: its own `make build` (bytecode on).
            output = vercel_build(project, workdir=folder / "build", command=("make", "build"))
            seconds = round(time.perf_counter() - started, 1)
            record.write_text(json.dumps({"project": str(project), "output": str(output), "seconds": seconds}))
    data = json.loads(record.read_text())
    return Built(Path(data["project"]), Path(data["output"]), data["seconds"])


@pytest.fixture(scope="session")
def build_of(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = _run_root(tmp_path_factory)
    return lambda name: _build(name, template_dir, root)


@pytest.mark.parametrize("name", BUILDS)
def test_build_writes_the_answered_max_duration(build_of: Any, name: str) -> None:
    variant, built = VARIANTS[name], build_of(name)
    functions = sorted(p.name for p in (built.output / "functions" / "api").glob("*.func"))

    index = function_config(built.output, "index")
    assert index["maxDuration"] == variant.main_max_duration
    assert index["runtime"] == "python3.12"
    if variant.init_max_duration is None:
        assert functions == ["index.func"]
        assert not (built.project / "api" / "init.py").exists()
    else:
        assert functions == ["index.func", "init.func"]
        assert function_config(built.output, "init")["maxDuration"] == variant.init_max_duration


@pytest.mark.parametrize("name", BUILDS)
def test_build_publishes_exactly_the_public_folder(build_of: Any, name: str) -> None:
    built = build_of(name)
    public = built.project / "public"
    expected = sorted(p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file())

    published = static_files(built.output)

    assert published == expected, f"published beyond public/: {sorted(set(published) - set(expected))}"
    assert expected, "public/ is empty: Vercel would publish the project's source instead"


def _bundled_leaks(config: Mapping[str, Any]) -> list[str]:
    leaks = []
    for target, source in config["filePathMap"].items():
        for path in (target, source):
            parts = Path(path).parts
            name = parts[-1]
            if (
                name.startswith(".env")
                or name.endswith((".db", ".sqlite3"))
                or (parts[0] in {"var", "tests", "docs", ".github"})
            ):
                leaks.append(f"{target} <- {source}")
    return sorted(set(leaks))


@pytest.mark.parametrize("name", BUILDS)
def test_build_bundles_no_env_database_tests_or_docs(build_of: Any, name: str) -> None:
    built = build_of(name)
    for planted in PLANTED:
        assert (built.project / planted).exists(), planted  # the planted files were there

    functions = [p.name.removesuffix(".func") for p in (built.output / "functions" / "api").glob("*.func")]
    assert "index" in functions, functions  # not vacuous: there is something to check
    for function in functions:
        config = function_config(built.output, function)
        # Not vacuous: the map does hold the project.
        assert f"api/{function}.py" in config["filePathMap"]
        assert _bundled_leaks(config) == [], f"api/{function}.func bundles local files"


def _destination(output: Path, path: str) -> str:
    """Where the built routes send ``path``: ``static:<file>``, ``function:<name>`` or ``miss``.

    Follows the part of the Build Output API the build wrote into
    ``config.json``: the filesystem phase (static files, then functions)
    first, then the rewrites after it, each re-checked against the filesystem.
    """
    config = json.loads((output / "config.json").read_text())
    statics = set(static_files(output))
    functions_dir = output / "functions"
    functions = {
        "/" + p.relative_to(functions_dir).as_posix().removesuffix(".func") for p in functions_dir.rglob("*.func")
    }

    def filesystem(candidate: str) -> str | None:
        if candidate.lstrip("/") in statics:
            return f"static:{candidate.lstrip('/')}"
        if candidate in functions:
            return f"function:{candidate}"
        return None

    routes = config["routes"]
    assert routes[0] == {"handle": "filesystem"}, "the build routes before the filesystem: update this test"
    if found := filesystem(path):
        return found
    for route in routes[1:]:
        if "handle" in route:
            break
        match = re.match(route["src"], path)
        if match and "dest" in route:
            dest = match.expand(re.sub(r"\$(\d+)", r"\\\1", route["dest"]))  # $1 -> \1
            if found := filesystem(dest):
                return found
    return "miss"


@pytest.mark.parametrize("name", BUILDS)
def test_build_routes_every_path_to_the_index_function(build_of: Any, name: str) -> None:
    variant, built = VARIANTS[name], build_of(name)
    package = _package(built.project)
    init = "function:/api/init" if variant.init_max_duration is not None else "function:/api/index"
    expected = {
        "/health": "function:/api/index",
        "/api/items": "function:/api/index",
        "/docs": "function:/api/index",
        "/api/index": "function:/api/index",
        "/api/init": init,
        "/robots.txt": "static:robots.txt",
        # Would-be leaks reach the app (a JSON 404), never a file.
        f"/src/{package}/main.py": "function:/api/index",
        "/pyproject.toml": "function:/api/index",
        "/.env": "function:/api/index",
        "/api/index.py": "function:/api/index",
    }

    assert {path: _destination(built.output, path) for path in expected} == expected


@pytest.mark.parametrize("name", BUILDS)
def test_build_schedules_the_init_cron_only_with_the_init_function(build_of: Any, name: str) -> None:
    variant, built = VARIANTS[name], build_of(name)
    crons = json.loads((built.output / "config.json").read_text()).get("crons", [])

    paths = [cron["path"] for cron in crons]
    assert paths == (["/api/init"] if variant.init_max_duration is not None else [])


@pytest.mark.parametrize("name", BUILDS)
def test_built_index_function_serves_health_from_its_vendor_folder(build_of: Any, name: str, tmp_path: Path) -> None:
    built = build_of(name)
    # What the platform sets; TMPDIR stands for the instance's own /tmp.
    env = {"VERCEL": "1", "TMPDIR": str(tmp_path)}
    postgres = (built.project / "src" / _package(built.project) / "db" / "postgres.py").exists()
    if not postgres:
        # A SQLite file the migrations made (on Vercel itself nothing could: see docs/data.md).
        env["APP_DATABASE_PATH"] = str(tmp_path / "app.db")
        migrate(built.project, str(project_venv(built.project, "3.12") / "bin" / "python"), env)

    with serve_built_function(built.output, tmp_path / "function", env=env) as server:
        health = server.get("/health", timeout=30)
        created = _post_item(server)

        assert (health.status, health.json()) == (200, {"status": "ok"}), server.logs()
        if postgres:  # no DATABASE_URL on this "deployment": a 503 with an error id, never a 500
            assert created.status == 503, (created.body, server.logs())
            assert set(created.json()) == {"detail", "error_id"}
        else:
            assert created.status == 201, (created.body, server.logs())
        # It ran the project installed in _vendor/, not a copy of src/ on sys.path.
        package = _package(built.project)
        assert (tmp_path / "function" / "_vendor" / package / "main.py").is_file()


def test_built_init_function_runs_setup_with_the_cron_secret(build_of: Any, tmp_path: Path) -> None:
    built = build_of("defaults")
    env = {"VERCEL": "1", "TMPDIR": str(tmp_path), "CRON_SECRET": SECRET}

    with serve_built_function(built.output, tmp_path / "function", "init", env=env) as server:
        refused = server.get("/api/init", timeout=30)
        accepted = server.get("/api/init", headers={"Authorization": f"Bearer {SECRET}"}, timeout=30)

        assert refused.status == 401
        assert accepted.status == 200, (accepted.body, server.logs())
        assert accepted.json()["status"] == "ok"


def test_built_broken_project_deploys_and_answers_503(build_of: Any, tmp_path: Path) -> None:
    built = build_of("broken")

    with serve_built_function(built.output, tmp_path / "function", env={"VERCEL": "1"}) as server:
        health = server.get("/health", timeout=30)
    # Read once the process has stopped: the runtime forwards log lines on its own
    # schedule, and the answer can reach the client first.
    logs = server.logs()

    assert health.status == 503, logs
    assert health.json()["status"] == "error"
    _assert_no_leak(health)
    assert f"APP_BUILD_FAILED error_id={health.json()['error_id']}" in logs
    assert f"RuntimeError: {BOOM}" in logs


def test_make_build_refuses_a_folder_not_linked_to_a_project(default_project: Path, tmp_path: Path) -> None:
    # Unlinked, `vercel build` would print a prompt-like line and exit 0 having built nothing.
    project = _copy(default_project, tmp_path / "unlinked")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "vercel").symlink_to(vercel_cli()[0])
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "VERCEL_TELEMETRY_DISABLED": "1"}

    result = subprocess.run(
        ["make", "build"], cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode != 0, result.stdout
    assert "vercel pull --yes" in result.stderr
    assert not (project / ".vercel" / "output").exists()


# --- bytecode: the build compiles it, the function runs it ---------------------

# What the first request needs besides the project: bytecode must cover them.
FRAMEWORKS = ("fastapi", "starlette", "pydantic", "pydantic_settings")
# A sitecustomize for the function process: it writes the file of every module
# imported through sys.path, as it is found, to $IMPORT_LOG. Found, not guessed:
# the entry's own ``api/index.py`` is the one file the runtime loads by path.
IMPORT_RECORDER = """
import os
import sys


class ImportRecorder:
    def find_spec(self, name, path=None, target=None):
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = None if finder is self or find is None else find(name, path, target)
            if spec is not None:
                if spec.origin:
                    with open(os.environ["IMPORT_LOG"], "a") as log:
                        log.write(spec.origin + "\\n")
                return spec
        return None


sys.meta_path.insert(0, ImportRecorder())
"""


def _pyc_of(source: str) -> str:
    """``a/b.py`` -> ``a/__pycache__/b.cpython-312.pyc``: where the built function keeps its bytecode."""
    folder, _, name = source.rpartition("/")
    return f"{folder}/__pycache__/{name.removesuffix('.py')}.cpython-312.pyc"


@dataclass(frozen=True)
class Imports:
    """What the built index function imported up to its first ``/health`` answer."""

    files: list[str]  # the function's own files, relative to its root
    elsewhere: list[str]  # everything else: the interpreter's standard library


@pytest.fixture(scope="module")
def first_request_imports(build_of: Any, tmp_path_factory: pytest.TempPathFactory) -> Imports:
    built = build_of("defaults")
    work = tmp_path_factory.mktemp("imports")
    (work / "recorder").mkdir()
    (work / "recorder" / "sitecustomize.py").write_text(IMPORT_RECORDER)
    log = work / "imports.log"
    log.touch()
    root = work / "function"
    vendor = function_config(built.output).get("environment", {}).get("PYTHONPATH", "_vendor")
    env = {
        "VERCEL": "1",
        "TMPDIR": str(work),
        "IMPORT_LOG": str(log),
        "PYTHONPATH": os.pathsep.join([vendor, str(work / "recorder")]),
    }
    with serve_built_function(built.output, root, env=env) as server:
        health = server.get("/health", timeout=30)
        imported = log.read_text().splitlines()  # now: what loads after the answer does not count
    assert health.status == 200, server.logs()
    real_root = root.resolve()
    inside = [Path(origin).resolve() for origin in imported]
    files = sorted({str(path.relative_to(real_root)) for path in inside if path.is_relative_to(real_root)})
    assert files, f"the import recorder saw nothing: {imported[:20]}"
    elsewhere = sorted({str(path) for path in inside if not path.is_relative_to(real_root)})
    return Imports(["api/index.py", *files], elsewhere)


def _ours_and_frameworks(files: list[str], package: str) -> list[str]:
    tops = (package, *FRAMEWORKS)
    return [file for file in files if file.startswith(tuple(f"_vendor/{top}/" for top in tops))]


def test_built_index_function_carries_bytecode_for_everything_the_first_request_imports(
    build_of: Any, first_request_imports: Imports
) -> None:
    built = build_of("defaults")
    file_map = function_config(built.output)["filePathMap"]
    package = _package(built.project)
    checked = ["api/index.py", *_ours_and_frameworks(first_request_imports.files, package)]

    tops = {file.split("/")[1] for file in checked if file.startswith("_vendor/")}
    assert tops == {package, *FRAMEWORKS}, f"the first request did not import all of them: {tops}"
    assert f"_vendor/{package}/main.py" in checked
    without = [file for file in checked if _pyc_of(file) not in file_map]
    assert without == [], "built without bytecode for these: is VERCEL_PYTHON_COMPILEALL=1 in `make build`?"


def test_first_request_imports_no_audit_database_driver_and_no_dev_tooling(
    build_of: Any, first_request_imports: Imports
) -> None:
    package = _package(build_of("defaults").project)
    ours = [file for file in first_request_imports.files if file.startswith(f"_vendor/{package}/")]
    assert f"_vendor/{package}/audit/middleware.py" in ours  # not vacuous: the audit log is on

    # The database driver loads with the first audit event, not to answer GET /health.
    drivers = [path for path in first_request_imports.elsewhere if "/sqlite3/" in path]
    assert drivers == []
    assert [file for file in ours if file.endswith("/sqlite.py")] == []
    # The doctor is dev tooling: the service never imports it.
    assert [file for file in first_request_imports.files if "doctor" in file] == []


def test_built_index_function_runs_from_bytecode_when_the_sources_it_imports_raise(
    build_of: Any, first_request_imports: Imports, tmp_path: Path
) -> None:
    built = build_of("defaults")
    package = _package(built.project)
    # Every module of ours the first request imports, the entry, and FastAPI itself.
    ours = [file for file in first_request_imports.files if file.startswith(f"_vendor/{package}/")]
    broken = ["api/index.py", "_vendor/fastapi/__init__.py", *ours]

    def break_sources(root: Path) -> None:
        for source in broken:
            (root / source).write_text(f"raise RuntimeError({BOOM!r})\n")

    env = {"VERCEL": "1", "TMPDIR": str(tmp_path)}
    with serve_built_function(built.output, tmp_path / "function", env=env, before_start=break_sources) as server:
        health = server.get("/health", timeout=30)
        logs = server.logs()

    assert (tmp_path / "function" / f"_vendor/{package}/main.py").read_text().startswith("raise")  # broken indeed
    assert (health.status, health.json()) == (200, {"status": "ok"}), f"ran a source file, not bytecode:\n{logs}"
    assert BOOM not in logs


# --- schedules: the init trigger as docs/deploy.md shows it --------------------


def test_init_schedule_from_the_docs_builds_and_calls_the_init_function(build_of: Any, tmp_path: Path) -> None:
    built = build_of("schedules")
    config = json.loads((built.output / "config.json").read_text())
    expected = json.loads(SCHEDULES_EXAMPLE.read_text())["schedules"]

    assert config.get("schedules") == expected
    assert config.get("crons", []) == []
    assert [_destination(built.output, schedule["path"]) for schedule in expected] == ["function:/api/init"]
    # The same function, so the same CRON_SECRET check.
    env = {"VERCEL": "1", "TMPDIR": str(tmp_path), "CRON_SECRET": SECRET}
    with serve_built_function(built.output, tmp_path / "function", "init", env=env) as server:
        refused = server.get("/api/init", timeout=30)
        accepted = server.get("/api/init", headers={"Authorization": f"Bearer {SECRET}"}, timeout=30)

    assert refused.status == 401
    assert accepted.status == 200, accepted.body
