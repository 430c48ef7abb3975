"""(3) warm throughput and (5) audit cost: requests per second, side by side.

Over loopback, each app runs under uvicorn (one worker, warm bytecode) and a
bounded client sends a fixed number of keep-alive requests; the servers stay up
for the whole phase and the client alternates between them. In-process, the
app is called as ASGI in its own venv with no socket at all: less noise, and
the only cost left is the app's.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .common import HOST, Series, base_env, free_port, interleaved, started, wait_for_status
from .load import run_load
from .subjects import Setup

DRIVER = Path(__file__).with_name("asgi_driver.py")
ITEM = json.dumps({"name": "bench item", "price": 1.5}).encode()


def _pyc_env(setup: Setup, name: str) -> dict[str, str]:
    subject = setup.subjects[name]
    return base_env({"PYTHONPYCACHEPREFIX": str(setup.workdir / "pycache"), **subject.env})


def _wrk(port: int, path: str, requests: int, concurrency: int) -> float:
    """Requests per second from ``wrk`` (time-bounded: the duration approximates ``requests``)."""
    wrk = shutil.which("wrk") or "wrk"
    seconds = max(2, requests // 2000)
    result = subprocess.run(
        [wrk, "-t1", f"-c{concurrency}", f"-d{seconds}s", f"http://{HOST}:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    )
    for line in result.stdout.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(f"no Requests/sec in wrk output:\n{result.stdout}")


def loopback(
    setup: Setup,
    labels: Sequence[str],
    rounds: int,
    requests: int,
    *,
    method: str = "GET",
    path: str = "/health",
    body: bytes = b"",
    concurrency: int = 8,
) -> tuple[dict[str, Series], str]:
    """Requests per second over 127.0.0.1, each app under uvicorn, interleaved rounds."""
    use_wrk = method == "GET" and shutil.which("wrk") is not None
    client = "wrk" if use_wrk else f"bench.load (asyncio, {concurrency} keep-alive connections)"
    ports = {label: free_port() for label in labels}
    logs = setup.workdir / "logs"
    logs.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        for label in labels:
            subject = setup.subjects[label]
            command = [subject.dev_python, "-m", "uvicorn", "api.index:app", "--host", HOST]
            command += ["--port", str(ports[label]), "--log-level", "warning", "--no-access-log"]
            log = logs / f"loopback-{label}.log"
            process = stack.enter_context(started(command, cwd=subject.root, env=_pyc_env(setup, label), log=log))
            wait_for_status(ports[label], "/health", process, 60)
        for label in labels:  # warm: the lazy app is built, caches are hot
            run_load(ports[label], requests=max(50, requests // 10), method=method, path=path, body=body)

        def measure(label: str) -> float:
            if use_wrk:
                return _wrk(ports[label], path, requests, concurrency)
            result = run_load(
                ports[label], requests=requests, concurrency=concurrency, method=method, path=path, body=body
            )
            bad = {status: n for status, n in result.statuses.items() if status >= 400}
            if bad:
                raise RuntimeError(f"{label}: {method} {path} answered {bad}; see {logs}")
            return result.rps

        return interleaved(rounds, list(labels), measure, "req/s"), client


def in_process(
    setup: Setup,
    labels: Sequence[str],
    rounds: int,
    requests: int,
    *,
    method: str = "GET",
    path: str = "/health",
    body: bytes = b"",
) -> tuple[dict[str, Series], dict[str, object]]:
    """Requests per second calling the ASGI app directly, one fresh process per round."""
    health: dict[str, object] = {}

    def measure(label: str) -> float:
        subject = setup.subjects[label]
        command = [subject.dev_python, str(DRIVER), "--method", method, "--path", path, "--body", body.decode()]
        command += ["--requests", str(requests), "--warmup", str(max(20, requests // 10))]
        result = subprocess.run(
            command, cwd=subject.root, env=_pyc_env(setup, label), capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0:
            raise RuntimeError(f"{label}: ASGI driver failed:\n{result.stderr[-3000:]}")
        data = json.loads(result.stdout.strip().splitlines()[-1])
        bad = {status: n for status, n in data["statuses"].items() if int(status) >= 400}
        if bad:
            raise RuntimeError(f"{label}: {method} {path} answered {bad}:\n{result.stderr[-3000:]}")
        health[label] = data["health"]
        return float(data["rps"])

    return interleaved(rounds, list(labels), measure, "req/s"), health
