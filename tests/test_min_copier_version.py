"""`_min_copier_version` is a version the tests run: that Copier copies and updates the template.

The oldest Copier a user may run (``copier.yml``'s ``_min_copier_version``) is
installed in a cached venv; it must render exactly what the pinned Copier
renders, and bring a new release into a generated, edited project.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.gitrepo import answers, commit_all, files_with_conflicts, init_repo, isolated_env, release, tagged_template
from support.render import copier_cli, shared_venv
from support.tools import REPO_ROOT

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
README_LINE = "\nOn call: #payments-oncall.\n"
GITIGNORE_LINE = "*.sqlite3-journal"


def min_copier_version() -> str:
    return str(yaml.safe_load((REPO_ROOT / "copier.yml").read_text())["_min_copier_version"])


def tree(project: Path) -> dict[str, str]:
    return {
        path.relative_to(project).as_posix(): path.read_text()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(project).parts
    }


@pytest.mark.slow
def test_the_minimum_copier_copies_and_updates_the_template(tmp_path: Path) -> None:
    version = min_copier_version()
    copier = shared_venv(PYTHON, [f"copier=={version}"]) / "bin" / "copier"
    env = isolated_env(tmp_path)

    def oldest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(copier), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    assert version in oldest("--version", cwd=tmp_path).stdout
    template = tagged_template(tmp_path / "template", "0.1.0")
    project, reference = tmp_path / "project", tmp_path / "reference"
    copied = oldest("copy", "--defaults", "--vcs-ref", "0.1.0", str(template), str(project), cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    pinned = copier_cli(
        "copy", "--defaults", "--vcs-ref", "0.1.0", str(template), str(reference), cwd=tmp_path, env=env
    )
    assert pinned.returncode == 0, pinned.stderr
    assert tree(project) == tree(reference), f"Copier {version} renders the template differently"

    init_repo(project, "generated")
    with (project / "README.md").open("a") as readme:
        readme.write(README_LINE)
    commit_all(project, "on-call note")
    with (template / "template" / ".gitignore.jinja").open("a") as gitignore:
        gitignore.write(f"{GITIGNORE_LINE}\n")
    release(template, "0.2.0")
    updated = oldest("update", "--defaults", cwd=project)
    assert updated.returncode == 0, updated.stderr
    assert answers(project)["_commit"] == "0.2.0"
    assert GITIGNORE_LINE in (project / ".gitignore").read_text().splitlines()
    assert (project / "README.md").read_text().endswith(README_LINE)
    assert files_with_conflicts(project) == []
