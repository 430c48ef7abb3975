"""Real git repositories for `copier update` tests: a tagged template and a generated project.

`copier update` only works when the template is a git repository with tags (it
re-renders the old tag, diffs it against the new one and applies that diff to the
project) and the project is a git repository with a clean tree. These helpers build
both in temporary folders with the real ``git`` and run the real ``copier`` command
line, isolated from the developer's own git identity and Copier settings.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .render import run_checked, snapshot_template
from .tools import require

# Markers `git merge-file` writes for `--conflict inline` (what Copier uses).
CONFLICT_MARKER = re.compile(r"^(<<<<<<< |>>>>>>> |=======$)", re.MULTILINE)

_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def isolated_env(tmp: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for git and copier: a fixed identity, no user-level settings.

    ``COPIER_SETTINGS_PATH`` points at an empty settings file so a developer's own
    ``settings.yml`` (defaults, trusted repositories) cannot change what the tests see.
    """
    settings = tmp / "copier-settings.yml"
    if not settings.exists():
        settings.write_text("defaults: {}\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "COPIER_"))}
    env.update(_IDENTITY)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["COPIER_SETTINGS_PATH"] = str(settings)
    env.update(extra or {})
    return env


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``git`` in ``repo``; raise with its output when it fails."""
    require(shutil.which("git"), "git not found on PATH")
    return run_checked(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
        cwd=repo,
        env=dict(env) if env is not None else isolated_env(repo.parent),
        timeout=120,
    )


def commit_all(repo: Path, message: str) -> None:
    """Commit everything that is not ignored."""
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)


def init_repo(path: Path, message: str = "initial") -> Path:
    """``git init`` + commit everything in ``path``."""
    git(path, "init", "--quiet")
    commit_all(path, message)
    return path


def tagged_template(dest: Path, tag: str = "0.1.0") -> Path:
    """The working tree's template as a git repo whose only commit is tagged ``tag``."""
    snapshot_template(dest)
    init_repo(dest, f"release {tag}")
    git(dest, "tag", tag)
    return dest


def release(template: Path, tag: str, message: str | None = None) -> None:
    """Commit the template's changes and tag them: what a maintainer does to release."""
    commit_all(template, message or f"release {tag}")
    git(template, "tag", tag)


def is_clean(repo: Path) -> bool:
    return git(repo, "status", "--porcelain") == ""


def answers(project: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def files_with_conflicts(project: Path) -> list[str]:
    """Files holding inline conflict markers, plus any ``.rej`` / ``.orig`` leftovers."""
    found: list[str] = []
    for path in sorted(project.rglob("*")):
        if ".git" in path.relative_to(project).parts or not path.is_file():
            continue
        if path.suffix in {".rej", ".orig"}:
            found.append(str(path.relative_to(project)))
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if CONFLICT_MARKER.search(text):
            found.append(str(path.relative_to(project)))
    return found
