"""vercel.json: valid JSON, known keys, functions that exist, sane limits, rewrites to the entry.

The keys and limits are those Vercel CLI 58.10.0 validates at build time (per
function: architecture, runtime, memory 128..10240, maxDuration, maxConcurrency,
regions, functionFailoverRegions, includeFiles, excludeFiles,
experimentalTriggers, supportsCancellation; a pattern matching no file is an
error). ``maxDuration`` is held to 1..max_duration_limit (900 by default, the
template's own range): the CLI accepts up to 1800 but a deploy above the plan's
limit fails later, at deploy time, where it is harder to trace.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .project import Project
from .report import CheckResult, passed

FAMILY = "vercel-json"
TOP_KEYS = frozenset(
    {"$schema", "alias", "build", "buildCommand", "builds", "bunVersion", "cleanUrls", "crons"}
    | {"devCommand", "env", "fluid", "framework", "functionFailoverRegions", "functions", "git"}
    | {"github", "headers", "ignoreCommand", "images", "installCommand", "name", "outputDirectory"}
    | {"public", "redirects", "regions", "rewrites", "routes", "scope", "trailingSlash", "version"}
)
FUNCTION_KEYS = frozenset(
    {"architecture", "runtime", "memory", "maxDuration", "maxConcurrency", "regions"}
    | {"functionFailoverRegions", "includeFiles", "excludeFiles", "experimentalTriggers"}
    | {"supportsCancellation"}
)
PROBE_PATHS = ("/health", "/api/items", "/some/deep/path")


def _line(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def _source_regex(source: str) -> re.Pattern[str] | None:
    """Vercel's path-to-regexp sources, the common forms: (regex) groups and :params."""
    pattern = re.sub(r":\w+\*", "(?:.*)", source)
    pattern = re.sub(r":\w+\+", "(?:.+)", pattern)
    pattern = re.sub(r":\w+", "[^/]+", pattern)
    try:
        return re.compile(f"^{pattern}$")
    except re.error:
        return None


def _glob_matches(root: Path, pattern: str) -> bool:
    return any(path.is_file() for path in root.glob(pattern))


def check_vercel_json(project: Project) -> list[CheckResult]:
    path = project.root / "vercel.json"
    rel = "vercel.json"
    if not path.is_file():
        return [
            CheckResult(
                FAMILY,
                "vercel.json exists",
                False,
                rel,
                0,
                "vercel.json is missing",
                "restore it from the template (copier update)",
            )
        ]
    text = path.read_text(encoding="utf-8")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        return [
            CheckResult(
                FAMILY,
                "vercel.json is valid JSON",
                False,
                rel,
                exc.lineno,
                exc.msg,
                "fix the JSON syntax",
            )
        ]
    if not isinstance(config, dict):
        return [
            CheckResult(
                FAMILY,
                "vercel.json is an object",
                False,
                rel,
                1,
                "the top level must be a JSON object",
                "wrap the settings in { }",
            )
        ]
    problems: list[tuple[int, str, str]] = []
    for key in config:
        if key not in TOP_KEYS:
            fix = f"remove or correct `{key}` (known keys: see https://vercel.com/docs/project-configuration)"
            problems.append((_line(text, f'"{key}"'), f"unknown top-level key `{key}`", fix))
    if "builds" in config and "functions" in config:
        problems.append(
            (
                _line(text, '"builds"'),
                "`builds` and `functions` cannot be used together",
                "remove the legacy `builds`",
            )
        )
    problems.extend(_functions(project, text, config.get("functions", {})))
    problems.extend(_rewrites(project, text, config))
    if not problems:
        return [passed(FAMILY, "vercel.json is valid")]
    return [
        CheckResult(FAMILY, f"vercel.json: {message}", False, rel, line, message, fix)
        for line, message, fix in problems
    ]


def _functions(project: Project, text: str, functions: Any) -> list[tuple[int, str, str]]:
    if not isinstance(functions, dict):
        return [
            (
                _line(text, '"functions"'),
                "`functions` must be an object of glob -> settings",
                "see the template's vercel.json",
            )
        ]
    limit = int(project.setting("max_duration_limit"))
    problems = []
    for pattern, settings in functions.items():
        line = _line(text, f'"{pattern}"')
        if not _glob_matches(project.root, pattern):
            problems.append(
                (
                    line,
                    f"functions pattern `{pattern}` matches no file",
                    "point it at an existing api/*.py or remove it",
                )
            )
        if not isinstance(settings, dict):
            problems.append(
                (line, f"settings of `{pattern}` must be an object", 'e.g. {"maxDuration": 10}')
            )
            continue
        known = ", ".join(sorted(FUNCTION_KEYS))
        problems.extend(
            (
                _line(text, f'"{key}"'),
                f"unknown key `{key}` in functions[`{pattern}`]",
                f"use one of: {known}",
            )
            for key in settings
            if key not in FUNCTION_KEYS
        )
        duration = settings.get("maxDuration")
        valid = duration == "max" or (type(duration) is int and 1 <= duration <= limit)
        if "maxDuration" in settings and not valid:
            fix = f"an integer number of seconds in 1..{limit} (max_duration_limit in [tool.{project.package}.doctor])"
            problems.append(
                (
                    _line(text, '"maxDuration"'),
                    f"maxDuration {duration!r} of `{pattern}` is out of range",
                    fix,
                )
            )
        memory = settings.get("memory")
        if "memory" in settings and not (type(memory) is int and 128 <= memory <= 10240):
            problems.append(
                (
                    _line(text, '"memory"'),
                    f"memory {memory!r} of `{pattern}` is out of range",
                    "an integer in 128..10240 (MB)",
                )
            )
    return problems


def _rewrites(project: Project, text: str, config: dict[str, Any]) -> list[tuple[int, str, str]]:
    if "routes" in config:
        return []  # legacy routing: not checked, Vercel forbids mixing it with rewrites
    rewrites = config.get("rewrites", [])
    fix = 'add `{"source": "/(.*)", "destination": "/api/index"}` to rewrites'
    line = _line(text, '"rewrites"') if "rewrites" in config else 1
    if not isinstance(rewrites, list):
        return [(line, "`rewrites` must be a list", fix)]
    reached: set[str] = set()
    for rewrite in rewrites:
        if not isinstance(rewrite, dict):
            continue
        destination = str(rewrite.get("destination", "")).split("?")[0].rstrip("/")
        regex = _source_regex(str(rewrite.get("source", "")))
        if destination in {"/api/index", "/api/index.py"} and regex is not None:
            reached |= {path for path in PROBE_PATHS if regex.match(path)}
    problems = []
    missing = [path for path in PROBE_PATHS if path not in reached]
    if missing:
        message = f"no rewrite sends {', '.join(missing)} to /api/index: only /api/* files are functions, so the app's own paths would 404"
        problems.append((line, message, fix))
    if not (project.root / "api" / "index.py").is_file():
        problems.append(
            (line, "rewrites reach /api/index but api/index.py is missing", "restore api/index.py")
        )
    return problems
