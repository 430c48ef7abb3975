"""Dev-only tooling (tools/, the doctor) is in neither the wheel nor any built Vercel function.

The wheel is built by ``uv build`` from the generated pyproject; the functions by
the real ``vercel build`` (tests/support/vercel.py), whose ``.vc-config.json``
lists every file a function ships in ``filePathMap``. Each check first proves it
looked at something: the service's own files are there.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pytest
from support.render import run_checked
from support.tools import require_python, require_uv
from support.vercel import function_config, vercel_build

PKG = "my_service"


def shipped_dev_files(names: list[str]) -> list[str]:
    return [name for name in names if name.startswith("tools/") or "/doctor/" in f"/{name}"]


@pytest.mark.slow
def test_the_wheel_holds_the_service_and_no_dev_tools(default_project: Path, tmp_path: Path) -> None:
    assert (default_project / "tools" / "doctor" / "__main__.py").is_file(), "nothing to leave out"
    command = [require_uv(), "build", "--wheel", "--python", require_python("3.12"), "--out-dir", str(tmp_path)]
    # uv must use the interpreter we name, never download one.
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    run_checked([*command, str(default_project)], what="uv build", env=env)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert f"{PKG}/main.py" in names and f"{PKG}/__init__.py" in names, names
    assert shipped_dev_files(names) == []


@pytest.mark.slow
def test_no_built_function_ships_the_dev_tools(default_project: Path, tmp_path: Path) -> None:
    output = vercel_build(default_project, workdir=tmp_path)
    for name in ("index", "init"):
        files = sorted(function_config(output, name)["filePathMap"])
        assert "api/index.py" in files and f"src/{PKG}/main.py" in files, (name, files)
        assert shipped_dev_files(files) == [], f"api/{name} ships dev-only files"


def test_the_service_never_imports_the_dev_tools(default_project: Path) -> None:
    """No module under src/ or api/ imports tools/ or anything named doctor (read as text:
    the generated code uses Python 3.12 syntax that this interpreter may not parse)."""
    dev_import = re.compile(r"^\s*(?:from|import)\s+(?:tools\b|\S*doctor)", re.MULTILINE)
    imported = [
        f"{path.relative_to(default_project)}: {match.group(0).strip()}"
        for path in [*(default_project / "src").rglob("*.py"), *(default_project / "api").rglob("*.py")]
        for match in dev_import.finditer(path.read_text())
    ]
    assert imported == []
