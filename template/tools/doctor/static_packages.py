"""Every folder of the package that holds Python modules is a real package (``__init__.py``).

Without ``__init__.py`` a folder is a namespace package: it imports locally
from the source tree but is left out of the wheel and can shadow or be
shadowed by another folder of the same name on sys.path.
"""

from __future__ import annotations

from .layout import Project
from .report import CheckResult, passed


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
