"""A generated project's everyday workflow works on day one: make, CI, pre-commit, .env.example.

The slow tests do what a team does after `copier copy`: `make install` (real pip
and the package registries), `make lint`, `make test`, `make dev`; `uv sync` as the
alternative installer; mypy --strict and the `.env.example` drift test over the
answers that change the code.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import tomllib
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml
from support.actionlint import actionlint
from support.render import project_venv, render, run_in_project, tool_env
from support.tools import require, require_python, require_uv

WORKFLOW = Path(".github/workflows/ci.yml")


def make(
    project: Path, *args: str, env: Mapping[str, str] | None = None, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """`make <args>` in the project, with the environment a developer's shell would have."""
    require(shutil.which("make"), "make not found")
    full_env = tool_env({"PIP_DISABLE_PIP_VERSION_CHECK": "1", **(env or {})})
    return subprocess.run(
        ["make", *args],
        cwd=project,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def copy_project(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".venv", "__pycache__", ".*_cache"))
    return dest


# ---------------------------------------------------------------- files (fast)


def test_make_help_lists_the_everyday_targets(default_project: Path) -> None:
    result = make(default_project, "help")
    assert result.returncode == 0, output(result)
    for target in ("install", "dev", "test", "lint", "typecheck", "fmt", "doctor", "deploy"):
        assert f"make {target} " in result.stdout, f"`make help` does not list {target}:\n{result.stdout}"


def test_make_install_without_python_says_what_to_do(default_project: Path, tmp_path: Path) -> None:
    project = copy_project(default_project, tmp_path / "p")
    result = make(project, "install", "PYTHON=", "UV=")
    assert result.returncode != 0
    assert "Python 3.12+ not found" in result.stderr
    assert "PYTHON=/path/to/python3.12" in result.stderr
    assert not (project / ".venv").exists()


def test_make_targets_need_the_venv_first(default_project: Path) -> None:
    result = make(default_project, "test")
    assert result.returncode != 0
    assert "run 'make install' first" in result.stderr


def test_ci_workflow_runs_the_checks_with_the_projects_python(default_project: Path) -> None:
    workflow = yaml.safe_load((default_project / WORKFLOW).read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert "push" in triggers
    assert "pull_request" in triggers
    steps = workflow["jobs"]["check"]["steps"]
    setup = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["python-version-file"] == ".python-version"
    assert setup["with"]["cache"] == "pip"
    commands = [step.get("run", "") for step in steps]
    for target in ("install", "style", "typecheck", "test", "doctor"):
        assert any(command.startswith(f"make {target}") for command in commands), target
    # The optional Vercel build runs only when started by hand.
    assert workflow["jobs"]["vercel-build"]["if"] == "github.event_name == 'workflow_dispatch'"


def test_ci_workflow_passes_actionlint(default_project: Path) -> None:
    errors = actionlint(default_project / WORKFLOW)
    assert not errors, "\n".join(str(error) for error in errors)


def test_ci_workflow_starts_postgresql_for_the_postgres_backend_only(
    default_project: Path, template_dir: Path, tmp_path: Path
) -> None:
    postgres = render(template_dir, tmp_path / "p", {"audit_backend": "postgres"})
    check = yaml.safe_load((postgres / WORKFLOW).read_text())["jobs"]["check"]

    service = check["services"]["postgres"]
    assert service["image"].startswith("postgres:")
    assert service["ports"] == ["5432:5432"]
    assert "pg_isready" in service["options"]  # steps start only once it accepts connections
    url = check["env"]["TEST_DATABASE_URL"]
    assert url.startswith("postgresql://postgres:postgres@localhost:5432/")
    assert url.rsplit("/", 1)[1] == service["env"]["POSTGRES_DB"]
    errors = actionlint(postgres / WORKFLOW)
    assert not errors, "\n".join(str(error) for error in errors)
    # SQLite projects start no container.
    default = yaml.safe_load((default_project / WORKFLOW).read_text())["jobs"]["check"]
    assert "services" not in default
    assert "TEST_DATABASE_URL" not in default.get("env", {})


def test_actionlint_catches_a_broken_workflow(default_project: Path, tmp_path: Path) -> None:
    """Proof that the linter above really lints: a typo in an expression is reported."""
    broken = tmp_path / "ci.yml"
    text = (default_project / WORKFLOW).read_text()
    broken.write_text(text.replace("${{ github.ref }}", "${{ github.reff }}"))
    errors = actionlint(broken)
    assert any("reff" in error.message for error in errors), errors


def test_pre_commit_pins_the_same_ruff_as_the_dev_group(default_project: Path) -> None:
    config = yaml.safe_load((default_project / ".pre-commit-config.yaml").read_text())
    repos = {repo["repo"].rsplit("/", 1)[-1]: repo for repo in config["repos"]}
    ruff = repos["ruff-pre-commit"]
    assert {hook["id"] for hook in ruff["hooks"]} == {"ruff-check", "ruff-format"}
    dev = tomllib.loads((default_project / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    assert f"ruff=={ruff['rev'].removeprefix('v')}" in dev
    hygiene = {hook["id"] for hook in repos["pre-commit-hooks"]["hooks"]}
    assert {"trailing-whitespace", "end-of-file-fixer", "check-yaml", "check-toml"} <= hygiene
    assert {"check-added-large-files", "detect-private-key"} <= hygiene
    assert all(repo["rev"].startswith("v") for repo in config["repos"])  # pinned tags, no branches


def test_env_file_is_ignored_and_the_example_is_not(default_project: Path, tmp_path: Path) -> None:
    require(shutil.which("git"), "git not found")
    shutil.copy(default_project / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, capture_output=True)
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", ".env", ".env.local", ".env.example"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == [".env", ".env.local"]


# ---------------------------------------------------------------- day one (slow)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_with_make_dev(project: Path) -> str:
    """`make dev` on a free port; the body of /health once it answers."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "VIRTUAL_ENV"))}
    server = subprocess.Popen(
        ["make", "dev", f"PORT={port}"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # uvicorn --reload forks a worker: stop the whole group
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                    return str(response.read().decode())
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        code = server.poll()
        stderr = server.stderr.read() if code is not None and server.stderr else ""
        pytest.fail(f"make dev did not serve /health (exit {code}):\n{stderr}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return ""


UNDOCUMENTED_SETTING = """    release_channel: str = Field("stable", description="Which release feed to follow.")
"""


@pytest.mark.slow
def test_day_one_make_install_lint_test_dev(default_project: Path, tmp_path: Path) -> None:
    """clone, `make install` (plain pip), `make lint`, `make test`, `make doctor`, `make dev`."""
    python = require_python("3.12")
    project = copy_project(default_project, tmp_path / "my-service")

    installed = make(project, "install", f"PYTHON={python}", "UV=")
    assert installed.returncode == 0, output(installed)
    assert (project / ".venv/bin/pre-commit").exists()

    for target in ("lint", "test", "doctor"):
        result = make(project, target)
        assert result.returncode == 0, f"make {target}: {output(result)}"

    health = _serve_with_make_dev(project)
    assert '"status"' in health

    venv = project / ".venv"
    hooks = run_in_project(venv, project, "pre-commit", "validate-config", ".pre-commit-config.yaml")
    assert hooks.returncode == 0, output(hooks)

    # A developer adds a setting and forgets .env.example: the drift test names it.
    settings = project / "src/my_service/settings.py"
    source = settings.read_text()
    anchor = "    cron_secret: str = Field("
    assert anchor in source
    settings.write_text(source.replace(anchor, UNDOCUMENTED_SETTING + anchor, 1))
    drift = run_in_project(venv, project, "pytest", "-q", "tests/test_env_example.py")
    assert drift.returncode != 0
    assert "APP_RELEASE_CHANNEL (my_service.settings.Settings.release_channel)" in drift.stdout
    # ...and prints the two lines to add: the help from the field's description, then the default.
    lines = [line.removeprefix("E").strip() for line in drift.stdout.splitlines()]
    help_at = lines.index("# Which release feed to follow.")
    assert lines[help_at + 1] == "# APP_RELEASE_CHANNEL=stable"


@pytest.mark.slow
def test_uv_sync_installs_the_dev_group_and_the_tests_pass(default_project: Path, tmp_path: Path) -> None:
    python = require_python("3.12")
    uv = require_uv()
    project = copy_project(default_project, tmp_path / "my-service")
    installed = make(project, "install", f"PYTHON={python}", f"UV={uv}", env={"UV_PYTHON_DOWNLOADS": "never"})
    assert installed.returncode == 0, output(installed)
    assert (project / "uv.lock").is_file()  # the Vercel builder uses it when it is committed
    for tool in ("pytest", "ruff", "mypy", "pre-commit", "uvicorn"):
        assert (project / ".venv/bin" / tool).exists(), tool
    result = make(project, "test")
    assert result.returncode == 0, output(result)


@pytest.mark.slow
def test_lowest_allowed_dependencies_still_work(default_project: Path, tmp_path: Path) -> None:
    """The lower bounds in pyproject.toml are real: the oldest allowed versions pass the tests."""
    python = require_python("3.12")
    uv = require_uv()
    project = copy_project(default_project, tmp_path / "my-service")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "VIRTUAL_ENV"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    synced = subprocess.run(
        [uv, "sync", "--resolution", "lowest-direct", "--python", python],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert synced.returncode == 0, output(synced)
    result = make(project, "test")
    assert result.returncode == 0, output(result)


VARIANTS = {
    "postgres": {"audit_backend": "postgres", "env_prefix": "SVC_"},
    "minimal": {"audit_log": False, "init_function": False, "package_name": "svc"},
    "py313": {"python_version": "3.13"},
}


@pytest.mark.slow
@pytest.mark.parametrize("answers", VARIANTS.values(), ids=VARIANTS.keys())
def test_mypy_strict_and_env_example_hold_for_every_variant(
    template_dir: Path, tmp_path: Path, answers: dict[str, object]
) -> None:
    project = render(template_dir, tmp_path / "p", answers)
    venv = project_venv(project, str(answers.get("python_version", "3.12")))
    typed = run_in_project(venv, project, "mypy")
    assert typed.returncode == 0, output(typed)
    drift = run_in_project(venv, project, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_env_example.py")
    assert drift.returncode == 0, output(drift)


@pytest.mark.slow
def test_mypy_strict_rejects_an_untyped_function(default_project: Path, tmp_path: Path) -> None:
    """The type check is really strict: code without annotations fails `make typecheck`'s mypy."""
    project = copy_project(default_project, tmp_path / "my-service")
    (project / "src/my_service/helpers.py").write_text("def double(value):\n    return value * 2\n")
    venv = project_venv(project, "3.12")
    typed = run_in_project(venv, project, "mypy")
    assert typed.returncode != 0
    assert "src/my_service/helpers.py:1: error: Function is missing a type annotation" in typed.stdout
