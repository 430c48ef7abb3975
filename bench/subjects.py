"""What is measured: the generated projects and the bare app, each with its venvs and build.

The bare app is ``bench/bare_app`` (FastAPI's hello-world with an async
``/health`` route). Its venvs are pinned to the exact versions the generated
project's venv resolved, so both sides run the same FastAPI, Starlette,
Pydantic and uvicorn.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from support.render import project_venv, render, shared_venv, snapshot_template  # isort: skip
from support import vercel  # isort: skip

T = TypeVar("T")
BARE_APP = Path(__file__).with_name("bare_app")
PYTHON_VERSION = "3.12"  # the Vercel runtime needs 3.12+; 3.12 is Vercel's default
SHARED = ("fastapi", "starlette", "pydantic", "pydantic-core", "uvicorn", "httpx", "h11", "anyio")
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Subject:
    name: str
    root: Path
    dev_python: str
    env: dict[str, str] = field(default_factory=dict)
    runtime_python: str | None = None
    build_output: Path | None = None  # the default build (no bytecode)
    function_dir: Path | None = None  # that build's function laid out as deployed (no .pyc)
    compiled_output: Path | None = None  # the build with bytecode (generated: its own `make build`)
    compiled_dir: Path | None = None  # that build's function laid out as deployed
    bundle_bytes: int = 0
    bundle_files: int = 0


@dataclass
class Setup:
    workdir: Path
    template: Path
    subjects: dict[str, Subject]
    versions: dict[str, str]
    python312: str | None
    notes: list[str] = field(default_factory=list)


def attempt(what: str, notes: list[str], action: Callable[[], T]) -> T | None:
    """Run an optional step; a missing tool or a failure becomes a note, not a crash."""
    try:
        return action()
    except (Exception, pytest.skip.Exception, pytest.fail.Exception) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        notes.append(f"{what}: unavailable ({first})")
        print(f"[bench] {what}: unavailable: {exc}", flush=True)
        return None


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def installed_versions(python: str, names: tuple[str, ...] = SHARED) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m\n"
        "out = {}\n"
        f"for n in {list(names)!r}:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    result = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return dict(json.loads(result.stdout))


def bundle_size(output: Path) -> tuple[int, int]:
    """Bytes and files of ``api/index.func``: its own files plus every file of its filePathMap."""
    build_root = output.parent.parent
    func_dir = output / "functions" / "api" / "index.func"
    files = [build_root / source for source in vercel.function_config(output)["filePathMap"].values()]
    files += [path for path in func_dir.iterdir() if path.is_file()]
    return sum(path.stat().st_size for path in files), len(files)


def prepare(workdir: Path, *, with_builds: bool = True, with_runtime: bool = True) -> Setup:
    """Render the projects, copy the bare app, make (or reuse) venvs, run `vercel build`."""
    notes: list[str] = []
    template = snapshot_template(workdir / "template")
    projects: dict[str, tuple[Path, dict[str, Any]]] = {
        "generated": (workdir / "generated", {}),
        "generated-noaudit": (workdir / "generated-noaudit", {"audit_log": False}),
    }
    if postgres_reachable():
        projects["generated-pg"] = (workdir / "generated-pg", {"audit_backend": "postgres"})
    else:
        notes.append("PostgreSQL at 127.0.0.1:5432 not reachable: audit cost measured on SQLite only")
    for path, data in projects.values():
        render(template, path, data)
    bare_root = workdir / "bare"
    shutil.copytree(BARE_APP, bare_root, ignore=shutil.ignore_patterns("__pycache__", ".vercel"))

    print("[bench] venvs (cached after the first run)...", flush=True)
    subjects: dict[str, Subject] = {}
    for name, (path, _) in projects.items():
        venv = project_venv(path, PYTHON_VERSION)
        subjects[name] = Subject(name, path, str(venv / "bin" / "python"))
    versions = installed_versions(subjects["generated"].dev_python)
    pinned = [f"{name}=={versions[name]}" for name in SHARED if name in versions]
    bare_venv = shared_venv(PYTHON_VERSION, pinned)
    subjects["bare"] = Subject("bare", bare_root, str(bare_venv / "bin" / "python"))
    versions.update(installed_versions(subjects["generated"].dev_python, ("pydantic-settings",)))

    # Every generated project writes its SQLite audit log into the run's folder.
    for name, subject in subjects.items():
        if name.startswith("generated"):
            subject.env["APP_AUDIT_DB_PATH"] = str(workdir / "var" / f"{name}-audit.db")
    if "generated-pg" in subjects:
        subjects["generated-pg"].env["DATABASE_URL"] = POSTGRES_URL

    from support.tools import find_python

    python312 = find_python(PYTHON_VERSION)
    runtime_pins = [f"{name}=={versions[name]}" for name in ("fastapi", "starlette", "pydantic", "pydantic-core")]
    if with_runtime:
        generated_runtime = attempt(
            "Vercel runtime venv",
            notes,
            lambda: vercel.runtime_python([*runtime_pins, f"pydantic-settings=={versions['pydantic-settings']}"]),
        )
        bare_runtime = attempt("Vercel runtime venv (bare)", notes, lambda: vercel.runtime_python(runtime_pins))
        if generated_runtime and bare_runtime:
            subjects["generated"].runtime_python = generated_runtime
            subjects["bare"].runtime_python = bare_runtime
            versions["vercel-runtime"] = vercel.VERCEL_RUNTIME_VERSION
    if with_builds:
        _build_functions(subjects, workdir, notes)
        cli = attempt("Vercel CLI versions", notes, vercel.cli_versions) or {}
        names = {
            "vercel": "vercel CLI",
            "@vercel/python": "@vercel/python (bundled)",
            "vercel-runtime": "vercel-runtime (in built functions)",
        }
        versions.update({names[name]: version for name, version in cli.items()})
    return Setup(workdir, template, subjects, versions, python312, notes)


# How each subject is built with bytecode: the generated project as it deploys (its own
# `make build`), the bare app with the variable that turns the builder's compile step on.
COMPILED_BUILDS: dict[str, dict[str, Any]] = {
    "generated": {"command": ("make", "build")},
    "bare": {"env": {"VERCEL_PYTHON_COMPILEALL": "1"}},
}


def _build_functions(subjects: dict[str, Subject], workdir: Path, notes: list[str]) -> None:
    """`vercel build` each of generated and bare twice (default, and with bytecode); lay the functions out."""
    for name, compiled in COMPILED_BUILDS.items():
        subject = subjects[name]
        for kind, options in (("default", {}), ("compiled", compiled)):
            print(f"[bench] vercel build of {name} ({kind})...", flush=True)
            output = attempt(
                f"vercel build ({name}, {kind})",
                notes,
                lambda s=subject, k=kind, o=options: vercel.vercel_build(
                    s.root, workdir=workdir / f"build-{s.name}-{k}", **o
                ),
            )
            if output is None:
                continue
            if kind == "default":
                subject.build_output = output
                subject.bundle_bytes, subject.bundle_files = bundle_size(output)
                subject.function_dir = vercel.materialize_function(output, workdir / f"function-{name}")
            else:
                subject.compiled_output = output
                subject.compiled_dir = vercel.materialize_function(output, workdir / f"function-{name}-compiled")
