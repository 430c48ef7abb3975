"""The Vercel harness works: the real runtime serves, the real CLI builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support.vercel import (
    function_config,
    serve_built_function,
    serve_with_vercel_runtime,
    static_files,
    vercel_build,
)

BARE = Path(__file__).parent / "fixtures" / "bare_fastapi"


@pytest.fixture(scope="module")
def bare_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `vercel build` of the bare fixture, shared by this module's tests."""
    return vercel_build(BARE, workdir=tmp_path_factory.mktemp("bare-build"))


def test_runtime_serves_bare_fastapi_health() -> None:
    with serve_with_vercel_runtime(BARE) as server:
        response = server.get("/health")

        assert (response.status, response.json()) == (200, {"status": "ok"}), server.logs()
        assert server.process.poll() is None, server.logs()


def test_build_writes_function_config_for_api_index(bare_build: Path) -> None:
    config = function_config(bare_build)

    assert config["handler"] == "vc__handler__python.vc_handler"
    assert config["runtime"] == "python3.12"
    assert "api/index.py" in config["filePathMap"]
    assert "api/index.py" not in static_files(bare_build)


def test_built_function_serves_health_with_its_vendored_runtime(bare_build: Path, tmp_path: Path) -> None:
    with serve_built_function(bare_build, tmp_path / "function") as server:
        response = server.get("/health")

        assert (response.status, response.json()) == (200, {"status": "ok"}), server.logs()


def _bytecode_files(output: Path) -> list[str]:
    return [path for path in function_config(output)["filePathMap"] if path.endswith(".pyc")]


def test_builder_compiles_bytecode_only_with_the_variable_in_the_build_environment(
    bare_build: Path, tmp_path: Path
) -> None:
    compiled = vercel_build(BARE, workdir=tmp_path, env={"VERCEL_PYTHON_COMPILEALL": "1"})

    assert _bytecode_files(bare_build) == []  # the default build ships sources only
    assert "api/__pycache__/index.cpython-312.pyc" in _bytecode_files(compiled)


def test_build_env_in_vercel_json_does_not_reach_vercel_build(tmp_path: Path) -> None:
    """docs/deploy.md says so: `build.env` is no way to turn bytecode on for `vercel build`."""
    project = tmp_path / "bare"
    shutil.copytree(BARE, project)
    (project / "vercel.json").write_text(json.dumps({"build": {"env": {"VERCEL_PYTHON_COMPILEALL": "1"}}}))

    output = vercel_build(project, workdir=tmp_path / "build")

    assert function_config(output)["filePathMap"], "nothing was built"
    assert _bytecode_files(output) == []
