"""Run Vercel's own code in tests: the Python runtime and the CLI's `vercel build`.

Nothing here imitates Vercel. The runtime is PyPI's ``vercel-runtime`` (module
``vercel_runtime.vc_init``, the code a deployed Python function runs), started
the way the platform starts it: a Unix socket named in ``VERCEL_IPC_PATH`` to
which the runtime reports the port it serves on, and the entry point named in
``__VC_HANDLER_*`` variables. The build is the real CLI from npm, pinned.

Public API (other test modules rely on these names):

- ``runtime_python(requirements=()) -> str``
- ``serve_with_vercel_runtime(project_dir, entry=..., env=..., python=...)``
- ``vercel_cli() -> list[str]``, ``cli_versions() -> dict[str, str]``
- ``vercel_build(project_dir, command=..., env=...) -> Path`` (the ``.vercel/output`` folder)
- ``static_files(output_dir) -> list[str]``
- ``function_config(output_dir, name="index") -> dict``
- ``materialize_function(output_dir, dest, name="index") -> Path``
- ``serve_built_function(output_dir, dest, name="index", env=None)``
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .render import locked, project_requirements, run_checked
from .tools import cache_dir, find_npm, require, require_python, require_uv

# The newest runtime on PyPI. The CLI vendors the one its @vercel/python pins
# into the functions it builds (``cli_versions()`` reads which); the
# ``serve_built_function`` tests run that one.
VERCEL_RUNTIME_VERSION = "0.24.1"
# The current CLI (October 2026), as Vercel's remote builds use it.
VERCEL_CLI_VERSION = "64.0.2"
# npm cannot resolve the CLI's pinned dependency sandbox@4.4.0 here (4.5.0 is
# served); an override in the install's own package.json swaps it. Users'
# machines install the CLI without one.
VERCEL_CLI_OVERRIDES = {"sandbox": "4.5.0"}
# The runtime needs Python 3.12 or newer; 3.12 is the builder's default.
RUNTIME_PYTHON_VERSION = "3.12"

# Without this file `vercel build` prints a prompt-like line and exits 0
# having built nothing; with it the build runs offline.
PROJECT_JSON = {
    "projectId": "prj_test",
    "orgId": "team_test",
    "settings": {"framework": None},
}

READY_TIMEOUT = 60.0
BUILD_TIMEOUT = 600.0
_COMPLETE_MARKER = ".complete"
# Folders a build copy leaves behind: caches, and a previous build's output.
_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    ".vercel",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
)


# --- caching: one builder at a time across pytest-xdist workers --------------


def _cached_build(target: Path, build: Callable[[Path], None]) -> Path:
    """Return ``target``, building it first if needed.

    ``build`` fills a temp folder beside ``target`` that is renamed into place
    only when complete, so an interrupted run never leaves a half-made cache
    that a later run would trust.
    """
    if (target / _COMPLETE_MARKER).exists():
        return target
    with locked(target.with_name(target.name + ".lock")):
        if (target / _COMPLETE_MARKER).exists():  # another worker built it meanwhile
            return target
        if target.exists():  # left by a run killed after the rename
            shutil.rmtree(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; the cache is not
        try:
            build(staging)
            (staging / _COMPLETE_MARKER).touch()
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


# --- the runtime's interpreter ------------------------------------------------


def runtime_python(requirements: Sequence[str] = (), *, runtime_version: str = VERCEL_RUNTIME_VERSION) -> str:
    """Python of a cached venv holding ``vercel-runtime`` plus ``requirements``.

    The venv is made by uv from a real python3.12 (not a pyenv shim) and is
    shared by all tests asking for the same requirements.
    """
    python = require_python(RUNTIME_PYTHON_VERSION)
    uv = require_uv()
    wanted = [f"vercel-runtime=={runtime_version}", *sorted(set(requirements))]
    # The interpreter path is part of the key: a new patch release of 3.12
    # lives at a new path and gets a fresh venv.
    key = hashlib.sha256(json.dumps([python, wanted]).encode()).hexdigest()[:16]
    target = cache_dir("vercel-runtime") / key

    def build(venv: Path) -> None:
        # UV_PYTHON_DOWNLOADS=never: uv must use the interpreter we name,
        # never fetch one (that needs internet this machine does not have).
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        run_checked([uv, "venv", "--quiet", "--python", python, str(venv)], env=env)
        run_checked([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *wanted], env=env)
        (venv / "requirements.txt").write_text("\n".join(wanted) + "\n")

    return str(_cached_build(target, build) / "bin" / "python")


def _pyproject(project_dir: Path) -> dict[str, Any]:
    path = project_dir / "pyproject.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


def builder_installs_project(project_dir: Path) -> bool:
    """Whether ``vercel build`` installs the project itself into the function.

    The builder runs ``uv sync --no-editable``, which installs the project
    (a copy of ``src/<pkg>`` in ``_vendor/``) only when uv sees a package: a
    ``[build-system]`` table, unless ``tool.uv.package`` says otherwise.
    Without it, ``src/`` is shipped as plain files that are not on sys.path.
    """
    data = _pyproject(project_dir)
    package = data.get("tool", {}).get("uv", {}).get("package")
    return bool(package) if package is not None else "build-system" in data


# --- serving through the real runtime ----------------------------------------


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RuntimeServer:
    """A running ``vercel_runtime.vc_init`` process and what it reported."""

    process: subprocess.Popen[bytes]
    port: int | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    _chunks: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    ready: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the runtime has not reported a port yet")
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> HttpResponse:
        """GET ``path`` from the function; any status comes back, not raised."""
        return self.request("GET", path, headers=headers, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> HttpResponse:
        """One request on a fresh connection, as the platform's proxy sends them."""
        if self.port is None:
            raise RuntimeError("the runtime has not reported a port yet")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return HttpResponse(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def logs(self) -> str:
        """Everything the function printed or logged so far.

        The runtime sends user output (print, stdout/stderr, ``logging``) over
        the IPC socket as ``log`` messages, as the platform expects; what it
        writes before that (an import traceback) goes to real stderr. Both
        land here, in arrival order.
        """
        with self._lock:
            return "".join(self._chunks)

    def append_log(self, text: str) -> None:
        with self._lock:
            self._chunks.append(text)

    def handle_message(self, message: dict[str, Any]) -> None:
        with self._lock:
            self.messages.append(message)
        kind = message.get("type")
        payload = message.get("payload") or {}
        if kind == "server-started":
            self.port = int(payload["httpPort"])
            self.ready.set()
        elif kind == "log":
            text = base64.b64decode(payload.get("message", "")).decode(errors="replace")
            self.append_log(text if text.endswith("\n") else text + "\n")
        elif kind == "unrecoverable-error":
            self.append_log(f"[unrecoverable-error] {payload.get('message', '')}\n")
            self.ready.set()  # no port will come: stop waiting now


def _read_output(server: RuntimeServer) -> None:
    assert server.process.stdout is not None
    for line in iter(server.process.stdout.readline, b""):
        server.append_log(line.decode(errors="replace"))


def _read_ipc(listener: socket.socket, server: RuntimeServer) -> None:
    """The platform's end of the IPC socket: NUL-terminated JSON messages.

    It keeps reading until the runtime closes the socket, so the runtime's
    ``sendall`` never blocks on a full buffer.
    """
    try:
        conn, _ = listener.accept()
    except OSError:  # listener closed: the process died before connecting
        return
    buffer = b""
    with conn:
        while chunk := conn.recv(65536):
            buffer += chunk
            *frames, buffer = buffer.split(b"\0")
            for frame in frames:
                with contextlib.suppress(ValueError):
                    server.handle_message(json.loads(frame))


def _module_name(entry: str) -> str:
    """``api/index.py`` -> ``api.index``, as the builder names the module."""
    return entry.removesuffix(".py").replace("/", ".")


def _runtime_env(
    project_dir: Path,
    entry: str,
    variable: str,
    ipc_path: str,
    extra: Mapping[str, str],
) -> dict[str, str]:
    """The whole environment of the function process: nothing leaks from ours.

    What is here and why:
    - ``__VC_HANDLER_*``: what the builder's ``vc__handler__python.py`` sets
      before it imports ``vercel_runtime.vc_init``.
    - ``VERCEL_IPC_PATH``: how the platform hands the runtime its socket.
    - ``PYTHONPATH``: a built function has the project root on sys.path and
      ``_vendor/`` (deps, and the project itself when it is a package) via
      ``PYTHONPATH=_vendor``. Here the venv stands for ``_vendor/``'s deps,
      the cwd (project root) is on sys.path through ``-c``, and ``src/``
      stands for the installed project, only when the builder would install
      it (see ``builder_installs_project``).
    - ``PYTHONDONTWRITEBYTECODE``: the built function's ``.vc-config.json``
      sets it, so imports cost what they cost on a cold start.
    - ``PYTHONUNBUFFERED``: not the platform's; so that output written before
      the runtime wraps stdout reaches ``logs()`` at once.
    - ``PATH``: a plain system PATH, for apps that run a subprocess.
    """
    src = project_dir / "src"
    installed = src.is_dir() and builder_installs_project(project_dir)
    python_path = [str(src)] if installed else []
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "VERCEL_IPC_PATH": ipc_path,
        "__VC_HANDLER_ENTRYPOINT": entry,
        "__VC_HANDLER_ENTRYPOINT_ABS": str(project_dir / entry),
        "__VC_HANDLER_MODULE_NAME": _module_name(entry),
        "__VC_HANDLER_VARIABLE_NAME": variable,
        "__VC_HANDLER_VENDOR_DIR": "_vendor",
    }
    if python_path:
        env["PYTHONPATH"] = os.pathsep.join(python_path)
    env.update(extra)
    return env


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop the function: SIGINT first, then SIGTERM, then SIGKILL.

    SIGINT lets Python run its exit hooks: uvicorn shuts down cleanly and the
    runtime writes the log lines it was still holding back (it buffers them
    until ``server-started``) to stderr, so a timeout still shows them.
    """
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


@contextlib.contextmanager
def serve_with_vercel_runtime(
    project_dir: Path,
    entry: str = "api/index.py",
    env: Mapping[str, str] | None = None,
    python: str | None = None,
    *,
    variable: str = "app",
    ready_timeout: float = READY_TIMEOUT,
) -> Iterator[RuntimeServer]:
    """Serve ``entry`` of ``project_dir`` with the real Vercel Python runtime.

    ``python`` defaults to ``runtime_python()`` with the project's declared
    dependencies, which is what the builder would vendor. Yields once the
    runtime reported ``server-started``; raises with the logs if it exits or
    stays silent for ``ready_timeout`` seconds. The process is always killed.

    In this (Lambda-style) mode the runtime reports the port *before* ASGI
    lifespan startup runs, as on the platform: a failing startup shows up as
    refused or reset connections afterwards, not here.
    """
    project_dir = Path(project_dir).resolve()
    if python is None:
        python = runtime_python(project_requirements(project_dir, dev=False))
    with _serve(
        # `import`, as the builder's handler module does; `-c` also puts the
        # cwd (the function root) first on sys.path, like /var/task.
        [python, "-c", "import vercel_runtime.vc_init"],
        cwd=project_dir,
        env=lambda ipc_path: _runtime_env(project_dir, entry, variable, ipc_path, env or {}),
        ready_timeout=ready_timeout,
    ) as server:
        yield server


@contextlib.contextmanager
def _serve(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: Callable[[str], dict[str, str]],
    ready_timeout: float,
) -> Iterator[RuntimeServer]:
    """Start ``cmd`` as the platform would, with the IPC socket path passed to ``env``."""
    # A short folder under /tmp: AF_UNIX paths are limited to ~107 bytes.
    with tempfile.TemporaryDirectory(prefix="vc-ipc-", dir="/tmp") as ipc_dir:
        ipc_path = str(Path(ipc_dir, "ipc.sock"))
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(ipc_path)
        listener.listen(1)
        process = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env(ipc_path),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        server = RuntimeServer(process=process)
        threads = [
            threading.Thread(target=_read_output, args=(server,), daemon=True),
            threading.Thread(target=_read_ipc, args=(listener, server), daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            _wait_ready(server, ready_timeout)
            yield server
        finally:
            stop_process(process)
            listener.close()
            for thread in threads:
                thread.join(timeout=5)


def _wait_ready(server: RuntimeServer, timeout: float) -> None:
    """Wait for ``server-started``; on failure stop the process and raise with its logs."""
    deadline = time.monotonic() + timeout
    timed_out = False
    while not server.ready.wait(0.05):
        if server.process.poll() is not None:
            break
        if time.monotonic() > deadline:
            timed_out = True
            break
    if server.port is not None:
        return
    if timed_out:
        problem = f"vercel runtime did not report ready within {timeout:.0f}s"
    else:
        problem = "vercel runtime failed to start"
    # Stopping flushes what the runtime held back; an unrecoverable-error
    # message also comes just before the exit. Wait for both.
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=0 if timed_out else 5)
    stop_process(server.process)
    time.sleep(0.2)  # let the reader threads drain the pipe and the socket
    code = server.process.returncode
    raise RuntimeError(f"{problem} (exit code {code})\n--- logs ---\n{server.logs()}")


# --- the CLI and `vercel build` ----------------------------------------------


def vercel_cli() -> list[str]:
    """The command that runs the pinned Vercel CLI, installed once from npm."""
    return [str(_cli_install() / "node_modules" / ".bin" / "vercel")]


def _cli_install() -> Path:
    """The folder the pinned CLI is npm-installed into, once per machine."""
    npm = find_npm()
    require(npm, "npm not found: the Vercel CLI tests need Node.js and npm")
    assert npm is not None
    package = {"private": True, "overrides": VERCEL_CLI_OVERRIDES}
    key = hashlib.sha256(json.dumps(package, sort_keys=True).encode()).hexdigest()[:8]
    target = cache_dir(f"vercel-cli-{VERCEL_CLI_VERSION}-{key}")
    # cache_dir creates the folder; the staged install is renamed onto a
    # sibling, so install into a child folder that does not exist yet.
    install = target / "install"

    def build(folder: Path) -> None:
        # A package.json of its own holds the overrides and keeps npm from
        # installing into a parent folder that happens to have one.
        (folder / "package.json").write_text(json.dumps(package) + "\n")
        run_checked([npm, "i", "-E", f"vercel@{VERCEL_CLI_VERSION}", "--no-audit", "--no-fund"], cwd=folder)

    return _cached_build(install, build)


def cli_versions() -> dict[str, str]:
    """What the installed CLI is made of, read from its files (for reports).

    ``vercel``, the ``@vercel/python`` builder it bundles, and the
    ``vercel-runtime`` that builder vendors into every function it builds.
    """
    modules = _cli_install() / "node_modules"
    builder = modules / "@vercel" / "python"
    pinned = re.search(r'VERCEL_RUNTIME_VERSION = "([^"]+)"', (builder / "dist" / "index.js").read_text())
    return {
        "vercel": json.loads((modules / "vercel" / "package.json").read_text())["version"],
        "@vercel/python": json.loads((builder / "package.json").read_text())["version"],
        "vercel-runtime": pinned.group(1) if pinned else "unknown",
    }


def _tool_bin(folder: Path) -> Path:
    """A folder with ``vercel``, ``uv`` and the real ``python3.12`` for the build to find.

    The pyenv shim named python3.12 on PATH fails unless 3.12 is selected, and
    the builder would pick it; links to the real files avoid that. ``vercel``
    is there so that a project's own ``make build`` runs the pinned CLI.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, real in (
        ("vercel", vercel_cli()[0]),
        ("uv", require_uv()),
        (f"python{RUNTIME_PYTHON_VERSION}", require_python(RUNTIME_PYTHON_VERSION)),
    ):
        link = folder / name
        if not link.exists():
            link.symlink_to(real)
    return folder


def vercel_build(
    project_dir: Path,
    *,
    workdir: Path | None = None,
    command: Sequence[str] = ("vercel", "build"),
    env: Mapping[str, str] | None = None,
    timeout: float = BUILD_TIMEOUT,
) -> Path:
    """Run the real ``vercel build`` on a copy of ``project_dir``; return ``.vercel/output``.

    ``command`` runs in the copy with the pinned CLI first on PATH as
    ``vercel``: a generated project passes ``("make", "build")`` to build the
    way it deploys. ``env`` adds to the build's environment (e.g.
    ``VERCEL_PYTHON_COMPILEALL``). The build writes into its source folder
    (``uv.lock``, ``.python-version``, ``.vercel/``), hence the copy: in
    ``workdir`` (a test's ``tmp_path``) or a fresh temp folder left for
    inspection.
    """
    base = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="vercel-build-"))
    copy = base / "project"
    shutil.copytree(project_dir, copy, ignore=_COPY_IGNORE, symlinks=True)
    (copy / ".vercel").mkdir()
    (copy / ".vercel" / "project.json").write_text(json.dumps(PROJECT_JSON))
    tools = _tool_bin(base / "bin")
    build_env = {
        **os.environ,
        "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}",
        # Offline, these only cost time and noise; nothing depends on them.
        "VERCEL_TELEMETRY_DISABLED": "1",
        "NO_UPDATE_NOTIFIER": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        **(env or {}),
    }
    try:
        result = subprocess.run(
            list(command), cwd=copy, env=build_env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        message = f"{' '.join(command)} timed out after {timeout:.0f}s in {copy}"
        raise RuntimeError(message) from exc
    output = copy / ".vercel" / "output"
    # Exit 0 does not mean it built: check the output it must have written.
    if result.returncode != 0 or not (output / "config.json").exists():
        raise RuntimeError(
            f"{' '.join(command)} failed (exit {result.returncode}) in {copy}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
    return output


def static_files(output_dir: Path) -> list[str]:
    """Files the deployment would serve as static content, relative and sorted."""
    static = Path(output_dir) / "static"
    if not static.is_dir():
        return []
    files = (p for p in static.rglob("*") if p.is_file())
    return sorted(p.relative_to(static).as_posix() for p in files)


def function_config(output_dir: Path, name: str = "index") -> dict[str, Any]:
    """The parsed ``.vc-config.json`` of ``api/<name>``'s built function."""
    path = Path(output_dir) / "functions" / "api" / f"{name}.func" / ".vc-config.json"
    if not path.exists():
        built = sorted(p.name for p in path.parent.parent.glob("*.func"))
        message = f"no function config at {path}; built functions: {built}"
        raise FileNotFoundError(message)
    return json.loads(path.read_text())


# --- the built function, as deployed -----------------------------------------


def materialize_function(output_dir: Path, dest: Path, name: str = "index") -> Path:
    """Lay out ``api/<name>``'s built function in ``dest`` as the platform would.

    ``vercel build`` writes only the handler module and a ``filePathMap``
    (function path -> file in the build folder); the deployment uploads those
    files. Copying them gives the function's real file tree: ``_vendor/``
    with the dependencies and the vendored runtime, the project files, and
    ``vc__handler__python.py``.
    """
    output_dir = Path(output_dir)
    build_root = output_dir.parent.parent  # <project>/.vercel/output
    func_dir = output_dir / "functions" / "api" / f"{name}.func"
    file_map = function_config(output_dir, name).get("filePathMap") or {}
    if not file_map:  # an empty function would "serve" nothing and prove nothing
        raise RuntimeError(f"{func_dir}/.vc-config.json has no filePathMap: nothing to lay out")
    for rel, source in file_map.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build_root / source, target)
    for extra in func_dir.iterdir():
        if extra.name != ".vc-config.json":
            shutil.copy2(extra, dest / extra.name)
    return dest


@contextlib.contextmanager
def serve_built_function(
    output_dir: Path,
    dest: Path,
    name: str = "index",
    env: Mapping[str, str] | None = None,
    *,
    before_start: Callable[[Path], None] | None = None,
    ready_timeout: float = READY_TIMEOUT,
) -> Iterator[RuntimeServer]:
    """Serve the *built* ``api/<name>`` function with the runtime it vendors.

    Unlike ``serve_with_vercel_runtime`` nothing comes from a test venv: a
    bare python3.12 imports the builder's ``vc__handler__python`` (which sets
    the ``__VC_HANDLER_*`` variables) with the ``environment`` of the
    function's ``.vc-config.json``, so imports, bytecode and cold start cost
    what a deployment's do. ``before_start`` gets the laid-out function's
    folder before the process starts (to change a file in it).
    """
    python = require_python(RUNTIME_PYTHON_VERSION)
    function_env = function_config(output_dir, name).get("environment", {})
    root = materialize_function(output_dir, dest, name)
    if before_start is not None:
        before_start(root)

    def make_env(ipc_path: str) -> dict[str, str]:
        base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1"}
        return {**base, **function_env, "VERCEL_IPC_PATH": ipc_path, **(env or {})}

    with _serve(
        [python, "-c", "import vc__handler__python"], cwd=root, env=make_env, ready_timeout=ready_timeout
    ) as server:
        yield server
