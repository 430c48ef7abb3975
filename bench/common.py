"""Shared helpers: statistics, interleaving, environments, processes, ports."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from support import vercel  # isort: skip

REPO_ROOT = Path(__file__).resolve().parents[1]

T = TypeVar("T")
HOST = "127.0.0.1"


@dataclass
class Series:
    """Repeated measurements of one thing, in one unit."""

    unit: str
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.values else float("nan")

    def describe(self, digits: int = 1) -> str:
        if not self.values:
            return "n/a"
        spread = f"{self.low:.{digits}f}-{self.high:.{digits}f}"
        return f"{self.median:.{digits}f} {self.unit} ({spread}, n={len(self.values)})"


def interleaved(rounds: int, labels: Sequence[str], measure: Callable[[str], float], unit: str) -> dict[str, Series]:
    """``measure(label)`` ``rounds`` times per label, alternating the order (AB BA AB ...).

    Alternating which one goes first each round spreads a slow drift of the
    machine (thermal, other load) evenly over both sides.
    """
    results = {label: Series(unit) for label in labels}
    for index in range(rounds):
        order = list(labels) if index % 2 == 0 else list(reversed(labels))
        for label in order:
            results[label].values.append(measure(label))
    return results


def base_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A small, clean environment: nothing of ours (APP_*, VIRTUAL_ENV, PYTHON*) leaks in."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(Path.home())),
        "LANG": "C.UTF-8",
    }
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """One GET on a fresh connection; raises OSError while nothing listens."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, body


def wait_for_status(port: int, path: str, process: subprocess.Popen[bytes] | None, timeout: float) -> int:
    """Poll ``path`` until it answers; return its status. Raises on timeout or process exit."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, IndexError, ValueError):
            status, _ = http_get(port, path)
            if status:
                return status
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {path}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no answer on {path} within {timeout:.0f}s")
        time.sleep(0.002)


def peak_rss_mib(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def started(
    command: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, always stopped at the end; its output goes to ``log`` (or nowhere)."""
    sink = log.open("ab") if log else subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
        )
        try:
            yield process
        finally:
            vercel.stop_process(process)
    finally:
        if log:
            sink.close()  # type: ignore[union-attr]


def timed_run(command: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 120) -> float:
    """Wall time in ms of one process run; raises with its output if it fails."""
    start = time.perf_counter()
    result = subprocess.run(list(command), cwd=cwd, env=dict(env), capture_output=True, timeout=timeout, check=False)
    elapsed = (time.perf_counter() - start) * 1000
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout.decode()}\n{result.stderr.decode()}")
    return elapsed
