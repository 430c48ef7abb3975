"""Find the external tools the tests need, the portable way.

A tool that is missing makes the test skip with a clear reason on a developer
laptop, and fail in CI (where ``CI=true``), so a green CI run means it ran.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(available: object, reason: str) -> None:
    """Skip (laptop) or fail (CI) when a needed tool is missing."""
    if available:
        return
    if in_ci():
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def cache_dir(*parts: str) -> Path:
    """A cache folder outside the repo, kept between test runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base, "copier-serverless-fastapi", *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _real_interpreter(candidate: str) -> str | None:
    """The real executable behind ``candidate`` (a pyenv shim resolves here), or None."""
    try:
        out = subprocess.run(
            [candidate, "-c", "import sys; print(sys.executable)"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    executable = out.stdout.strip()
    return executable if out.returncode == 0 and executable else None


@functools.cache
def find_python(version: str) -> str | None:
    """Path of a working ``python<version>``: PATH first, then pyenv's versions folder."""
    if sys.version_info[:2] == tuple(int(p) for p in version.split(".")):
        return sys.executable
    candidates: list[str] = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    pyenv_root = os.environ.get("PYENV_ROOT")
    if not pyenv_root and shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        pyenv_root = out.stdout.strip()
    if pyenv_root:
        versions = Path(pyenv_root, "versions")
        candidates.extend(str(path) for path in sorted(versions.glob(f"{version}*/bin/python{version}"), reverse=True))
    for candidate in candidates:
        real = _real_interpreter(candidate)
        if real:
            return real
    return None


def require_python(version: str) -> str:
    python = find_python(version)
    require(
        python,
        f"python{version} not found (looked on PATH and in $(pyenv root)/versions/{version}*)",
    )
    assert python is not None
    return python


@functools.cache
def find_uv() -> str | None:
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    try:
        from uv import find_uv_bin  # the PyPI `uv` package ships the binary
    except ImportError:
        return None
    try:
        return find_uv_bin()
    except FileNotFoundError:
        return None


def require_uv() -> str:
    uv = find_uv()
    require(uv, "uv not found: install the test requirements (make test does)")
    assert uv is not None
    return uv


def find_npm() -> str | None:
    return shutil.which("npm")


# The PostgreSQL server the tests use (this machine's; CI runs on it too).
PG_HOST, PG_PORT = "127.0.0.1", 5432


def postgres_reachable() -> bool:
    """Whether something answers on PostgreSQL's address (callers ``require`` it)."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=3):
            return True
    except OSError:
        return False
