"""vercel.json: valid JSON, known keys, functions that exist, sane limits, rewrites to the entry.

What is valid comes from ``vercel_schema`` (what the Vercel CLI accepts); this
module applies it and names the line to fix. A top-level key the schema does
not know is a warning, not a failure: ``vercel build`` lets unknown top-level
keys through, and a key Vercel added after this doctor's schema must not fail
a build. Everything else here fails ``vercel build`` or misroutes requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import vercel_schema as schema
from .layout import Project
from .report import CheckResult, passed

FAMILY = "vercel-json"
REL = "vercel.json"
PROBE_PATHS = ("/health", "/api/items", "/some/deep/path")

Problem = tuple[int, str, str]  # line, message, fix


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


def _failure(name: str, line: int, message: str, fix: str) -> list[CheckResult]:
    return [CheckResult(FAMILY, name, False, REL, line, message, fix)]


def _load(path: Path) -> tuple[str, Any, list[CheckResult]]:
    if not path.is_file():
        fix = "restore it from the template (copier update)"
        return "", None, _failure("vercel.json exists", 0, "vercel.json is missing", fix)
    text = path.read_text(encoding="utf-8")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        invalid = _failure("vercel.json is valid JSON", exc.lineno, exc.msg, "fix the JSON syntax")
        return text, None, invalid
    if not isinstance(config, dict):
        message = "the top level must be a JSON object"
        not_object = _failure("vercel.json is an object", 1, message, "wrap the settings in { }")
        return text, None, not_object
    return text, config, []


def check_vercel_json(project: Project) -> list[CheckResult]:
    text, config, broken = _load(project.root / REL)
    if broken:
        return broken
    warnings = [
        CheckResult(
            FAMILY,
            f"vercel.json: top-level key `{key}`",
            True,
            REL,
            _line(text, f'"{key}"'),
            f"`{key}` is not a vercel.json key Vercel CLI {schema.CLI_VERSION} knows; it is ignored if misspelt",
            f"check the spelling against {schema.DOCS}; if Vercel added it, add it to tools/doctor/vercel_schema.py",
            warning=True,
        )
        for key in config
        if key not in schema.TOP_LEVEL_KEYS
    ]
    problems: list[Problem] = []
    if "builds" in config and "functions" in config:
        message = "`builds` and `functions` cannot be used together"
        problems.append((_line(text, '"builds"'), message, "remove the legacy `builds`"))
    problems.extend(_functions(project, text, config.get("functions", {})))
    problems.extend(_rewrites(project, text, config))
    failures = [
        CheckResult(FAMILY, f"vercel.json: {message}", False, REL, line, message, fix)
        for line, message, fix in problems
    ]
    return (failures or [passed(FAMILY, "vercel.json is valid")]) + warnings


def _functions(project: Project, text: str, functions: Any) -> list[Problem]:
    line = _line(text, '"functions"')
    if not isinstance(functions, dict):
        message = "`functions` must be an object of glob -> settings"
        return [(line, message, "see the template's vercel.json")]
    problems: list[Problem] = []
    if len(functions) > schema.MAX_FUNCTION_PATTERNS:
        message = f"`functions` has {len(functions)} patterns, more than the CLI accepts"
        fix = f"at most {schema.MAX_FUNCTION_PATTERNS}: merge patterns with globs"
        problems.append((line, message, fix))
    for pattern, settings in functions.items():
        problems.extend(_function(project, text, pattern, settings))
    return problems


def _function(project: Project, text: str, pattern: str, settings: Any) -> list[Problem]:
    line = _line(text, f'"{pattern}"')
    problems: list[Problem] = []
    if not _glob_matches(project.root, pattern):
        message = f"functions pattern `{pattern}` matches no file"
        problems.append((line, message, "point it at an existing api/*.py or remove it"))
    if not isinstance(settings, dict):
        message = f"settings of `{pattern}` must be an object"
        return [*problems, (line, message, 'e.g. {"maxDuration": 10}')]
    known = ", ".join(sorted(schema.FUNCTION_KEYS))
    for key in settings:
        if key not in schema.FUNCTION_KEYS:
            message = f"unknown key `{key}` in functions[`{pattern}`]"
            problems.append((_line(text, f'"{key}"'), message, f"use one of: {known}"))
    checks: dict[str, Callable[[object], str | None]] = {
        "maxDuration": lambda value: schema.max_duration_problem(
            value, project.setting("max_duration_limit")
        ),
        "memory": schema.memory_problem,
        "includeFiles": schema.files_glob_problem,
        "excludeFiles": schema.files_glob_problem,
    }
    for key, check in checks.items():
        rule = check(settings[key]) if key in settings else None
        if rule is not None:
            message = f"{key} {settings[key]!r} of `{pattern}` is not valid"
            problems.append((_line(text, f'"{key}"'), message, f"{key} must be {rule}"))
    return problems


def _rewrites(project: Project, text: str, config: dict[str, Any]) -> list[Problem]:
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
