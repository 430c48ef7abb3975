"""A generated project under Vercel's real runtime, tried as a hostile client and operator would.

The project's own tests prove each guard in isolation (``test_origins.py``,
``test_body_limit.py``, ``test_validation_errors.py``, ``test_audit.py``); here the
same promises hold through the code a deployment runs: ``vercel_runtime`` and the
uvicorn it vendors, with the variables the platform and an operator set.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.database import migrate
from support.render import project_requirements
from support.vercel import RuntimeServer, runtime_python, serve_with_vercel_runtime

pytestmark = pytest.mark.slow

OURS = "https://app.example.com"
THEIRS = "https://attacker.example.net"
JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def audit_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile-audit") / "audit.db"


@pytest.fixture(scope="module")
def server(default_project: Path, audit_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeServer]:
    project = tmp_path_factory.mktemp("hostile") / "my-service"
    shutil.copytree(default_project, project, ignore=shutil.ignore_patterns("var", "__pycache__", ".venv"))
    _plant_a_failing_route(project)
    env = {
        "VERCEL": "1",  # as the platform sets it
        "TMPDIR": str(audit_db.parent),
        "APP_DATABASE_PATH": str(audit_db),  # the service's one database: items and audit log
        # An operator's mistakes: a regex that matches everything, a list entry with its default port.
        "APP_CORS_ORIGIN_REGEX": "(.*)",
        "APP_CORS_ORIGINS": f"{OURS}:443",
    }
    # Requests never create tables: the migrations run first, as `make migrate` would.
    migrate(project, runtime_python(project_requirements(project, dev=False)), env)
    with serve_with_vercel_runtime(project, env=env) as runtime:
        yield runtime


def _plant_a_failing_route(project: Path) -> None:
    """A route that raises, as a bug would: its path is the client's to choose."""
    (health,) = project.glob("src/*/routers/health.py")
    health.write_text(
        health.read_text()
        + "\n\n@router.get('/boom/{rest}')\nasync def boom(rest: str) -> None:\n    raise RuntimeError('planted')\n"
    )


def _strict_json(body: bytes) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(body, parse_constant=refuse)


def test_a_regex_that_matches_everything_is_refused_and_health_says_so(server: RuntimeServer) -> None:
    assert _strict_json(server.get("/health").body) == {"status": "degraded", "degraded": ["cors"]}
    preflight = {"Access-Control-Request-Method": "POST"}
    theirs = server.request("OPTIONS", "/api/items", headers={"Origin": THEIRS, **preflight})
    ours = server.request("OPTIONS", "/api/items", headers={"Origin": OURS, **preflight})
    assert "access-control-allow-origin" not in {key.lower() for key in theirs.headers}
    assert {key.lower(): value for key, value in ours.headers.items()}["access-control-allow-origin"] == OURS
    cookie_post = server.request(
        "POST",
        "/api/items",
        body=b'{"name": "x", "price": 1}',
        headers={**JSON_HEADERS, "Origin": THEIRS, "Cookie": "session=stolen"},
    )
    assert cookie_post.status == 403
    assert "CORS_ORIGIN_REGEX_REFUSED APP_CORS_ORIGIN_REGEX" in server.logs()


def test_a_path_with_control_characters_cannot_forge_a_log_line(server: RuntimeServer) -> None:
    forged = "2026-01-01 00:00:00,000 CRITICAL forged.logger ALL_CLEAR"
    response = server.get("/boom/x%0a" + forged.replace(" ", "%20") + "%0d%1b[2J")
    assert response.status == 500
    deadline = time.monotonic() + 10
    while "UNHANDLED_ERROR" not in server.logs() and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = server.logs().splitlines()
    (unhandled,) = [line for line in lines if "UNHANDLED_ERROR" in line]
    assert "ALL_CLEAR" in unhandled  # the operator sees the path, escaped, on its own line
    assert not [line for line in lines if line.startswith(forged)], server.logs()
    assert "\x1b" not in server.logs()


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_get_a_422_that_is_json(server: RuntimeServer, number: str) -> None:
    body = ('{"name": "x", "price": ' + number + "}").encode()
    response = server.request("POST", "/api/items", body=body, headers=JSON_HEADERS)
    assert response.status == 422, response.body
    _strict_json(response.body)


def _post_with_urllib(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=JSON_HEADERS, method="POST")  # noqa: S310 - a local server
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _post_with_requests(url: str, body: bytes) -> tuple[int, bytes]:
    requests = pytest.importorskip("requests")
    response = requests.post(url, data=body, headers=JSON_HEADERS, timeout=20)
    return response.status_code, response.content


@pytest.mark.parametrize("post", [_post_with_urllib, _post_with_requests], ids=["urllib", "requests"])
def test_a_client_that_sends_before_reading_gets_the_413(server: RuntimeServer, post: Any) -> None:
    for _ in range(3):  # without the drain, most tries end in a connection reset
        status, body = post(f"{server.base_url}/api/items", b"x" * 5_000_000)
        assert (status, _strict_json(body)) == (413, {"detail": "Request body too large"})


def test_audit_records_the_address_the_platform_forwarded(server: RuntimeServer, audit_db: Path) -> None:
    response = server.request(
        "POST",
        "/api/items",
        body=b'{"name": "audited", "price": 1}',
        headers={**JSON_HEADERS, "X-Forwarded-For": "203.0.113.77"},
    )
    assert response.status == 201
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(audit_db) as connection:
            clients = [row[0] for row in connection.execute("SELECT client FROM audit_log WHERE status = 201")]
        if clients or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "203.0.113.77" in clients
