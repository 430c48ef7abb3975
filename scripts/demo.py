"""Generate a demo project with the default answers and serve it on 127.0.0.1.

Usage: python scripts/demo.py DEST [--port 8000] [--no-serve]
Renders the template as it is on disk (uncommitted changes included), gives the
project a venv with its dev dependencies, applies its migrations (as `make dev`
does) and runs uvicorn on the lazy entry.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.render import project_venv, render, snapshot_template  # noqa: E402
from support.tools import find_python  # noqa: E402

SUPPORTED_PYTHONS = ("3.12", "3.13")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-serve", action="store_true", help="generate and install, do not serve")
    args = parser.parse_args()

    version = next((v for v in SUPPORTED_PYTHONS if find_python(v)), None)
    if version is None:
        print(
            "Generated projects run on Python 3.12 or 3.13, and neither was found "
            "(looked for python3.12/python3.13 on PATH and under `pyenv root`/versions).",
            file=sys.stderr,
        )
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        template = snapshot_template(Path(scratch) / "template")
        project = render(template, args.dest.resolve(), {"python_version": version})
    print(f"generated {project}", flush=True)
    venv = project_venv(project, version)
    print(f"venv {venv}", flush=True)
    if args.no_serve:
        return 0
    os.chdir(project)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["src", "."])}
    package = yaml.safe_load(Path(".copier-answers.yml").read_text())["package_name"]
    # Requests never create tables: the items need the schema before the first one.
    migrate = [str(venv / "bin" / "python"), "-m", f"{package}.db.migrate"]
    subprocess.run(migrate, env=env, check=True)
    command = [str(venv / "bin" / "uvicorn"), "api.index:app", "--host", "127.0.0.1", "--port", str(args.port)]
    print(f"serving on http://127.0.0.1:{args.port}/health (Ctrl-C to stop)", flush=True)
    os.execve(command[0], command, env)  # noqa: S606 - replace this process with the server
    return 0  # not reached: execve does not return


if __name__ == "__main__":
    sys.exit(main())
