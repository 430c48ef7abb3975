"""Runs inside a fresh interpreter: import one module (and maybe build the app), watching.

Started by ``fresh_interpreter.run_probe`` as ``python -I [-B] probe.py '<json>'`` with an
empty environment. It installs an audit hook (files opened for writing,
sockets, subprocesses, sqlite3) and replaces ``os.environ`` with a mapping that
records who reads it, then imports the module. Every finding carries the first
frame inside the project, so the report can name the file and line to fix.
The result is one JSON line on stdout, after ``MARKER``. Standard library only.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

MARKER = "DOCTOR_PROBE_RESULT "

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_FS_EVENTS = frozenset(
    {"os.mkdir", "os.remove", "os.rename", "os.rmdir", "os.truncate", "os.symlink", "os.link"}
    | {"shutil.rmtree", "shutil.copyfile", "shutil.move", "shutil.make_archive"}
)
_NET_EVENTS = frozenset(
    {"socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname"}
    | {"socket.sendto", "http.client.connect", "urllib.Request"}
)
_PROC_EVENTS = frozenset(
    {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork"}
    | {"os.forkpty", "pty.spawn", "os.startfile"}
)
_DB_EVENTS = frozenset({"sqlite3.connect"})


class Recorder:
    """Collects I/O events and environment reads, each with its project frame."""

    def __init__(self, project_dirs: list[str], prefixes: list[str]) -> None:
        self.prefixes = tuple(prefixes)
        self.project_dirs = tuple(os.path.realpath(d) + os.sep for d in project_dirs)
        self.phase = "import"
        self.events: list[dict[str, Any]] = []
        self.env_reads: list[dict[str, Any]] = []
        self.fastapi_import: dict[str, Any] | None = None
        self._busy = False

    def in_project(self, filename: str) -> bool:
        return os.path.realpath(filename).startswith(self.project_dirs)

    def project_frame(self, frame: FrameType | None, *, stop_at_import: bool) -> FrameType | None:
        """The innermost frame in the project; with ``stop_at_import``, not across an import."""
        while frame is not None:
            filename = frame.f_code.co_filename
            if self.in_project(filename):
                return frame
            if stop_at_import and filename.startswith("<frozen importlib"):
                return None
            frame = frame.f_back
        return None

    def where(self, frame: FrameType | None) -> dict[str, Any]:
        """The line to fix: at import, the module-level statement that led here.

        (``SETTINGS = get_settings()`` is the mistake, not the read inside it.)
        The innermost project line is kept as ``via`` when it differs.
        """
        if frame is None:
            return {"file": "", "line": 0, "via": ""}
        culprit = frame
        if self.phase == "import":
            outer: FrameType | None = frame
            while outer is not None and not (
                outer.f_code.co_name == "<module>" and self.in_project(outer.f_code.co_filename)
            ):
                outer = outer.f_back
            culprit = outer or frame
        via = "" if culprit is frame else f"{frame.f_code.co_filename}:{frame.f_lineno}"
        return {"file": culprit.f_code.co_filename, "line": culprit.f_lineno, "via": via}

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if self._busy:
            return
        kind = _classify(event, args)
        if kind is None:
            return
        self._busy = True
        try:
            frame = self.project_frame(sys._getframe(1), stop_at_import=False)
            if kind == "import":
                if self.fastapi_import is None and self.phase == "import":
                    self.fastapi_import = {"module": args[0], **self.where(frame)}
                return
            detail = _detail(event, args)
            self.events.append(
                {"phase": self.phase, "event": event, "detail": detail, **self.where(frame)}
            )
        finally:
            self._busy = False

    def env_read(self, key: str) -> None:
        if self._busy or self.phase != "import":
            return
        self._busy = True
        try:
            reader = _reader(sys._getframe(2))
            frame = self.project_frame(reader, stop_at_import=True)
            # A library reading its own switch (PYDANTIC_*) is not the project's doing;
            # one enumerating the environment or reading our prefix (settings) is.
            direct = frame is reader
            if frame is not None and (direct or key == "*" or key.startswith(self.prefixes)):
                self.env_reads.append({"name": key, **self.where(frame)})
        finally:
            self._busy = False


def _reader(frame: FrameType | None) -> FrameType | None:
    """The frame that asked for the variable, past os.getenv and the Mapping mixins."""
    while frame is not None and frame.f_code.co_filename in _PLUMBING:
        frame = frame.f_back
    return frame


_PLUMBING = frozenset({os.__file__, sys.modules["_collections_abc"].__file__, __file__})


def _classify(event: str, args: tuple[Any, ...]) -> str | None:
    if event == "import":
        name = str(args[0])
        return "import" if name == "fastapi" or name.startswith("fastapi.") else None
    if event == "open":
        path, mode, flags = args
        if isinstance(path, int) or _is_cache(path) or str(path) == "/dev/null":
            return None
        if isinstance(mode, str):
            return "io" if any(char in mode for char in "wax+") else None
        return "io" if isinstance(flags, int) and flags & _WRITE_FLAGS else None
    if event in _FS_EVENTS:
        return None if args and _is_cache(args[0]) else "io"
    if event in _NET_EVENTS or event in _PROC_EVENTS or event in _DB_EVENTS:
        return "io"
    return None


def _is_cache(path: object) -> bool:
    # Python's own bytecode cache is not the app's I/O (Vercel runs with -B anyway).
    return "__pycache__" in os.fsdecode(path) if isinstance(path, str | bytes) else False


def _detail(event: str, args: tuple[Any, ...]) -> str:
    if event == "open":
        return f"open({os.fsdecode(args[0])!r}, {args[1]!r})"
    if event in {"socket.connect", "socket.bind", "socket.sendto"}:
        return f"{event} to {args[-1]!r}"
    if event == "subprocess.Popen":
        return f"subprocess {args[1]!r}"
    if event == "sqlite3.connect":
        return f"sqlite3.connect({args[0]!r})"
    return f"{event}{args[:2]!r}"


class RecordingEnviron(MutableMapping[str, str]):
    """``os.environ`` that tells the recorder who reads it (``os.getenv`` goes through it)."""

    def __init__(self, real: MutableMapping[str, str], recorder: Recorder) -> None:
        self._real = real
        self._recorder = recorder

    def __getitem__(self, key: str) -> str:
        self._recorder.env_read(key)
        return self._real[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._real[key] = value

    def __delitem__(self, key: str) -> None:
        del self._real[key]

    def __iter__(self) -> Iterator[str]:
        self._recorder.env_read("*")
        return iter(self._real)

    def __len__(self) -> int:
        return len(self._real)

    def copy(self) -> dict[str, str]:
        self._recorder.env_read("*")
        return dict(self._real)


def _sockets() -> set[str]:
    """Socket fds of this process: catches connections made in C (libpq), not via ``socket``."""
    try:
        fds = list(Path("/proc/self/fd").iterdir())
    except OSError:
        return set()
    found = set()
    for fd in fds:
        try:
            if str(fd.readlink()).startswith("socket:"):
                found.add(fd.name)
        except OSError:
            continue
    return found


def _error(exc: BaseException, recorder: Recorder) -> dict[str, Any]:
    """The exception and the innermost project frame of its traceback (or its syntax location)."""
    location: dict[str, Any] = {"file": "", "line": 0}
    if isinstance(exc, SyntaxError) and exc.filename and recorder.in_project(exc.filename):
        location = {"file": exc.filename, "line": exc.lineno or 0}
    else:
        tb: TracebackType | None = exc.__traceback__
        while tb is not None:
            if recorder.in_project(tb.tb_frame.f_code.co_filename):
                location = {"file": tb.tb_frame.f_code.co_filename, "line": tb.tb_lineno}
            tb = tb.tb_next
    text = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return {"type": type(exc).__name__, "text": text, **location}


def probe(spec: dict[str, Any], module_name: str) -> dict[str, Any]:
    """Import ``module_name`` (then build the app if ``spec["build"]``) and report."""
    recorder = Recorder(spec["project_dirs"], spec["prefixes"])
    result: dict[str, Any] = {"module": module_name, "import_error": None, "build_error": None}
    sockets_before = _sockets()
    # Replaced, not cleared (the environment is already empty): os.getenv reads it too.
    os.environ = RecordingEnviron(os.environ, recorder)  # type: ignore[assignment]  # noqa: B003
    sys.addaudithook(recorder.audit)
    module = None
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # SystemExit included: an import must not exit either
        result["import_error"] = _error(exc, recorder)
    recorder.phase = "build"
    result["fastapi_imported"] = "fastapi" in sys.modules
    result["fastapi_import"] = recorder.fastapi_import
    if module is not None and spec.get("build"):
        try:
            _build(module, spec["build"])
        except BaseException as exc:
            result["build_error"] = _error(exc, recorder)
    result["leaked_sockets"] = len(_sockets() - sockets_before)
    result["events"] = recorder.events
    result["env_reads"] = recorder.env_reads
    recorder.phase = "done"
    return result


def _emit(result: dict[str, Any]) -> None:
    sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


def serve(spec: dict[str, Any]) -> None:
    """One fork per module: each child starts with no project module imported.

    The third-party libraries the project imports are loaded once, here, so
    each child only pays for the project's own modules; a circular import
    among them shows exactly as in a new interpreter.
    """
    for name in spec["preload"]:
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: S112 - a missing library shows in the child's import
            continue
    for module_name in spec["modules"]:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                _emit(probe(spec, module_name))
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            _emit({"module": module_name, "crashed": code})


def _build(entry: Any, default_factory: str) -> None:
    """Create the app the way the entry will: its ``factory`` ("module:callable") if it has one."""
    app = getattr(entry, "app", None)
    factory = getattr(app, "factory", None)
    target = factory if isinstance(factory, str) and ":" in factory else default_factory
    module_name, _, attribute = target.partition(":")
    getattr(importlib.import_module(module_name), attribute)()


def main() -> None:
    sys.path.pop(0)  # this script's folder: the doctor's modules must not shadow the project's
    spec = json.loads(sys.argv[1])
    sys.path[:0] = spec["paths"]
    if "modules" in spec:
        serve(spec)
    else:
        _emit(probe(spec, spec["module"]))


if __name__ == "__main__":
    main()
