"""Fixtures for the template's tests: a snapshot of the working tree, rendered projects."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.render import render, snapshot_template

DEFAULT_PYTHON = "3.12"


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as it is on disk now, uncommitted changes included."""
    return snapshot_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def default_project(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project generated with every default answer. Do not modify it in a test."""
    return render(template_dir, tmp_path_factory.mktemp("default") / "my-service")
