"""The project's doctor: the import-time checklist as plain, fast checks.

Development tooling, not part of the service: it lives in ``tools/`` at the
project root, outside ``src/<package>``, so it is in neither the wheel nor any
Vercel function, and the service never imports it. ``python -m tools.doctor``
(``make doctor``) runs the checks on the working tree and prints one line per
check; tests/test_checklist.py asserts the same results, one test per
checklist line. Standard library only, and nothing is imported until a check runs.

The modules, by what they check:

- ``layout``: where the project, its package, its functions and its settings are;
- ``static_entry``, ``static_env``, ``static_packages``: read the source, run nothing;
- ``fresh_entry``, ``fresh_modules``, ``fresh_import_cost``: import in fresh
  interpreters with an empty environment (``fresh_interpreter`` starts them,
  ``fresh_probe`` runs inside them, ``findings`` turns what it saw into results);
- ``vercel_json`` checks vercel.json against ``vercel_schema``, the one place
  that knows what the Vercel CLI accepts.
"""

from __future__ import annotations

from .report import CheckResult, failure_report, warning_report

__all__ = ["CheckResult", "failure_report", "run_checks", "warning_report"]


def run_checks(*args: object, **kwargs: object) -> list[CheckResult]:
    """See ``runner.run_checks``; imported on call so importing the package stays free."""
    from .runner import run_checks as run

    return run(*args, **kwargs)  # type: ignore[arg-type]
