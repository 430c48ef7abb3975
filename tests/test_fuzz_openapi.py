"""A fuzzer nobody here wrote, driven by the generated project's own OpenAPI: no input gets a 5xx.

Schemathesis (pinned) reads ``/openapi.json`` from the default project served by
uvicorn and sends what the schema allows and what it forbids (its coverage and
fuzzing phases, a fixed seed). The only check is ``not_a_server_error``: a client
must never be able to make the service fail. Its venv is cached like every other.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from support.database import migrate
from support.render import project_venv, tool_env
from support.tools import require
from support.vercel import stop_process

pytestmark = pytest.mark.slow

SCHEMATHESIS = "schemathesis==4.32.5"
EXAMPLES_PER_OPERATION = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_health(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5):  # noqa: S310 - a local server
                return
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    pytest.fail(f"uvicorn did not serve {url}/health (exit code {server.poll()})")


def test_schemathesis_finds_no_server_error(default_project: Path, tmp_path: Path) -> None:
    try:
        venv = project_venv(default_project, "3.12", extra=[SCHEMATHESIS])
    except RuntimeError as exc:  # no registry (offline laptop): say so, fail in CI
        require(False, f"could not install {SCHEMATHESIS}: {exc}")
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # The project's database (items and audit log) is this test's, migrated as `make dev` does.
    env = tool_env({"APP_DATABASE_PATH": str(tmp_path / "app.db")})
    migrate(default_project, str(venv / "bin" / "python"), env)
    server_log = tmp_path / "server.log"
    with server_log.open("wb") as log:
        server = subprocess.Popen(
            [str(venv / "bin" / "uvicorn"), "api.index:app", "--no-proxy-headers", "--port", str(port)],
            cwd=default_project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_health(url, server)
            result = subprocess.run(
                [
                    str(venv / "bin" / "schemathesis"),
                    "run",
                    f"{url}/openapi.json",
                    "--checks=not_a_server_error",
                    f"--max-examples={EXAMPLES_PER_OPERATION}",
                    "--seed=14",
                    "--workers=1",
                ],
                cwd=tmp_path,
                env={**env, "NO_COLOR": "1"},
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        finally:
            stop_process(server)
    logged = server_log.read_text(errors="replace")
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n--- server log ---\n{logged}"
    assert "UNHANDLED_ERROR" not in logged, logged
