"""Break a generated project on purpose, each way a user could: the checklist and the doctor catch it.

Each breakage is applied to a copy of the default project; then both the
generated ``tests/test_checklist.py`` (pytest) and ``python -m my_service.doctor
--json`` must fail, naming the file that was broken. The untouched project
must pass both. The doctor runs from the project root with ``PYTHONPATH=src:.``
(the project itself is not installed in the shared venv).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support.render import project_venv, run_in_project

PKG = "src/my_service"
DOCTOR_ENV = {"PYTHONPATH": "src:."}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path}: {old!r} not found (the template changed?)"
    path.write_text(text.replace(old, new, 1))


def _vercel(project: Path, change: Callable[[dict], None]) -> None:
    config = json.loads((project / "vercel.json").read_text())
    change(config)
    (project / "vercel.json").write_text(json.dumps(config, indent=2))


ENTRY_APP_LINE = '\napp = LazyApp("my_service.main:create_app", env_prefix="APP_")\n'

# id -> (how to break the project, the file every report must name)
BREAKAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "environ-subscript-at-import": (
        lambda p: _write(p / PKG / "flags.py", 'import os\n\nFEATURE_X = os.environ["FEATURE_X"]\n'),
        f"{PKG}/flags.py",
    ),
    "getenv-with-default-at-import": (
        lambda p: _edit(
            p / PKG / "routers/items.py",
            "\nrouter = ",
            '\nimport os  # noqa: E402\n\nPAGE_SIZE = os.getenv("APP_PAGE_SIZE", "50")\n\nrouter = ',
        ),
        f"{PKG}/routers/items.py",
    ),
    "file-opened-for-writing-at-import": (
        lambda p: _write(p / PKG / "cache.py", 'CACHE = open("cache.json", "w")  # noqa: SIM115\n'),
        f"{PKG}/cache.py",
    ),
    "socket-connect-at-import": (
        lambda p: _write(
            p / PKG / "telemetry.py",
            "import socket\n\ntry:\n    CONN = socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
            "except OSError:\n    CONN = None\n",
        ),
        f"{PKG}/telemetry.py",
    ),
    "sqlite-connect-when-the-app-is-built": (
        lambda p: _edit(
            p / PKG / "main.py",
            "    app.state.settings = settings\n",
            "    import sqlite3\n\n    app.state.db = sqlite3.connect('app.db')\n    app.state.settings = settings\n",
        ),
        f"{PKG}/main.py",
    ),
    "circular-import": (
        lambda p: (
            _write(p / PKG / "pricing.py", "from .discounts import discount\n\n\ndef price() -> int:\n    return 1\n"),
            _write(
                p / PKG / "discounts.py", "from .pricing import price\n\n\ndef discount() -> int:\n    return price()\n"
            ),
        ),
        f"{PKG}/discounts.py",
    ),
    "package-without-init": (
        lambda p: _write(p / PKG / "services/billing.py", "def charge() -> int:\n    return 0\n"),
        f"{PKG}/services",
    ),
    "app-assigned-inside-try": (
        lambda p: _edit(
            p / "api/index.py",
            ENTRY_APP_LINE,
            '\ntry:\n    app = LazyApp("my_service.main:create_app", env_prefix="APP_")\n'
            "except Exception:\n    app = None\n",
        ),
        "api/index.py",
    ),
    "app-under-another-name": (
        lambda p: _edit(
            p / "api/index.py",
            ENTRY_APP_LINE,
            "\nfrom my_service.main import create_app  # noqa: E402\n\napi = create_app()\n",
        ),
        "api/index.py",
    ),
    "vercel-unknown-key": (
        lambda p: _vercel(p, lambda c: c.update(regionz=["iad1"])),
        "vercel.json",
    ),
    "vercel-max-duration-zero": (
        lambda p: _vercel(p, lambda c: c["functions"]["api/index.py"].update(maxDuration=0)),
        "vercel.json",
    ),
    "vercel-pattern-matching-no-file": (
        lambda p: _vercel(p, lambda c: c["functions"].update({"api/missing.py": {"maxDuration": 5}})),
        "vercel.json",
    ),
    "vercel-no-rewrite-to-the-entry": (
        lambda p: _vercel(p, lambda c: c.update(rewrites=[{"source": "/docs", "destination": "/api/index"}])),
        "vercel.json",
    ),
    "entry-imports-fastapi": (
        lambda p: _edit(
            p / "api/index.py", "\nimport importlib\n", "\nimport importlib\n\nimport fastapi  # noqa: F401\n"
        ),
        "api/index.py",
    ),
    "entry-reads-env-at-import": (
        lambda p: _edit(p / "api/index.py", ENTRY_APP_LINE, ENTRY_APP_LINE + 'REGION = os.environ["VERCEL_REGION"]\n'),
        "api/index.py",
    ),
    "app-import-over-budget": (
        lambda p: _edit(
            p / "pyproject.toml", "[tool.ruff]", "[tool.my_service.doctor]\napp_import_budget_ms = 40\n\n[tool.ruff]"
        ),
        f"{PKG}/main.py",
    ),
}


@pytest.fixture(scope="module")
def venv(default_project: Path) -> Path:
    return project_venv(default_project, "3.12")


def _copy(default_project: Path, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(default_project, project)
    return project


def _doctor(venv: Path, project: Path) -> tuple[int, dict, str]:
    result = run_in_project(venv, project, "python", "-m", "my_service.doctor", "--json", env=DOCTOR_ENV)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"doctor --json printed no JSON:\n{result.stdout}\n{result.stderr}")
    return result.returncode, report, result.stderr


def _checklist(venv: Path, project: Path) -> tuple[int, str]:
    result = run_in_project(venv, project, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_checklist.py")
    return result.returncode, result.stdout + result.stderr


def test_untouched_project_passes_the_doctor_and_the_checklist(
    default_project: Path, tmp_path: Path, venv: Path
) -> None:
    project = _copy(default_project, tmp_path)
    code, report, stderr = _doctor(venv, project)
    failures = [check for check in report["checks"] if not check["ok"]]
    assert code == 0 and report["ok"], f"{failures}\n{stderr}"
    code, output = _checklist(venv, project)
    assert code == 0, output
    # Text mode: one PASS line per check and a summary.
    text = run_in_project(venv, project, "python", "-m", "my_service.doctor", env=DOCTOR_ENV)
    assert text.returncode == 0
    assert text.stdout.count("\nPASS ") + text.stdout.startswith("PASS ") == len(report["checks"])


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_breakage_fails_the_doctor_and_the_checklist_naming_the_file(
    breakage: str, default_project: Path, tmp_path: Path, venv: Path
) -> None:
    project = _copy(default_project, tmp_path)
    apply, expected_file = BREAKAGES[breakage]
    apply(project)

    code, report, stderr = _doctor(venv, project)
    failures = [check for check in report["checks"] if not check["ok"]]
    assert code == 1 and not report["ok"], f"the doctor missed {breakage}\n{stderr}"
    named = [check for check in failures if check["file"].startswith(expected_file)]
    assert named, f"no failure names {expected_file}: {failures}"
    assert all(check["fix"] and check["message"] for check in named)
    if expected_file.endswith(".py"):
        assert any(check["line"] > 0 for check in named), named

    if breakage == "circular-import":  # the text output, once: a FAIL line with file:line and fix
        text = run_in_project(venv, project, "python", "-m", "my_service.doctor", env=DOCTOR_ENV)
        assert text.returncode == 1
        assert f"{expected_file}:1: " in text.stdout and "— fix: " in text.stdout, text.stdout
        assert "circular import" in text.stdout

    code, output = _checklist(venv, project)
    assert code != 0, f"the checklist tests missed {breakage}:\n{output}"
    assert expected_file in output and "fix:" in output, output
