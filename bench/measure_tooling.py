"""(6) ``copier copy --defaults`` wall time against a one-file template."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .common import Series, interleaved, timed_run
from .subjects import Setup

ONE_FILE_COPIER = """\
_min_copier_version: "9.4.0"
project_name:
  type: str
  help: Name of the project
  default: My Service
"""


def one_file_template(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "copier.yml").write_text(ONE_FILE_COPIER)
    (dest / "README.md.jinja").write_text("# {{ project_name }}\n")
    return dest


def copier_copy(setup: Setup, rounds: int, *, warmup: bool = True) -> dict[str, Series]:
    """Wall time (ms) of the real CLI, as a user runs it, for both templates."""
    templates = {"generated": setup.template, "one-file": one_file_template(setup.workdir / "one-file-template")}
    scratch = setup.workdir / "copies"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}

    def measure(label: str) -> float:
        dest = scratch / label
        shutil.rmtree(dest, ignore_errors=True)
        command = [sys.executable, "-m", "copier", "copy", "--defaults", "--quiet", str(templates[label]), str(dest)]
        return timed_run(command, cwd=setup.workdir, env=env)

    for label in templates if warmup else ():
        measure(label)
    return interleaved(rounds, list(templates), measure, "ms")
