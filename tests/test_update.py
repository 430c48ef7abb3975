"""`copier update` as a team runs it: real git, real tags, the real `copier` command line.

The scenario every test here builds on: the template is released as ``0.1.0``; a
project is generated from that tag and committed; the team edits it the way teams
do (a new router wired into the factory, a README section, a dependency, a changed
setting default); the template moves on and is released as ``0.2.0``; the team runs
``copier update --defaults``. No test passes ``--trust`` unless it is about a migration.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.gitrepo import (
    answers,
    commit_all,
    files_with_conflicts,
    git,
    init_repo,
    is_clean,
    isolated_env,
    release,
    tagged_template,
)
from support.render import assert_project_checks_pass, copier_cli, project_venv
from support.team_edits import ORDERS_ROUTER, ORDERS_TEST

PKG = "my_service"

# ---------------------------------------------------------------- the user's edits

README_SECTION = "\n## On call\n\nPage the payments team: #payments-oncall.\n"
USER_DEPENDENCY = '    "httpx>=0.27",  # the team calls a partner API\n'
USER_LOG_LEVEL = 'log_level: LogLevel = Field("WARNING",'


def replace_once(path: Path, old: str, new: str) -> None:
    """Edit a generated file; fail loudly if the template changed under the test."""
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: expected exactly one {old!r} to edit"
    path.write_text(text.replace(old, new))


def edit_like_a_user(project: Path) -> None:
    pkg = project / "src" / PKG
    (pkg / "routers" / "orders.py").write_text(ORDERS_ROUTER)
    (project / "tests" / "test_orders.py").write_text(ORDERS_TEST)
    replace_once(
        pkg / "main.py", "from .routers import health, items\n", "from .routers import health, items, orders\n"
    )
    replace_once(
        pkg / "main.py",
        '    app.include_router(items.router, prefix="/api")\n',
        '    app.include_router(items.router, prefix="/api")\n    app.include_router(orders.router, prefix="/api")\n',
    )
    with (project / "README.md").open("a") as readme:
        readme.write(README_SECTION)
    replace_once(project / "pyproject.toml", "dependencies = [\n", "dependencies = [\n" + USER_DEPENDENCY)
    replace_once(pkg / "settings.py", 'log_level: LogLevel = Field("INFO",', USER_LOG_LEVEL)
    # The generated tests insist that .env.example documents the real defaults.
    replace_once(project / ".env.example", "# APP_LOG_LEVEL=INFO\n", "# APP_LOG_LEVEL=WARNING\n")


# ---------------------------------------------------------------- the template's next release

TEMPLATE_NOTICE = "> Generated from copier-serverless-fastapi 0.2.0: run `copier update` for newer releases."
GITIGNORE_LINE = "*.sqlite3-journal"
RELEASE_MODULE = '"""The template release this project was last updated to."""\n\nTEMPLATE_RELEASE = "0.2.0"\n'
RELEASE_TEST = """\
\"\"\"Added by template release 0.2.0: arrives with `copier update`.\"\"\"


def test_template_release_is_recorded() -> None:
    from {{ package_name }}.template_release import TEMPLATE_RELEASE

    assert TEMPLATE_RELEASE == "0.2.0"
"""


def change_template_for_0_2_0(template: Path) -> None:
    """Changes to files the user did not touch, to a file both touched (other lines), and new files."""
    root = template / "template"
    with (root / ".gitignore.jinja").open("a") as gitignore:
        gitignore.write(f"# SQLite's rollback journal next to the audit database\n{GITIGNORE_LINE}\n")
    readme = root / "README.md.jinja"
    title, rest = readme.read_text().split("\n", 1)
    readme.write_text(f"{title}\n\n{TEMPLATE_NOTICE}\n{rest}")
    (root / "src" / "{{package_name}}" / "template_release.py").write_text(RELEASE_MODULE)
    (root / "tests" / "test_template_release.py.jinja").write_text(RELEASE_TEST)


# ---------------------------------------------------------------- scenario


@dataclass
class Scenario:
    template: Path
    project: Path
    env: dict[str, str]

    def copier(self, *args: str) -> str:
        result = copier_cli(*args, cwd=self.project, env=self.env)
        assert result.returncode == 0, f"copier {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
        return result.stdout + result.stderr


def start(tmp: Path, *copy_args: str) -> Scenario:
    """Template tagged 0.1.0; a project generated from the tag and committed."""
    env = isolated_env(tmp)
    template = tagged_template(tmp / "template", "0.1.0")
    project = tmp / "my-service"
    result = copier_cli(
        "copy", "--defaults", "--vcs-ref", "0.1.0", *copy_args, str(template), str(project), cwd=tmp, env=env
    )
    assert result.returncode == 0, result.stderr
    init_repo(project, "generated from copier-serverless-fastapi 0.1.0")
    return Scenario(template, project, env)


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The full story: generate at 0.1.0, edit, template releases 0.2.0, `copier update --defaults`."""
    scenario = start(tmp_path_factory.mktemp("update"))
    edit_like_a_user(scenario.project)
    commit_all(scenario.project, "our own changes")
    change_template_for_0_2_0(scenario.template)
    release(scenario.template, "0.2.0")
    scenario.copier("update", "--defaults")
    return scenario


def test_generated_project_records_the_release_it_came_from(tmp_path: Path) -> None:
    scenario = start(tmp_path)
    recorded = answers(scenario.project)
    assert recorded["_commit"] == "0.1.0"
    assert Path(recorded["_src_path"]) == scenario.template


def test_copy_without_vcs_ref_uses_the_latest_pep440_tag(tmp_path: Path) -> None:
    """Copier sorts tags as PEP 440 versions: 0.10.0 is newer than 0.9.0 (a string sort says otherwise)."""
    env = isolated_env(tmp_path)
    template = tagged_template(tmp_path / "template", "0.9.0")
    (template / "template" / "RELEASE").write_text("0.10.0\n")
    release(template, "0.10.0")
    project = tmp_path / "p"
    result = copier_cli("copy", "--defaults", str(template), str(project), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert answers(project)["_commit"] == "0.10.0"
    assert (project / "RELEASE").read_text() == "0.10.0\n"


def test_update_brings_the_template_changes(updated: Scenario) -> None:
    project = updated.project
    assert GITIGNORE_LINE in (project / ".gitignore").read_text().splitlines()
    assert (project / "src" / PKG / "template_release.py").read_text() == RELEASE_MODULE
    assert "from my_service.template_release import" in (project / "tests/test_template_release.py").read_text()
    assert TEMPLATE_NOTICE in (project / "README.md").read_text()


def test_update_keeps_the_users_edits(updated: Scenario) -> None:
    project = updated.project
    pkg = project / "src" / PKG
    assert (pkg / "routers" / "orders.py").read_text() == ORDERS_ROUTER
    assert (project / "tests" / "test_orders.py").read_text() == ORDERS_TEST
    main = (pkg / "main.py").read_text()
    assert "from .routers import health, items, orders\n" in main
    assert 'app.include_router(orders.router, prefix="/api")' in main
    assert (project / "README.md").read_text().endswith(README_SECTION)
    assert USER_DEPENDENCY in (project / "pyproject.toml").read_text()
    assert USER_LOG_LEVEL in (pkg / "settings.py").read_text()
    assert "# APP_LOG_LEVEL=WARNING\n" in (project / ".env.example").read_text()


def test_update_leaves_no_conflicts_where_only_one_side_changed(updated: Scenario) -> None:
    assert files_with_conflicts(updated.project) == []


def test_update_keeps_the_answers_and_records_the_new_release(updated: Scenario) -> None:
    recorded = answers(updated.project)
    assert recorded["_commit"] == "0.2.0"
    assert recorded["project_name"] == "My Service"
    assert recorded["package_name"] == PKG
    assert recorded["cors_origins"] == ["http://localhost:3000"]
    assert recorded["audit_log"] is True


def test_update_leaves_the_changes_for_review_uncommitted(updated: Scenario) -> None:
    """Copier applies the update to the working tree; the team reviews `git diff` and commits."""
    changed = git(updated.project, "status", "--porcelain", env=updated.env)
    assert ".copier-answers.yml" in changed
    assert ".gitignore" in changed


def test_update_refuses_a_dirty_project(tmp_path: Path) -> None:
    """Uncommitted work is never mixed into an update: Copier stops and says why."""
    scenario = start(tmp_path)
    release(scenario.template, "0.2.0")
    (scenario.project / "README.md").write_text("work in progress\n")
    result = copier_cli("update", "--defaults", cwd=scenario.project, env=scenario.env)
    assert result.returncode != 0
    assert "dirty" in result.stderr.lower()
    assert (scenario.project / "README.md").read_text() == "work in progress\n"
    assert answers(scenario.project)["_commit"] == "0.1.0"


# ---------------------------------------------------------------- both sides change the same line

TEMPLATE_LOG_LEVEL = 'log_level: LogLevel = Field("ERROR",'


def conflicting_release(tmp: Path, *copy_args: str) -> Scenario:
    """User sets log_level's default to WARNING; the template's 0.2.0 sets it to ERROR."""
    scenario = start(tmp, *copy_args)
    replace_once(scenario.project / "src" / PKG / "settings.py", 'log_level: LogLevel = Field("INFO",', USER_LOG_LEVEL)
    commit_all(scenario.project, "quieter logs")
    replace_once(
        scenario.template / "template" / "src" / "{{package_name}}" / "settings.py.jinja",
        'log_level: LogLevel = Field("INFO",',
        TEMPLATE_LOG_LEVEL,
    )
    release(scenario.template, "0.2.0")
    return scenario


def test_same_line_conflict_is_shown_inline_by_default(tmp_path: Path) -> None:
    scenario = conflicting_release(tmp_path)
    scenario.copier("update", "--defaults")
    settings = (scenario.project / "src" / PKG / "settings.py").read_text()
    # Both versions are in the file between git's conflict markers: nothing is lost.
    assert USER_LOG_LEVEL in settings
    assert TEMPLATE_LOG_LEVEL in settings
    # Copier labels the sides: the project as it was, and the template's new version.
    assert "<<<<<<< before updating\n    " + USER_LOG_LEVEL in settings
    assert "=======\n    " + TEMPLATE_LOG_LEVEL in settings
    assert ">>>>>>> after updating\n" in settings
    assert files_with_conflicts(scenario.project) == [f"src/{PKG}/settings.py"]
    # Copier exits 0 and prints no warning: the report is git's. The file is unmerged
    # (UU) until the team resolves it, and `git diff --check` fails on the markers.
    assert f"UU src/{PKG}/settings.py" in git(scenario.project, "status", "--porcelain", env=scenario.env)
    check = subprocess.run(
        ["git", "diff", "--check"], cwd=scenario.project, env=scenario.env, capture_output=True, text=True, check=False
    )
    assert check.returncode != 0
    assert "conflict marker" in check.stdout
    assert answers(scenario.project)["_commit"] == "0.2.0"


def test_same_line_conflict_goes_to_a_rej_file_with_conflict_rej(tmp_path: Path) -> None:
    scenario = conflicting_release(tmp_path)
    scenario.copier("update", "--defaults", "--conflict", "rej")
    settings_path = scenario.project / "src" / PKG / "settings.py"
    rejected = settings_path.with_name("settings.py.rej")
    assert rejected.is_file(), "the change that did not apply must be kept in a .rej file"
    kept = settings_path.read_text()
    assert not re.search(r"^<<<<<<< ", kept, re.MULTILINE)
    # One side is in the file, the other in the .rej hunk: nothing is silently lost.
    both = kept + rejected.read_text()
    assert "WARNING" in both
    assert "ERROR" in both


# ---------------------------------------------------------------- re-answering a question


def rendered_tree(project: Path) -> dict[str, str]:
    """Every file of a project and its text, minus git's folder and the answers file."""
    return {
        str(path.relative_to(project)): path.read_text()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts and path.name != ".copier-answers.yml"
    }


def test_turning_audit_log_on_during_update_adds_the_audit_files(tmp_path: Path) -> None:
    scenario = start(tmp_path, "--data", "audit_log=false")
    assert answers(scenario.project)["audit_log"] is False
    before = rendered_tree(scenario.project)
    reference = tmp_path / "reference"
    result = copier_cli(
        "copy", "--defaults", "--vcs-ref", "0.1.0", "--data", "audit_log=true", str(scenario.template), str(reference),
        cwd=tmp_path, env=scenario.env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = rendered_tree(reference)
    audit_files = sorted(name for name in set(expected) - set(before) if "audit" in name)
    assert audit_files, "audit_log=true renders no audit file: the re-answer would prove nothing"

    scenario.copier("update", "--defaults", "--data", "audit_log=true")

    recorded = answers(scenario.project)
    assert recorded["audit_log"] is True
    assert recorded["database"] == "sqlite"
    assert recorded["_commit"] == "0.1.0"
    # The project is now exactly what a fresh `audit_log=true` project is, audit files included.
    after = rendered_tree(scenario.project)
    assert sorted(set(expected) - set(after)) == []
    assert after == expected
    assert files_with_conflicts(scenario.project) == []


# ---------------------------------------------------------------- migrations need --trust

# Release 0.2.0 renames the question `author_name` to `owner_name`. Without the migration,
# `copier update --defaults` would drop the old answer and fill in the new question's default.
MIGRATION = """
_migrations:
  - version: "0.2.0"
    when: "{{ _stage == 'before' }}"
    command:
      - "{{ _copier_python }}"
      - "-c"
      - "import pathlib; p = pathlib.Path('.copier-answers.yml'); p.write_text(''.join(
        'owner_name:' + line.removeprefix('author_name:') if line.startswith('author_name:') else line
        for line in p.read_text().splitlines(keepends=True)))"
"""


def rename_question(template: Path, old: str, new: str) -> None:
    for path in [template / "copier.yml", *(template / "template").rglob("*")]:
        if path.is_file() and old in path.read_text():
            path.write_text(path.read_text().replace(old, new))


def test_migration_carries_a_renamed_answer_and_needs_trust(tmp_path: Path) -> None:
    """A release that renames a question ships a `_migrations` entry: update needs --trust, copy never does."""
    scenario = start(tmp_path, "--data", "author_name=Payments Team")
    rename_question(scenario.template, "author_name", "owner_name")
    with (scenario.template / "copier.yml").open("a") as config:
        config.write(MIGRATION)
    release(scenario.template, "0.2.0")

    # A fresh copy of 0.2.0 has nothing to migrate: no --trust.
    fresh = tmp_path / "fresh"
    copied = copier_cli("copy", "--defaults", str(scenario.template), str(fresh), cwd=tmp_path, env=scenario.env)
    assert copied.returncode == 0, copied.stderr

    refused = copier_cli("update", "--defaults", cwd=scenario.project, env=scenario.env)
    assert refused.returncode != 0
    assert "migrations" in refused.stderr
    assert "--trust" in refused.stderr
    assert is_clean(scenario.project), "a refused update must not touch the project"

    scenario.copier("update", "--defaults", "--trust")
    recorded = answers(scenario.project)
    assert recorded["owner_name"] == "Payments Team"
    assert "author_name" not in recorded
    assert recorded["_commit"] == "0.2.0"
    assert '{ name = "Payments Team"' in (scenario.project / "pyproject.toml").read_text()
    assert files_with_conflicts(scenario.project) == []


# ---------------------------------------------------------------- the updated project still works


@pytest.mark.slow
def test_updated_project_passes_its_own_lint_and_tests(updated: Scenario) -> None:
    project = updated.project
    assert_project_checks_pass(project_venv(project, "3.12"), project)
