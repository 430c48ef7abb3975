"""What a fresh-interpreter probe saw, as results: I/O, environment reads, errors.

Shared by the entry checks (``fresh_entry``) and the per-module checks
(``fresh_modules``); ``static_env`` reuses the environment fix. Each result names
the project line to change and, when the event happened deeper, the line it went through.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .layout import Project
from .report import CheckResult

IO_FIX = (
    "do it when the app is built or on first use, not at import: move it into a function "
    "(create_app(), a FastAPI dependency, or a lazy helper such as the audit log's)"
)
BUILD_IO_FIX = (
    "defer it to first use (open the database or client on the first request that needs it); "
    "creating the app runs on every cold start and must stay cheap and safe"
)
ENV_FIX = (
    "read settings when the app is built: add a field to Settings (settings.py) and use "
    "get_settings() inside a function; never read os.environ at module level"
)


def _via(project: Project, finding: dict[str, Any]) -> str:
    via = finding.get("via") or ""
    if not via:
        return ""
    file, _, line = via.rpartition(":")
    return f" (via {project.rel(file)}:{line})"


def io_results(
    project: Project, events: Iterable[dict[str, Any]], subject: str
) -> list[CheckResult]:
    """One failure per distinct (event, file, line)."""
    results, seen = [], set()
    for event in events:
        key = (event["detail"], event["file"], event["line"])
        if key in seen:
            continue
        seen.add(key)
        building = event["phase"] == "build"
        when = "building the app" if building else "importing"
        where = project.rel(event["file"]) if event["file"] else ""
        origin = "" if where else " (in a library, not in the project's own files)"
        results.append(
            CheckResult(
                family="no-io",
                name=f"no I/O {when} {subject}",
                ok=False,
                file=where,
                line=event["line"],
                message=f"{event['detail']} while {when} {subject}{origin}{_via(project, event)}",
                fix=BUILD_IO_FIX if building else IO_FIX,
            )
        )
    return results


def env_results(
    project: Project, reads: Iterable[dict[str, Any]], subject: str
) -> list[CheckResult]:
    results, seen = [], set()
    for read in reads:
        key = (read["file"], read["line"])
        if key in seen:
            continue
        seen.add(key)
        name = "the whole environment" if read["name"] == "*" else repr(read["name"])
        results.append(
            CheckResult(
                family="env-at-import",
                name=f"no environment read importing {subject}",
                ok=False,
                file=project.rel(read["file"]),
                line=read["line"],
                message=f"reads {name} from os.environ while {subject} is imported{_via(project, read)}",
                fix=ENV_FIX,
            )
        )
    return results


def error_result(
    project: Project, family: str, name: str, error: dict[str, Any], fix: str
) -> CheckResult:
    return CheckResult(
        family=family,
        name=name,
        ok=False,
        file=project.rel(error["file"]) if error["file"] else "",
        line=error["line"],
        message=error["text"],
        fix=fix,
    )
