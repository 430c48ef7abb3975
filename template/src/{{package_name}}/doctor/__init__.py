"""The project's doctor: the import-time checklist as plain, fast checks.

``python -m <package>.doctor`` runs them on the working tree (from the project
root) and prints one line per check; the generated tests in
tests/test_checklist.py assert the same results, one test per checklist line.
Imports only the standard library, and nothing at all until a check runs.
"""

from __future__ import annotations

from .report import CheckResult, failure_report

__all__ = ["CheckResult", "failure_report", "run_checks"]


def run_checks(*args: object, **kwargs: object) -> list[CheckResult]:
    """See ``runner.run_checks``; imported on call so importing the package stays free."""
    from .runner import run_checks as run

    return run(*args, **kwargs)  # type: ignore[arg-type]
