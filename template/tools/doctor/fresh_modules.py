"""Every module of the package imports on its own, in a fresh interpreter.

A circular import only shows when the cycle is entered from the right module,
so each module is imported first thing in its own fresh interpreter (empty
environment); what it reads or opens while importing is reported too.
"""

from __future__ import annotations

from .findings import env_results, error_result, io_results
from .fresh_interpreter import ProbeOutcome, probe_modules
from .layout import Project
from .report import CheckResult, passed

IMPORT_FIX = (
    "if the message says 'partially initialized module' it is a circular import: move the "
    "shared code into a third module, or import inside the function that needs it; otherwise "
    "fix the error at this line (an import must work with no environment variables)"
)


def check_modules(project: Project) -> list[CheckResult]:
    outcomes = probe_modules(project, project.modules())
    return [
        result
        for module, outcome in outcomes.items()
        for result in check_module(project, module, outcome)
    ]


def check_module(project: Project, module: str, outcome: ProbeOutcome) -> list[CheckResult]:
    name = f"module imports on its own: {module}"
    if outcome.data is None:
        file = project.rel(project.src / module.replace(".", "/"))
        fix = "a module must not exit or crash the interpreter at import"
        return [CheckResult("module-imports", name, False, file, 0, outcome.crash(), fix)]
    data = outcome.data
    results = [
        error_result(project, "module-imports", name, data["import_error"], IMPORT_FIX)
        if data["import_error"]
        else passed("module-imports", name)
    ]
    results.extend(io_results(project, data["events"], module))
    results.extend(env_results(project, data["env_reads"], module))
    return results
