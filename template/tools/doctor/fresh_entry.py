"""Importing an entry and building the app must do no I/O and read no environment.

A Vercel instance imports ``api/*.py`` on a read-only disk, maybe without the
variables you have locally, and a failure there is FUNCTION_INVOCATION_FAILED
for every request. The probe (a fresh interpreter, empty environment, ``-B`` as
on a default Vercel build) reports each event with the first frame inside the project.
"""

from __future__ import annotations

from typing import Any

from .findings import BUILD_IO_FIX, env_results, error_result, io_results
from .fresh_interpreter import ProbeOutcome, run_probe
from .layout import Project
from .report import CheckResult, passed


def check_entry(project: Project, entry_rel: str, outcome: ProbeOutcome) -> list[CheckResult]:
    """Every result of one entry's probe: import, I/O, env reads, app build, fastapi."""
    name = f"entry imports with an empty environment: {entry_rel}"
    data = outcome.data
    if data is None:
        fix = "an import must not exit or crash the interpreter; find the call in the traceback"
        return [CheckResult("entry-imports", name, False, entry_rel, 0, outcome.crash(), fix)]
    results: list[CheckResult] = []
    if data["import_error"]:
        fix = (
            "api/*.py must import only the standard library and build the real app lazily "
            "(see LazyApp in api/index.py); fix the error at this line"
        )
        results.append(error_result(project, "entry-imports", name, data["import_error"], fix))
    else:
        results.append(passed("entry-imports", name))
    if data["build_error"]:
        fix = "create_app() must not raise with no environment: give the failing setting a safe default"
        build_name = f"app builds with an empty environment: {entry_rel}"
        results.append(error_result(project, "no-io", build_name, data["build_error"], fix))
    io = io_results(project, data["events"], entry_rel)
    results.extend(io or [passed("no-io", f"no I/O importing {entry_rel} or building its app")])
    if data["leaked_sockets"]:
        message = (
            f"{data['leaked_sockets']} network connection(s) left open after importing "
            f"{entry_rel} and building the app (made outside Python's socket module, e.g. libpq)"
        )
        results.append(
            CheckResult(
                "no-io",
                f"no connection opened by {entry_rel}",
                False,
                entry_rel,
                0,
                message,
                BUILD_IO_FIX,
            )
        )
    env = env_results(project, data["env_reads"], entry_rel)
    results.extend(env or [passed("env-at-import", f"no environment read importing {entry_rel}")])
    results.append(fastapi_result(project, entry_rel, data))
    return results


def fastapi_result(project: Project, entry_rel: str, data: dict[str, Any]) -> CheckResult:
    name = f"{entry_rel} does not import fastapi"
    if not data["fastapi_imported"]:
        return passed("import-cost", name)
    origin = data.get("fastapi_import") or {}
    file = project.rel(origin["file"]) if origin.get("file") else entry_rel
    return CheckResult(
        family="import-cost",
        name=name,
        ok=False,
        file=file,
        line=origin.get("line", 0),
        message=f"importing {entry_rel} imports fastapi (~0.5-1.7 s of every cold start, and a crash risk at import)",
        fix="import FastAPI only inside the factory the entry builds lazily (LazyApp('<package>.main:create_app'))",
    )


def run_entry(project: Project, entry: Any) -> list[CheckResult]:
    entry_rel = project.rel(entry)
    module = f"api.{entry.stem}"
    outcome = run_probe(project, module, build=f"{project.package}.main:create_app", bytecode=False)
    return check_entry(project, entry_rel, outcome)
