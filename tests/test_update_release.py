"""Existing projects can follow: a project generated from release 0.1.0 updates to this working tree.

Release 0.1.0 is commit ``34de17a`` of this repository (its tag never reached the
shared repo, so the test tags it in a clone of its own). The scenario is a team's:
generate from 0.1.0 and commit; add a route, a setting and a README line; the
template is released as 0.2.0 (this working tree, committed and tagged in the clone);
``copier update --defaults`` without ``--trust``. Then nothing the template stopped
rendering is left behind (the list comes from rendering both releases, not from a
hand-made list), the team's edits are intact, files the team did not touch carry no
conflict markers, and the project's own ``make test`` and ``make doctor`` pass.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.gitrepo import answers, commit_all, files_with_conflicts, git, init_repo, isolated_env, release
from support.render import TEMPLATE_FILES, copier_cli, project_venv, snapshot_template, tool_env
from support.team_edits import ORDERS_ROUTER, ORDERS_TEST
from support.tools import REPO_ROOT, require

RELEASE_0_1_0 = "34de17a"
PKG = "my_service"

ORDERS_IMPORT = "from .routers import orders\n"
ORDERS_INCLUDE = '    app.include_router(orders.router, prefix="/api")\n'
SETTING = """    partner_api_url: str = Field(
        "", description="Base URL of the partner API the team calls (empty: calls disabled)."
    )
"""
SETTING_DOC = "\n# Base URL of the partner API the team calls (empty: calls disabled).\n# APP_PARTNER_API_URL=\n"
README_LINE = "\nOn call: page the payments team in #payments-oncall.\n"
# Every file the team changes or adds; any other file must come out of the update clean.
TEAM_FILES = {
    f"src/{PKG}/routers/orders.py",
    "tests/test_orders.py",
    f"src/{PKG}/main.py",
    f"src/{PKG}/settings.py",
    ".env.example",
    "README.md",
}


def insert_after(path: Path, anchor: str, text: str, *, then: str = "") -> None:
    """Add ``text`` after the one line starting with ``anchor`` (or after the first line
    equal to ``then`` that follows it): where a team would put it."""
    lines = path.read_text().splitlines(keepends=True)
    found = [number for number, line in enumerate(lines) if line.startswith(anchor)]
    assert len(found) == 1, f"{path}: expected one line starting with {anchor!r}, found {len(found)}"
    at = found[0]
    if then:
        at = next(number for number in range(at, len(lines)) if lines[number] == then)
    lines.insert(at + 1, text)
    path.write_text("".join(lines))


def edit_like_a_team(project: Path) -> None:
    pkg = project / "src" / PKG
    (pkg / "routers" / "orders.py").write_text(ORDERS_ROUTER)
    (project / "tests" / "test_orders.py").write_text(ORDERS_TEST)
    insert_after(pkg / "main.py", "from .routers import", ORDERS_IMPORT)
    insert_after(pkg / "main.py", "    app.include_router(health.router)", ORDERS_INCLUDE)
    insert_after(pkg / "settings.py", "    cron_secret: str = Field(", SETTING, then="    )\n")
    with (project / ".env.example").open("a") as env_example:
        env_example.write(SETTING_DOC)
    with (project / "README.md").open("a") as readme:
        readme.write(README_LINE)


def template_at(commit: str, dest: Path) -> Path:
    """The template files of ``commit`` of this repository, as a fresh git repo (a clone of our own)."""
    require(shutil.which("git"), "git not found on PATH")
    found = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True, check=False
    )
    require(found.returncode == 0, f"commit {commit} (release 0.1.0) is not in this clone: fetch the full history")
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", commit, *TEMPLATE_FILES],
        capture_output=True,
        check=True,
    )
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return init_repo(dest, f"release 0.1.0 ({commit})")


def replace_with_working_tree(template: Path) -> None:
    """What a maintainer commits for the next release: the template files as they are now."""
    for name in TEMPLATE_FILES:
        path = template / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    snapshot_template(template)


def rendered_files(template: Path, ref: str, dest: Path, env: dict[str, str]) -> set[str]:
    result = copier_cli("copy", "--defaults", "--vcs-ref", ref, str(template), str(dest), cwd=dest.parent, env=env)
    assert result.returncode == 0, result.stderr
    return {path.relative_to(dest).as_posix() for path in dest.rglob("*") if path.is_file()}


def make(project: Path, target: str) -> subprocess.CompletedProcess[str]:
    require(shutil.which("make"), "make not found")
    return subprocess.run(
        ["make", target], cwd=project, env=tool_env(), capture_output=True, text=True, check=False, timeout=900
    )


@dataclass
class Update:
    project: Path
    old_files: set[str]
    new_files: set[str]
    output: str


@pytest.fixture(scope="module")
def update(tmp_path_factory: pytest.TempPathFactory) -> Update:
    tmp = tmp_path_factory.mktemp("release")
    env = isolated_env(tmp)
    template = template_at(RELEASE_0_1_0, tmp / "template")
    git(template, "tag", "0.1.0", env=env)
    project = tmp / "my-service"
    created = copier_cli("copy", "--defaults", "--vcs-ref", "0.1.0", str(template), str(project), cwd=tmp, env=env)
    assert created.returncode == 0, created.stderr
    init_repo(project, "generated from copier-serverless-fastapi 0.1.0")
    edit_like_a_team(project)
    commit_all(project, "orders route, partner API setting, on-call note")

    replace_with_working_tree(template)
    release(template, "0.2.0")
    updated = copier_cli("update", "--defaults", cwd=project, env=env)
    assert updated.returncode == 0, f"copier update failed:\n{updated.stdout}\n{updated.stderr}"
    return Update(
        project=project,
        old_files=rendered_files(template, "0.1.0", tmp / "reference-0.1.0", env),
        new_files=rendered_files(template, "0.2.0", tmp / "reference-0.2.0", env),
        output=updated.stdout + updated.stderr,
    )


def test_the_update_needs_no_trust_and_records_the_release(update: Update) -> None:
    assert answers(update.project)["_commit"] == "0.2.0"
    assert "--trust" not in update.output


def test_nothing_the_template_stopped_rendering_is_left_behind(update: Update) -> None:
    gone = sorted(update.old_files - update.new_files)
    # The list comes from the two releases; these prove it holds what this release moved.
    assert f"src/{PKG}/doctor/__init__.py" in gone
    assert f"src/{PKG}/doctor/__main__.py" in gone
    stale = [name for name in gone if (update.project / name).exists()]
    assert not stale, f"copier update left files the template no longer renders: {stale}"
    assert not (update.project / "src" / PKG / "doctor").exists()


def test_every_file_of_the_new_release_arrives(update: Update) -> None:
    missing = sorted(name for name in update.new_files if not (update.project / name).is_file())
    assert not missing
    assert (update.project / "tools" / "doctor" / "__main__.py").is_file()


def test_the_teams_edits_survive(update: Update) -> None:
    project = update.project
    pkg = project / "src" / PKG
    assert (pkg / "routers" / "orders.py").read_text() == ORDERS_ROUTER
    assert (project / "tests" / "test_orders.py").read_text() == ORDERS_TEST
    main = (pkg / "main.py").read_text()
    assert ORDERS_IMPORT in main and ORDERS_INCLUDE in main
    assert SETTING in (pkg / "settings.py").read_text()
    assert SETTING_DOC in (project / ".env.example").read_text()
    assert (project / "README.md").read_text().endswith(README_LINE)


def test_files_the_team_did_not_touch_have_no_conflicts(update: Update) -> None:
    conflicted = files_with_conflicts(update.project)
    assert not [name for name in conflicted if name not in TEAM_FILES]
    assert not conflicted, f"the team's edits conflict with the release: {conflicted}"


@pytest.mark.slow
def test_the_updated_project_passes_its_own_make_test_and_make_doctor(update: Update) -> None:
    project = update.project
    # The project's own targets, run on a venv with its dependencies (.venv is git-ignored).
    (project / ".venv").symlink_to(project_venv(project, "3.12"), target_is_directory=True)
    outputs = {}
    for target in ("test", "doctor"):
        result = make(project, target)
        assert result.returncode == 0, f"make {target}:\n{result.stdout}\n{result.stderr}"
        outputs[target] = result.stdout
    assert " passed" in outputs["test"] and "tests/test_orders.py ." in outputs["test"]  # the team's test ran
    assert "doctor: " in outputs["doctor"] and " 0 failed" in outputs["doctor"]
