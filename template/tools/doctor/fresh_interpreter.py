"""Fresh interpreters for the checks: ``sys.executable``, isolated, with an EMPTY environment.

Vercel imports the entry in a new process whose environment may lack every
variable the developer has locally, so each import check starts a new
interpreter with ``env={}`` and ``-I`` (no PYTHONPATH, no user site, no cwd on
sys.path). The project is made importable explicitly: ``src/`` and the root
go first on sys.path, as pytest's ``pythonpath`` and api/index.py do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fresh_probe import MARKER
from .layout import Project

PROBE = Path(__file__).with_name("fresh_probe.py")


@dataclass(frozen=True)
class ProbeOutcome:
    """What the probe reported, or why it could not report (crash, exit, timeout)."""

    data: dict[str, Any] | None
    returncode: int
    stderr: str

    def crash(self) -> str:
        tail = self.stderr.strip().splitlines()[-3:]
        detail = " | ".join(tail) if tail else "no output"
        return (
            f"the interpreter ended (exit {self.returncode}) before the import finished: {detail}"
        )


def python_paths(project: Project) -> list[str]:
    return [str(project.src), str(project.root)]


def run_python(
    project: Project, args: list[str], *, bytecode: bool = True
) -> subprocess.CompletedProcess[str]:
    flags = ["-I"] if bytecode else ["-I", "-B"]
    timeout = float(project.setting("timeout_seconds"))
    try:
        return subprocess.run(
            [sys.executable, *flags, *args],
            cwd=project.root,
            env={},
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, -1, "", f"timed out after {timeout:g}s")


def _spec(project: Project, **extra: Any) -> dict[str, Any]:
    return {
        "paths": python_paths(project),
        "project_dirs": [str(project.package_dir), str(project.root / "api")],
        "prefixes": project.env_names(),
        **extra,
    }


def _results(completed: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [
        json.loads(line[len(MARKER) :])
        for line in completed.stdout.splitlines()
        if line.startswith(MARKER)
    ]


def run_probe(
    project: Project, module: str, *, build: str | None = None, bytecode: bool = True
) -> ProbeOutcome:
    """Import ``module`` (then build the app with ``build``, "module:callable") under watch.

    ``bytecode=False`` runs with ``-B`` as Vercel does (PYTHONDONTWRITEBYTECODE=1).
    """
    spec = _spec(project, module=module, build=build)
    completed = run_python(project, [str(PROBE), json.dumps(spec)], bytecode=bytecode)
    found = _results(completed)
    return ProbeOutcome(found[-1] if found else None, completed.returncode, completed.stderr)


def probe_modules(project: Project, modules: list[str]) -> dict[str, ProbeOutcome]:
    """Each module imported first thing in a clean process (one fork each, or one process each)."""
    if not hasattr(os, "fork"):
        return {module: run_probe(project, module) for module in modules}
    spec = _spec(project, modules=modules, build=None, preload=project.third_party_imports())
    completed = run_python(project, [str(PROBE), json.dumps(spec)])
    outcomes = {}
    for data in _results(completed):
        crashed = data.get("crashed")
        outcomes[data["module"]] = ProbeOutcome(
            None if crashed is not None else data, crashed or 0, completed.stderr
        )
    for module in modules:
        outcomes.setdefault(module, ProbeOutcome(None, completed.returncode, completed.stderr))
    return outcomes
