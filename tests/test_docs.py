"""The documentation site builds strictly, and its code comes from files the tests run.

``mkdocs build --strict`` turns every warning (a broken link, a page missing from the nav, an
anchor that does not exist) into a failure. The ``pymdownx.snippets`` extension includes
template files and examples with ``check_paths: true``, so moving or deleting an included
file breaks the build too: a test below proves that on a copy of the site.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.tools import REPO_ROOT, require

DOCS = REPO_ROOT / "docs"
SNIPPET = re.compile(r'^\s*--8<-- "([^"]+)"', re.MULTILINE)


def mkdocs_build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    require(
        importlib.util.find_spec("mkdocs"), "mkdocs is not installed: install requirements-dev.txt (make test does)"
    )
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1", "HOME": str(site.parent)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_docs_build_strictly(tmp_path: Path) -> None:
    result = mkdocs_build(REPO_ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    architecture = (tmp_path / "site" / "architecture" / "index.html").read_text()
    # The included entry and registry are there, rendered from the real template files.
    assert "LazyApp" in architecture
    assert "REGISTRY" in architecture
    # The cold-start chart the benchmark writes is on the performance page, and shipped.
    performance = (tmp_path / "site" / "performance" / "index.html").read_text()
    assert 'src="../performance-cold-start.svg"' in performance
    assert (tmp_path / "site" / "performance-cold-start.svg").read_text().startswith("<svg")


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text())
    in_nav = {next(iter(entry.values())) for entry in config["nav"]}
    on_disk = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    assert on_disk == in_nav


def test_every_question_is_documented() -> None:
    questions = [key for key in yaml.safe_load((REPO_ROOT / "copier.yml").read_text()) if not key.startswith("_")]
    page = (DOCS / "questions.md").read_text()
    missing = [name for name in questions if f"| `{name}` |" not in page]
    assert not missing, f"docs/questions.md has no table row for {missing}"


def test_included_snippets_are_files_the_tests_use() -> None:
    included = {path for page in DOCS.rglob("*.md") for path in SNIPPET.findall(page.read_text())}
    assert included, "the docs include no real file"
    for path in included:
        assert (REPO_ROOT / path).is_file(), path
        assert path.startswith(("template/", "examples/", "CHANGELOG.md")), path


def test_a_moved_snippet_file_breaks_the_build(tmp_path: Path) -> None:
    """check_paths at work: the docs cannot silently show a file that no longer exists."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy2(REPO_ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(DOCS, root / "docs")
    for name in ("template", "examples"):
        shutil.copytree(REPO_ROOT / name, root / name)
    shutil.copy2(REPO_ROOT / "CHANGELOG.md", root / "CHANGELOG.md")
    (root / "examples" / "team.yml").rename(root / "examples" / "team-defaults.yml")
    result = mkdocs_build(root, tmp_path / "site")
    assert result.returncode != 0
    assert "examples/team.yml" in result.stderr


@pytest.mark.parametrize("page", ["quickstart.md", "team.md", "updating.md"])
def test_documented_commands_use_real_copier_options(page: str) -> None:
    """Every `copier ...` option shown in the docs exists in the installed Copier's CLI."""
    help_text = ""
    for sub in ("copy", "update"):
        result = subprocess.run(
            [sys.executable, "-m", "copier", sub, "--help"], capture_output=True, text=True, check=False
        )
        help_text += result.stdout
    text = (DOCS / page).read_text()
    commands = re.findall(r"copier (?:copy|update)[^\n`]*", text)
    assert commands, page
    options = {option for command in commands for option in re.findall(r"(?<!\S)(--[a-z][a-z-]*)", command)}
    unknown = sorted(option for option in options if option not in help_text)
    assert not unknown, f"{page} shows options Copier does not have: {unknown}"
