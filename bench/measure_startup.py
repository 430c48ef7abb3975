"""(1) entry import time, (2) cold start to the first GET /health, (4) peak RSS after it.

Two bytecode conditions, because Vercel's differs from a laptop's:

* ``pyc``: the dev venvs with warm bytecode (``PYTHONPYCACHEPREFIX`` in the run's
  folder, filled by an untimed first run; the shared venvs are not written to).
* ``no-pyc``: the function as ``vercel build`` lays it out (``_vendor/`` with no
  ``.pyc``), run by a bare python3.12 with ``PYTHONDONTWRITEBYTECODE=1`` as its
  ``.vc-config.json`` says: every imported module of the app compiles from source
  on each cold start, as on Vercel (the interpreter's own stdlib keeps its .pyc).
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .common import HOST, Series, base_env, free_port, interleaved, peak_rss_mib, started, timed_run, wait_for_status
from .subjects import Setup, Subject

from support import vercel  # isort: skip

READY_TIMEOUT = 60.0
T = TypeVar("T")


@dataclass
class Condition:
    name: str  # "pyc" or "no-pyc"
    setup: Setup

    def available(self, subject: Subject) -> bool:
        if self.name == "pyc":
            return True
        return subject.function_dir is not None and self.setup.python312 is not None

    def python(self, subject: Subject) -> str:
        if self.name == "pyc":
            return subject.dev_python
        return _required(self.setup.python312, "python3.12")

    def cwd(self, subject: Subject) -> Path:
        if self.name == "pyc":
            return subject.root
        return _required(subject.function_dir, "the built function")

    def env(self, subject: Subject) -> dict[str, str]:
        if self.name == "pyc":
            extra = {"PYTHONPYCACHEPREFIX": str(self.setup.workdir / "pycache")}
        else:
            extra = {"PYTHONPATH": "_vendor", "PYTHONDONTWRITEBYTECODE": "1"}
        return base_env({**extra, **subject.env})


def _required(value: T | None, what: str) -> T:
    if value is None:
        raise RuntimeError(f"{what} is not available")
    return value


# --- (1) entry import -----------------------------------------------------------


def entry_import(setup: Setup, condition: Condition, rounds: int, *, warmup: bool = True) -> dict[str, Series]:
    """Fresh-interpreter wall time of ``python -c pass`` and of ``import api.index`` (ms)."""
    generated, bare = setup.subjects["generated"], setup.subjects["bare"]
    if not (condition.available(generated) and condition.available(bare)):
        return {}
    commands = {
        "python -c pass": (generated, "pass"),
        "generated": (generated, "import api.index"),
        "bare": (bare, "import api.index"),
    }

    def measure(label: str) -> float:
        subject, code = commands[label]
        python, cwd, env = condition.python(subject), condition.cwd(subject), condition.env(subject)
        return timed_run([python, "-c", code], cwd=cwd, env=env)

    for label in commands if warmup else ():  # untimed: fills the bytecode cache (pyc) / page cache
        measure(label)
    return interleaved(rounds, list(commands), measure, "ms")


def import_profile(setup: Setup, subject_name: str = "generated", top: int = 8) -> list[tuple[str, int, int]]:
    """``-X importtime`` of the entry (warm bytecode): (module, self us, cumulative us), slowest first."""
    condition = Condition("pyc", setup)
    subject = setup.subjects[subject_name]
    result = subprocess.run(
        [condition.python(subject), "-X", "importtime", "-c", "import api.index"],
        cwd=subject.root,
        env=condition.env(subject),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    rows: list[tuple[str, int, int]] = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if not match:
            continue
        if match[3] == "site":  # interpreter startup ends here; `python -c pass` pays it too
            rows.clear()
            continue
        rows.append((match[3], int(match[1]), int(match[2])))
    return sorted(rows, key=lambda row: row[1], reverse=True)[:top]


# --- (2) cold start and (4) peak RSS -------------------------------------------


@contextlib.contextmanager
def _uvicorn(condition: Condition, subject: Subject, port: int, log: Path) -> Iterator[int]:
    command = [condition.python(subject), "-m"]
    if condition.name == "pyc":
        command += ["uvicorn"]
    else:
        # The runtime's vendored uvicorn: its default log config names the
        # unvendored module path, so give it one that names nothing.
        log_config = condition.setup.workdir / "uvicorn-log.json"
        log_config.write_text(json.dumps({"version": 1, "disable_existing_loggers": False}))
        command += ["vercel_runtime._vendor.uvicorn", "--log-config", str(log_config)]
    command += ["api.index:app", "--host", HOST, "--port", str(port), "--log-level", "warning", "--no-access-log"]
    with started(command, cwd=condition.cwd(subject), env=condition.env(subject), log=log) as process:
        wait_for_status(port, "/health", process, READY_TIMEOUT)
        yield process.pid


@contextlib.contextmanager
def _runtime(condition: Condition, subject: Subject) -> Iterator[int]:
    """The real Vercel runtime; with no .pyc it runs the built function and its vendored runtime."""
    if condition.name == "pyc":
        env = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(condition.setup.workdir / "pycache")}
        with vercel.serve_with_vercel_runtime(
            subject.root,
            python=_required(subject.runtime_python, "the runtime venv"),
            env={**env, **subject.env},
            ready_timeout=READY_TIMEOUT,
        ) as server:
            _first_health(server)
            yield server.process.pid
        return
    output = _required(subject.build_output, "a vercel build")
    with _built_function(condition.python(subject), output, condition.cwd(subject), subject.env) as pid:
        yield pid


@contextlib.contextmanager
def _built_function(python: str, output: Path, function_dir: Path, env: dict[str, str]) -> Iterator[int]:
    """A laid-out built function, started as the platform starts it, until its first /health 200.

    As vercel.serve_built_function, minus laying the files out again each time:
    that copy is not part of a cold start.
    """
    function_env = vercel.function_config(output).get("environment", {})

    def make_env(ipc_path: str) -> dict[str, str]:
        base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1"}
        return {**base, **function_env, "VERCEL_IPC_PATH": ipc_path, **env}

    with vercel._serve(  # the harness's own launcher, reused as is
        [python, "-c", "import vc__handler__python"], cwd=function_dir, env=make_env, ready_timeout=READY_TIMEOUT
    ) as server:
        _first_health(server)
        yield server.process.pid


def _first_health(server: vercel.RuntimeServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            response = server.get("/health")
        except OSError:
            if time.monotonic() > deadline or server.process.poll() is not None:
                raise RuntimeError(f"runtime never answered /health\n{server.logs()}") from None
            time.sleep(0.002)
            continue
        if response.status != 200:
            raise RuntimeError(f"/health answered {response.status}: {response.body!r}\n{server.logs()}")
        return


def cold_start(
    setup: Setup, condition: Condition, server: str, rounds: int, *, warmup: bool = True
) -> tuple[dict[str, Series], dict[str, Series]]:
    """Process start until the first GET /health answers (ms), and peak RSS then (MiB)."""
    labels = ["generated", "bare"]
    subjects = [setup.subjects[label] for label in labels]
    if not all(condition.available(subject) for subject in subjects):
        return {}, {}
    if server == "vercel" and condition.name == "pyc" and not all(s.runtime_python for s in subjects):
        return {}, {}
    rss = {label: Series("MiB") for label in labels}
    logs = setup.workdir / "logs"
    logs.mkdir(exist_ok=True)

    def measure(label: str) -> float:
        subject = setup.subjects[label]
        start = time.perf_counter()
        if server == "uvicorn":
            serving = _uvicorn(condition, subject, free_port(), logs / f"uvicorn-{condition.name}-{label}.log")
        else:
            serving = _runtime(condition, subject)
        with serving as pid:
            elapsed = (time.perf_counter() - start) * 1000
            rss[label].values.append(peak_rss_mib(pid))
        return elapsed

    for label in labels if warmup else ():  # untimed warm-up (bytecode cache, page cache)
        measure(label)
        rss[label].values.clear()
    times = interleaved(rounds, labels, measure, "ms")
    return times, rss


# --- (8) cold start of the built functions, as deployed ---------------------------

# label -> (subject, which build). The generated project's bytecode build is its own `make build`.
BUILT_FUNCTIONS = {
    "generated, `make build` (bytecode)": ("generated", "compiled"),
    "generated, default build": ("generated", "default"),
    "bare, bytecode build": ("bare", "compiled"),
    "bare, default build": ("bare", "default"),
}


def built_cold_start(setup: Setup, rounds: int, *, warmup: bool = True) -> dict[str, Series]:
    """Process start to the first GET /health 200 of each built function (ms), interleaved.

    Each is the function ``vercel build`` wrote, laid out from its ``filePathMap``,
    run by a bare python3.12 that imports ``vc__handler__python`` with the
    function's own environment plus what the platform sets (``VERCEL=1``, a
    private temp dir): nothing comes from a dev venv.
    """
    python = _required(setup.python312, "python3.12")
    tmp = setup.workdir / "function-tmp"
    tmp.mkdir(exist_ok=True)
    functions: dict[str, tuple[Path, Path]] = {}
    for label, (name, kind) in BUILT_FUNCTIONS.items():
        subject = setup.subjects[name]
        output, folder = (
            (subject.compiled_output, subject.compiled_dir)
            if kind == "compiled"
            else (subject.build_output, subject.function_dir)
        )
        functions[label] = (_required(output, f"{label}: a build"), _required(folder, f"{label}: a laid-out function"))

    def measure(label: str) -> float:
        output, folder = functions[label]
        start = time.perf_counter()
        with _built_function(python, output, folder, {"VERCEL": "1", "TMPDIR": str(tmp)}):
            return (time.perf_counter() - start) * 1000

    for label in functions if warmup else ():  # untimed: page cache
        measure(label)
    return interleaved(rounds, list(functions), measure, "ms")
