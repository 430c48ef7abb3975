"""Every module imports on its own, and every package folder is a real package.

A circular import only shows when the cycle is entered from the right module,
so each module is imported first thing in its own fresh interpreter (empty
environment). Without ``__init__.py`` a folder is a namespace package: it
imports locally from the source tree but is left out of the wheel and can
shadow or be shadowed by another folder of the same name on sys.path.
"""

from __future__ import annotations

from .fresh import ProbeOutcome, probe_modules
from .io_audit import env_results, error_result, io_results
from .project import Project
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


def check_init_files(project: Project) -> list[CheckResult]:
    results = []
    folders = {path.parent for path in project.package_dir.rglob("*.py")}
    for folder in sorted(folders | {project.package_dir}):
        if "__pycache__" in folder.parts:
            continue
        rel = project.rel(folder)
        name = f"package folder has __init__.py: {rel}"
        if (folder / "__init__.py").is_file():
            results.append(passed("module-imports", name))
            continue
        results.append(
            CheckResult(
                family="module-imports",
                name=name,
                ok=False,
                file=rel,
                line=0,
                message=f"{rel}/ holds Python modules but no __init__.py (a namespace package)",
                fix=f"create {rel}/__init__.py (a docstring is enough); the wheel and mypy skip namespace folders",
            )
        )
    return results
