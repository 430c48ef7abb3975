"""`copier copy --defaults` produces a complete project whose own checks pass."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from support.render import assert_project_checks_pass, project_venv, render
from support.tools import require_python


def test_defaults_render_the_documented_layout(default_project: Path) -> None:
    expected = [
        "api/index.py",
        "src/my_service/__init__.py",
        "src/my_service/main.py",
        "src/my_service/settings.py",
        "src/my_service/py.typed",
        "src/my_service/routers/health.py",
        "src/my_service/routers/items.py",
        "pyproject.toml",
        ".python-version",
        ".gitignore",
        "README.md",
        "vercel.json",
        "tests/test_entry.py",
    ]
    missing = [name for name in expected if not (default_project / name).is_file()]
    assert not missing
    leftovers = [str(path) for path in default_project.rglob("*") if "jinja" in path.name]
    assert not leftovers


def test_readme_names_exactly_the_registrys_critical_middleware(default_project: Path) -> None:
    """The operator reads which guards fail closed in the README: it must be the registry's list."""
    registry = (default_project / "src/my_service/middleware/registry.py").read_text()
    critical = re.findall(r'MiddlewareEntry\("(\w+)", critical=True', registry)
    readme = (default_project / "README.md").read_text()
    listed = re.search(r"a \*\*critical\*\* one \(([^)]*)\)", readme)
    assert critical, "no critical entry found in registry.py (the entry syntax changed?)"
    assert listed, "README.md no longer lists the critical middleware"
    assert re.findall(r"`(\w+)`", listed.group(1)) == critical


def test_answers_file_records_every_answer(default_project: Path) -> None:
    answers = yaml.safe_load((default_project / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "My Service"
    assert answers["package_name"] == "my_service"
    assert answers["env_prefix"] == "APP_"
    assert answers["cors_origins"] == ["http://localhost:3000"]
    assert answers["audit_log"] is True
    assert answers["main_max_duration"] == 10


def test_python_version_answer_reaches_the_project(default_project: Path) -> None:
    assert (default_project / ".python-version").read_text().strip() == "3.12"
    assert 'requires-python = ">=3.12"' in (default_project / "pyproject.toml").read_text()


def test_entry_is_a_top_level_app_assignment(default_project: Path) -> None:
    source = (default_project / "api/index.py").read_text()
    assert '\napp = LazyApp("my_service.main:create_app", env_prefix="APP_")\n' in source


def test_vercel_json_carries_the_durations(template_dir: Path, tmp_path: Path) -> None:
    project = render(template_dir, tmp_path / "p", {"main_max_duration": 7, "init_max_duration": 120})
    functions = json.loads((project / "vercel.json").read_text())["functions"]
    assert functions["api/index.py"]["maxDuration"] == 7
    assert functions["api/init.py"]["maxDuration"] == 120


def test_fallback_cors_origins_are_baked_in(template_dir: Path, tmp_path: Path) -> None:
    origins = ["https://app.example.com", "http://localhost:5173"]
    project = render(template_dir, tmp_path / "p", {"cors_origins": origins, "package_name": "svc"})
    namespace: dict[str, object] = {}
    exec((project / "src/svc/project.py").read_text(), namespace)  # noqa: S102 - our own generated file
    assert namespace["FALLBACK_CORS_ORIGINS"] == tuple(origins)


def test_entry_import_touches_nothing(default_project: Path) -> None:
    """`env -i python3.12 -c "import api.index"`: exit 0, no file written, no fastapi.

    ``-B`` as on Vercel (PYTHONDONTWRITEBYTECODE=1): Python's own bytecode cache
    is not the module's I/O.
    """
    code = (
        "import sys\n"
        "events = []\n"
        "def hook(event, args):\n"
        "    if event == 'open' and args[1] not in (None, 'r', 'rb') and not str(args[1]).startswith('r'):\n"
        "        events.append((event, args[0], args[1]))\n"
        "    elif event in ('socket.connect', 'socket.bind', 'subprocess.Popen', 'os.system'):\n"
        "        events.append((event,))\n"
        "sys.addaudithook(hook)\n"
        "sys.path.insert(0, '.')\n"
        "import api.index\n"
        "assert 'fastapi' not in sys.modules, 'fastapi was imported'\n"
        "assert not events, events\n"
    )
    result = subprocess.run(
        [require_python("3.12"), "-I", "-B", "-c", code],
        cwd=default_project,
        env={},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_generated_project_passes_its_own_lint_and_tests(default_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    subprocess.run(["cp", "-a", str(default_project), str(project)], check=True)
    assert_project_checks_pass(project_venv(project, "3.12"), project)


def test_no_template_file_matches_an_ignore_rule() -> None:
    """A template file that git ignores would silently drop out of a release."""
    from support.tools import REPO_ROOT

    tracked = subprocess.run(
        ["git", "ls-files", "template"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        cwd=REPO_ROOT,
        input=tracked,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert not ignored, f"template files matching an ignore rule: {ignored}"
