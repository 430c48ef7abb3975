"""Where the project is and what the doctor reads from it (layout and settings).

The checks run on the working tree: the project root is the current directory
(or ``--root``), its package is ``src/<package>`` and its Vercel functions are
``api/*.py``. Settings come from ``[tool.<package>.doctor]`` in pyproject.toml.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The doctor lives in <package>.doctor, so the package name needs no template.
PACKAGE = __name__.split(".")[0]

DEFAULTS: dict[str, Any] = {
    # api/*.py imports only the standard library: a few ms. A budget well above
    # that still catches a framework or SDK imported by the entry.
    "entry_import_budget_ms": 300,
    # The whole app (FastAPI included) compiled from source, as on Vercel.
    "app_import_budget_ms": 6000,
    # The copier question's range; Vercel's CLI accepts up to 1800 but no plan
    # deploys above 900 (plan limits are checked only at deploy time).
    "max_duration_limit": 900,
    # Per fresh interpreter; a hung import should fail, not hang the build.
    "timeout_seconds": 120,
}


@dataclass(frozen=True)
class Project:
    root: Path
    package: str = PACKAGE
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def package_dir(self) -> Path:
        return self.src / self.package

    @property
    def doctor_dir(self) -> Path:
        return self.package_dir / "doctor"

    def entries(self) -> list[Path]:
        """Vercel functions: ``api/*.py``; names starting with ``_`` are helpers, not functions."""
        api = self.root / "api"
        return sorted(path for path in api.glob("*.py") if not path.name.startswith("_"))

    def sources(self) -> list[Path]:
        """Every Python file that runs in production: the package and api/."""
        files = [*self.package_dir.rglob("*.py"), *(self.root / "api").rglob("*.py")]
        return sorted(path for path in files if "__pycache__" not in path.parts)

    def modules(self) -> list[str]:
        """Dotted names of every module of the package, the package itself first."""
        names = []
        for path in sorted(self.package_dir.rglob("*.py")):
            parts = path.relative_to(self.src).with_suffix("").parts
            if "__pycache__" in parts:
                continue
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        return sorted(set(names), key=lambda name: (name.count("."), name))

    def env_names(self) -> list[str]:
        """The project's own variables: its prefix (from project.py) and the platform's names."""
        names = ["CRON_SECRET", "DATABASE_URL", "POSTGRES_URL"]
        try:
            tree = ast.parse((self.package_dir / "project.py").read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            return names
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if any(isinstance(t, ast.Name) and t.id == "ENV_PREFIX" for t in targets):
                value = getattr(node, "value", None)
                if isinstance(value, ast.Constant):
                    names.append(str(value.value))
        return names

    def third_party_imports(self) -> list[str]:
        """Top-level modules the project imports that are not its own (loaded once by the probe)."""
        own = {self.package, "api", "tests"}
        found: set[str] = set()
        for path in self.sources():
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module)
        return sorted(name for name in found if name.split(".")[0] not in own | {"__future__"})

    def rel(self, path: str | Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def setting(self, name: str) -> Any:
        return self.config.get(name, DEFAULTS[name])


def find_root(start: Path | None = None) -> Path:
    """The nearest folder (from ``start`` or the cwd, upwards) holding src/<package>/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "src" / PACKAGE / "__init__.py").is_file():
            return folder
    return here


def load_project(root: Path | None = None) -> Project:
    root = find_root(root)
    config: dict[str, Any] = {}
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        config = dict(data.get("tool", {}).get(PACKAGE, {}).get("doctor", {}))
    return Project(root=root, config=config)
