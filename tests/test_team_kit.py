"""The team starter kit: a data file of pinned answers, and Copier's user settings file.

Both are run through the real ``copier`` command line with stdin closed, so any
question Copier would still ask makes the command fail instead of hanging.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from support.gitrepo import answers, isolated_env
from support.render import copier_cli
from support.tools import REPO_ROOT

TEAM_FILE = REPO_ROOT / "examples" / "team.yml"
SETTINGS_FILE = REPO_ROOT / "examples" / "settings.yml"


def team_answers() -> dict[str, object]:
    loaded = yaml.safe_load(TEAM_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_team_file_answers_only_real_questions(template_dir: Path) -> None:
    questions = {key for key in yaml.safe_load((template_dir / "copier.yml").read_text()) if not key.startswith("_")}
    assert set(team_answers()) <= questions
    assert team_answers()["database"] == "postgres"


def test_generating_from_the_team_file_needs_no_prompt(template_dir: Path, tmp_path: Path) -> None:
    """The documented command: --defaults plus the team file plus the service's name."""
    project = tmp_path / "orders-api"
    result = copier_cli(
        "copy", "--defaults", "--data-file", str(TEAM_FILE), "--data", "project_name=Orders API",
        str(template_dir), str(project),
        cwd=tmp_path, env=isolated_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    recorded = answers(project)
    for key, value in team_answers().items():
        assert recorded[key] == value, key
    assert recorded["project_name"] == "Orders API"
    assert recorded["package_name"] == "orders_api"
    # The answers reach the code, not only the answers file.
    project_py = (project / "src" / "orders_api" / "project.py").read_text()
    assert '"PAY_"' in project_py
    assert "https://admin.pay.example.com" in project_py
    assert '{ name = "Payments Platform Team"' in (project / "pyproject.toml").read_text()
    assert (project / "src" / "orders_api" / "audit" / "postgres.py").is_file()


def test_without_defaults_copier_asks_what_the_file_leaves_open(template_dir: Path, tmp_path: Path) -> None:
    """Why the docs say --defaults: a data file alone still leaves questions to ask."""
    result = copier_cli(
        "copy", "--data-file", str(TEAM_FILE), str(template_dir), str(tmp_path / "p"),
        cwd=tmp_path, env=isolated_env(tmp_path),
    )  # fmt: skip
    assert result.returncode != 0
    assert "--defaults" in result.stderr
    assert not (tmp_path / "p" / "pyproject.toml").exists()


def test_user_settings_defaults_replace_the_template_defaults(template_dir: Path, tmp_path: Path) -> None:
    """COPIER_SETTINGS_PATH -> settings.yml `defaults:`; --data still wins over them."""
    env = isolated_env(tmp_path, {"COPIER_SETTINGS_PATH": str(SETTINGS_FILE)})
    project = tmp_path / "svc"
    result = copier_cli(
        "copy", "--defaults", "--data", "author_email=oncall@example.com", str(template_dir), str(project),
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    recorded = answers(project)
    assert recorded["author_name"] == "Payments Platform Team"
    assert recorded["env_prefix"] == "PAY_"
    assert recorded["author_email"] == "oncall@example.com"
