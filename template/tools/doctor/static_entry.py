"""Every ``api/*.py`` binds ``app`` the way Vercel's build finds it: statically.

Vercel's builder does not import the file; it parses it (@vercel/python-analysis,
CLI 64.0.2) and accepts a top-level ``app`` or ``application`` bound by an
assignment (annotated or chained), a ``from ... import`` (``as app`` too) or a
``def``, or a top-level ``class handler``. It does not see names bound inside
``try``/``if``/``with``/``for``, tuple targets, ``import x as app``, another name
(``api = FastAPI()``) or ``handler = ...``. A file with no app found is not
deployed as a function: its source is published as a static file and the build
still succeeds, so the mistake only shows as a 404 (or leaked source) in production.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .layout import Project
from .report import CheckResult, passed

APP_NAMES = frozenset({"app", "application"})
NOT_DEPLOYED = (
    "Vercel finds the app by parsing the file, not by running it, so it will not deploy "
    "this file as a function: it publishes its source as a static file instead"
)
FIX = (
    'bind the ASGI app at top level, unconditionally: `app = LazyApp("<package>.main:create_app", ...)` '
    "(LazyApp cannot fail at import, so no try/except is needed)"
)


def _binds(node: ast.stmt) -> set[str]:
    """Names Vercel's analysis accepts from one top-level statement."""
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)} & APP_NAMES
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return {node.target.id} & APP_NAMES if isinstance(node.target, ast.Name) else set()
    if isinstance(node, ast.ImportFrom):
        return {alias.asname or alias.name for alias in node.names} & APP_NAMES
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return {node.name} & APP_NAMES
    if isinstance(node, ast.ClassDef) and node.name == "handler":
        return {"handler"}
    return set()


def _nested_binding(tree: ast.Module) -> tuple[int, str] | None:
    """A binding of app/application/handler that is not at top level (line, construct)."""
    for top in tree.body:
        if not isinstance(top, ast.Try | ast.If | ast.With | ast.For | ast.While | ast.Match):
            continue
        for node in ast.walk(top):
            if isinstance(node, ast.stmt) and _binds(node):
                return node.lineno, type(top).__name__.lower()
    return None


def _wrong_name(tree: ast.Module) -> tuple[int, str]:
    """The last top-level ``name = Something(...)``: probably the app under another name."""
    found = (1, "")
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if names:
                call = ast.unparse(node.value.func)
                found = (node.lineno, f"; it binds `{names[0]} = {call}(...)`: rename it `app`")
    return found


def check_entry_file(project: Project, path: Path) -> CheckResult:
    rel = project.rel(path)
    name = f"Vercel detects the app in {rel}"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        message = f"does not parse ({exc.msg}); {NOT_DEPLOYED}"
        return CheckResult(
            "entry-app", name, False, rel, exc.lineno or 0, message, "fix the syntax error"
        )
    found = set().union(*(_binds(node) for node in tree.body))
    if found:
        return passed("entry-app", name, f"top-level {', '.join(sorted(found))}")
    nested = _nested_binding(tree)
    if nested:
        line, construct = nested
        message = f"`app` is bound inside `{construct}`, not at top level; {NOT_DEPLOYED}"
        return CheckResult("entry-app", name, False, rel, line, message, FIX)
    line, hint = _wrong_name(tree)
    message = f"no top-level `app`, `application` or `class handler`{hint}; {NOT_DEPLOYED}"
    return CheckResult("entry-app", name, False, rel, line, message, FIX)


def check_entries(project: Project) -> list[CheckResult]:
    entries = project.entries()
    if not entries:
        return [
            CheckResult(
                "entry-app",
                "api/ has a function",
                False,
                "api",
                0,
                "no api/*.py found",
                "restore api/index.py",
            )
        ]
    return [check_entry_file(project, path) for path in entries]
