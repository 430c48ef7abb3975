"""Render the template from the working tree and give generated projects a venv.

Rendering copies ``copier.yml`` and ``template/`` into a plain folder first, so
Copier renders exactly what is on disk (uncommitted changes included) without
git. Venvs are shared between projects with the same dependency set and cached
across runs; creation is locked because tests run in parallel.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import copier

from .tools import REPO_ROOT, cache_dir, require, require_python, require_uv

TEMPLATE_FILES = ("copier.yml", "template")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ruff_cache", ".pytest_cache")


def snapshot_template(dest: Path) -> Path:
    """Copy the template's own files (working tree, not git) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in TEMPLATE_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=_IGNORE)
        else:
            shutil.copy2(source, dest / name)
    return dest


def render(template: Path, dest: Path, data: Mapping[str, Any] | None = None) -> Path:
    """``copier copy --defaults`` (no --trust) with ``data`` as the answers."""
    copier.run_copy(
        str(template),
        str(dest),
        data=dict(data or {}),
        defaults=True,
        unsafe=False,
        quiet=True,
        overwrite=True,
    )
    return dest


def copier_cli(
    *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real ``copier`` command line, as a user runs it, with stdin closed: a prompt fails, not hangs."""
    return subprocess.run(
        [sys.executable, "-m", "copier", *args],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def project_requirements(project: Path, *, dev: bool = True) -> list[str]:
    """``[project] dependencies`` (what Vercel's builder installs), plus the dev group unless ``dev=False``."""
    path = project / "pyproject.toml"
    pyproject = tomllib.loads(path.read_text()) if path.is_file() else {}
    runtime = pyproject.get("project", {}).get("dependencies", [])
    return [*runtime, *(pyproject.get("dependency-groups", {}).get("dev", []) if dev else [])]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` across processes (pytest-xdist workers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def shared_venv(python_version: str, requirements: Sequence[str]) -> Path:
    """A venv with ``requirements`` for ``python_version``, shared and cached by content."""
    python = require_python(python_version)
    uv = require_uv()
    key = hashlib.sha256("\n".join([python_version, *sorted(requirements)]).encode()).hexdigest()[:16]
    root = cache_dir("venvs")
    venv = root / f"py{python_version}-{key}"
    with locked(root / f"{venv.name}.lock"):
        if (venv / ".complete").exists():
            return venv
        # A half-built venv (an earlier run was killed) has no marker: start over.
        # It is built under its final name because venv scripts embed their path.
        shutil.rmtree(venv, ignore_errors=True)
        run_checked([uv, "venv", "--quiet", "--python", python, str(venv)])
        run_checked([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *requirements])
        (venv / ".complete").write_text("\n".join(requirements))
    return venv


def project_venv(project: Path, python_version: str, extra: Sequence[str] = ()) -> Path:
    return shared_venv(python_version, [*project_requirements(project), *extra])


def run_checked(
    command: Sequence[str],
    *,
    what: str = "",
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
) -> str:
    """Run ``command``; return its stdout, or raise with all of its output when it fails.

    The one "run a command, raise with its output" helper of the test suite
    (venvs, npm, node, git, the Vercel harness); ``what`` names the step in the error.
    """
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=timeout)
    if result.returncode != 0:
        where = f" in {cwd}" if cwd is not None else ""
        raise RuntimeError(
            f"{what or command[0]} failed (exit {result.returncode}){where}: {' '.join(command)}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
    return result.stdout


def tool_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Our environment for a generated project's tools, minus pytest's own and any active venv."""
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "VIRTUAL_ENV"))}
    full_env.update(env or {})
    return full_env


def run_in_project(
    venv: Path, project: Path, *command: str, env: Mapping[str, str] | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run a tool of ``venv`` (e.g. "pytest", "ruff") inside the generated project."""
    full_env = tool_env(env)
    full_env["PATH"] = f"{venv / 'bin'}{os.pathsep}{full_env.get('PATH', '')}"
    return subprocess.run(
        [str(venv / "bin" / command[0]), *command[1:]],
        cwd=project,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def run_project_tests(
    venv: Path, project: Path, *tests: str, env: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Run some of the generated project's own tests; each must pass, none may skip in CI.

    Returns the test names by outcome (``"PASSED"``, ``"SKIPPED"``) for the caller's
    own assertions. A skip fails under CI=true and skips the calling test elsewhere
    (``require``), with pytest's reasons.
    """
    result = run_in_project(venv, project, "pytest", "-v", "-rs", "-p", "no:cacheprovider", *tests, env=env)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    outcomes: dict[str, list[str]] = {"PASSED": [], "SKIPPED": []}
    for name, outcome in re.findall(r"::(\w+) (PASSED|SKIPPED)", result.stdout):
        outcomes[outcome].append(name)
    require(not outcomes["SKIPPED"], f"the project's tests skipped:\n{result.stdout}")
    return outcomes


PROJECT_CHECKS = (
    ("ruff", "check", "."),
    ("ruff", "format", "--check", "."),
    ("pytest", "-q", "-p", "no:cacheprovider"),
)


def assert_project_checks_pass(
    venv: Path, project: Path, *, env: Mapping[str, str] | None = None, label: str = ""
) -> None:
    """The generated project's own lint, format check and tests pass, and tests did run."""
    for command in PROJECT_CHECKS:
        result = run_in_project(venv, project, *command, env=env)
        assert result.returncode == 0, f"{label}{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    assert "passed" in result.stdout
