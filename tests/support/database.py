"""Apply a generated project's migrations, as `make migrate` (or the init function) would.

Requests never create tables, so a test that serves a generated project and writes
items (or audit events) migrates its database first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .render import run_checked, tool_env


def migrate(project: Path, python: str, env: Mapping[str, str]) -> str:
    """Run ``python -m <package>.db.migrate`` in ``project`` with ``env``; its output."""
    (package,) = (path.name for path in (project / "src").iterdir() if path.is_dir())
    return run_checked(
        [python, "-m", f"{package}.db.migrate"],
        cwd=project,
        env={**tool_env(env), "PYTHONPATH": "src"},
        timeout=120,
    )
