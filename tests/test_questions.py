"""Every validator refuses a bad answer with a message that says what is wrong, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.render import copier_cli

INVALID_ANSWERS = [
    ("project_name", "   ", "project_name must not be empty"),
    ("project_slug", "My Slug", "project_slug must be lower-case"),
    ("package_name", "1bad", "package_name must be a valid"),
    ("package_name", "My-Pkg", "package_name must be a valid"),
    ("package_name", "import", "Python keyword"),
    ("description", "two\nlines", "description must be a single line"),
    ("author_name", "   ", "author_name must not be empty"),
    ("author_email", "not-an-email", "author_email must look like"),
    ("python_version", "3.11", "3.11"),
    ("env_prefix", "app_", "env_prefix must be upper-case"),
    ("env_prefix", "APP", "end with '_'"),
    ("cors_origins", '"*"', "must be a YAML list"),
    ("cors_origins", "https://app.example.com", "must be a YAML list"),
    ("cors_origins", '["*"]', "wildcards are not allowed"),
    ("cors_origins", '["https://*.example.com"]', "wildcards are not allowed"),
    ("cors_origins", '["example.com"]', "must be scheme://host[:port]"),
    ("cors_origins", '["https://example.com/"]', "must be scheme://host[:port]"),
    ("cors_origins", '["ftp://example.com"]', "must be scheme://host[:port]"),
    ("audit_backend", "mysql", "mysql"),
    # The bounds `vercel build` of CLI 64 validates: an integer 1..3600.
    ("main_max_duration", "0", "main_max_duration must be between 1 and 3600"),
    ("main_max_duration", "3601", "main_max_duration must be between 1 and 3600"),
    ("init_max_duration", "0", "init_max_duration must be between 1 and 3600"),
    ("init_max_duration", "3601", "init_max_duration must be between 1 and 3600"),
]


@pytest.mark.parametrize(("question", "value", "message"), INVALID_ANSWERS)
def test_invalid_answer_is_refused_and_nothing_is_written(
    template_dir: Path, tmp_path: Path, question: str, value: str, message: str
) -> None:
    dest = tmp_path / "out"
    result = copier_cli("copy", "--defaults", "--data", f"{question}={value}", str(template_dir), str(dest))
    assert result.returncode != 0, result.stdout
    assert message in result.stderr + result.stdout
    assert not dest.exists() or not any(dest.iterdir())


def test_valid_origins_with_ports_and_ipv6_are_accepted(template_dir: Path, tmp_path: Path) -> None:
    origins = '["https://app.example.com", "http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:3000"]'
    result = copier_cli(
        "copy", "--defaults", "--data", f"cors_origins={origins}", str(template_dir), str(tmp_path / "ok")
    )
    assert result.returncode == 0, result.stderr
