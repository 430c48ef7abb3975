"""Break a generated project on purpose, each way a user could: the checklist and the doctor catch it.

Each breakage is applied to a copy of the default project; then both the
generated ``tests/test_checklist.py`` (pytest) and ``python -m tools.doctor
--json`` must fail, naming the file that was broken. The untouched project
must pass both. The doctor runs from the project root, as ``make doctor`` does
(the project itself is not installed in the shared venv: the doctor needs no install).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support.render import project_venv, run_in_project

PKG = "src/my_service"
DOCTOR = ("python", "-m", "tools.doctor")


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
    "vercel-unknown-function-key": (
        lambda p: _vercel(p, lambda c: c["functions"]["api/index.py"].update(maxDurration=30)),
        "vercel.json",
    ),
    "vercel-max-duration-zero": (
        lambda p: _vercel(p, lambda c: c["functions"]["api/index.py"].update(maxDuration=0)),
        "vercel.json",
    ),
    "vercel-max-duration-above-the-cli-bound": (
        lambda p: _vercel(p, lambda c: c["functions"]["api/index.py"].update(maxDuration=3601)),
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
    result = run_in_project(venv, project, *DOCTOR, "--json")
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
    text = run_in_project(venv, project, *DOCTOR)
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
        text = run_in_project(venv, project, *DOCTOR)
        assert text.returncode == 1
        assert f"{expected_file}:1: " in text.stdout and "— fix: " in text.stdout, text.stdout
        assert "circular import" in text.stdout

    code, output = _checklist(venv, project)
    assert code != 0, f"the checklist tests missed {breakage}:\n{output}"
    assert expected_file in output and "fix:" in output, output


def test_unknown_top_level_vercel_key_warns_without_failing(default_project: Path, tmp_path: Path, venv: Path) -> None:
    """`vercel build` lets unknown top-level keys through, so a key newer than the doctor must not fail."""
    project = _copy(default_project, tmp_path)
    _vercel(project, lambda c: c.update(regionz=["iad1"]))

    code, report, stderr = _doctor(venv, project)
    assert code == 0 and report["ok"], f"an unknown top-level key failed the doctor\n{report}\n{stderr}"
    warned = [check for check in report["checks"] if check["warning"]]
    assert [check["file"] for check in warned] == ["vercel.json"], warned
    assert "regionz" in warned[0]["message"] and warned[0]["line"] > 1 and warned[0]["fix"]
    text = run_in_project(venv, project, *DOCTOR)
    assert text.returncode == 0 and "\nWARN vercel.json: top-level key `regionz`" in text.stdout, text.stdout

    code, output = _checklist(venv, project)
    assert code == 0, output
    assert "regionz" in output and "warning" in output, output


# Each vercel.json function setting and whether Vercel CLI 64's `vercel build` accepts it
# (read from the CLI's own schema: see tools/doctor/vercel_schema.py in a generated project).
FUNCTION_SETTINGS = [
    ({"maxDuration": 1}, True),
    ({"maxDuration": 1801}, True),
    ({"maxDuration": 3600}, True),
    ({"maxDuration": "max"}, True),
    ({"maxDuration": 60.0}, True),
    ({"maxDuration": 0}, False),
    ({"maxDuration": 3601}, False),
    ({"maxDuration": 10.5}, False),
    ({"maxDuration": True}, False),
    ({"maxDuration": "60"}, False),
    ({"memory": 1024}, True),
    ({"memory": 64}, False),
    ({"excludeFiles": "{" + ",".join(f"dir{n}/**" for n in range(30)) + "}"}, False),  # > 256 characters
    ({"affinity": {"mode": "strict"}}, True),
    ({"maxDurration": 10}, False),
]

VERCEL_VERDICTS = """
import json, sys
from pathlib import Path
from tools.doctor.layout import load_project
from tools.doctor.vercel_json import check_vercel_json

root = Path.cwd()
base = json.loads((root / "vercel.json").read_text())
verdicts = []
for settings, config in json.loads(sys.argv[1]):
    data = json.loads(json.dumps(base))
    data["functions"]["api/index.py"] = settings
    data["schedules"] = [{"path": "/api/init", "schedule": "0 5 * * *"}]
    (root / "vercel.json").write_text(json.dumps(data, indent=2))
    project = load_project(root)
    project.config.update(config)
    results = check_vercel_json(project)
    verdicts.append({"ok": all(r.ok for r in results), "warnings": [r.message for r in results if r.warning]})
print(json.dumps(verdicts))
"""


def test_vercel_json_rules_follow_what_the_cli_builds(default_project: Path, tmp_path: Path, venv: Path) -> None:
    """maxDuration 1..3600 or "max", memory, glob length, known keys; `schedules` is known; a plan limit is opt-in."""
    project = _copy(default_project, tmp_path)
    cases = [(settings, {}) for settings, _ in FUNCTION_SETTINGS]
    cases += [({"maxDuration": 301}, {"max_duration_limit": 300}), ({"maxDuration": 300}, {"max_duration_limit": 300})]
    expected = [accepted for _, accepted in FUNCTION_SETTINGS] + [False, True]
    result = run_in_project(venv, project, "python", "-c", VERCEL_VERDICTS, json.dumps(cases))
    assert result.returncode == 0, result.stderr
    verdicts = json.loads(result.stdout)
    checked = zip(cases, verdicts, expected, strict=True)
    wrong = [(case, verdict) for case, verdict, ok in checked if verdict["ok"] != ok]
    assert not wrong, wrong
    assert all(verdict["warnings"] == [] for verdict in verdicts), "`schedules` is a known top-level key"
