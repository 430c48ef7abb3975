"""Update hygiene in a generated project: conflict markers fail pre-commit, `make update-check` works.

``copier update`` writes conflict markers into files without starting a git merge,
so pre-commit's ``check-merge-conflict`` only sees them with ``--assume-in-merge``.
The hook is run from PyPI's ``pre-commit-hooks`` at the generated config's pinned
rev, with the generated config's arguments, on a file holding Copier's markers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.gitrepo import CONFLICT_MARKER, init_repo, isolated_env, release, tagged_template
from support.render import copier_cli, shared_venv
from support.tools import require

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
COPIER_CONFLICT = (
    "LOG_LEVEL = 'INFO'\n<<<<<<< before updating\nTIMEOUT = 5\n=======\nTIMEOUT = 10\n>>>>>>> after updating\n"
)


def merge_conflict_hook(project: Path) -> tuple[str, list[str]]:
    """pre-commit-hooks' rev and the check-merge-conflict args in the generated config."""
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    repo = next(repo for repo in config["repos"] if repo["repo"].endswith("/pre-commit-hooks"))
    hook = next(hook for hook in repo["hooks"] if hook["id"] == "check-merge-conflict")
    return repo["rev"].removeprefix("v"), list(hook.get("args", []))


@pytest.mark.slow
def test_pre_commit_fails_on_the_conflict_markers_copier_leaves(default_project: Path, tmp_path: Path) -> None:
    rev, args = merge_conflict_hook(default_project)
    hook = shared_venv(PYTHON, [f"pre-commit-hooks=={rev}"]) / "bin" / "check-merge-conflict"
    (tmp_path / "repo").mkdir()
    repo = init_repo(tmp_path / "repo")  # a repository that is not in a merge, as after `copier update`
    conflicted = repo / "settings.py"
    conflicted.write_text(COPIER_CONFLICT)
    assert CONFLICT_MARKER.search(COPIER_CONFLICT)

    def run(*hook_args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(hook), *hook_args, "settings.py"], cwd=repo, capture_output=True, text=True, check=False
        )

    assert run().returncode == 0, "without --assume-in-merge the hook misses markers outside a merge"
    caught = run(*args)
    assert caught.returncode == 1, f"the generated hook ({args}) passes Copier's conflict markers"
    assert "settings.py:2: Merge conflict string '<<<<<<<'" in caught.stdout


def test_make_update_check_says_when_a_release_is_out(tmp_path: Path) -> None:
    require(shutil.which("make"), "make not found")
    env = isolated_env(tmp_path)
    template = tagged_template(tmp_path / "template", "0.1.0")
    project = tmp_path / "project"
    created = copier_cli("copy", "--defaults", "--vcs-ref", "0.1.0", str(template), str(project), cwd=tmp_path, env=env)
    assert created.returncode == 0, created.stderr
    init_repo(project, "generated")
    copier = f"COPIER={sys.executable} -m copier"

    def update_check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "update-check", copier], cwd=project, env=env, capture_output=True, text=True, check=False
        )

    current = update_check()
    assert current.returncode == 0, current.stderr
    assert "up-to-date" in current.stdout + current.stderr
    (template / "template" / "NEWS").write_text("0.2.0\n")
    release(template, "0.2.0")
    behind = update_check()
    assert behind.returncode == 0, behind.stderr
    assert "0.2.0" in behind.stdout + behind.stderr, behind.stdout + behind.stderr
