"""The benchmark keeps working: `python -m bench --smoke` runs every measurement once.

Tiny counts and no thresholds: the figures are never a pass/fail test, only
that each of the eight measurements produced one (see docs/performance.md for
real figures, made by `make bench`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.tools import REPO_ROOT, find_npm, require, require_python, require_uv

pytestmark = pytest.mark.slow


def test_bench_smoke_measures_every_ratio_and_writes_the_report(tmp_path: Path) -> None:
    require_python("3.12")
    require_uv()
    require(find_npm(), "npm not found: the benchmark's `vercel build` needs Node.js and npm")
    output = tmp_path / "performance.md"

    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--output", str(output), "--workdir", str(tmp_path / "work")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = output.read_text()
    rows = [line for line in report.splitlines() if re.match(r"\| [1-8] \|", line)]
    measured = {row.split("|")[1].strip() for row in rows if "| n/a |" not in row}
    assert measured == {str(n) for n in range(1, 9)}, report
    unmeasured = [row for row in rows if "| n/a |" in row or "not measured" in row]
    assert not unmeasured, "\n".join(unmeasured) + "\n" + result.stdout[-4000:]
    assert "## Machine" in report
    assert "python -m bench --smoke" in report
    # The no-pyc figures are honest only if the built function never got bytecode.
    function = tmp_path / "work" / "function-generated"
    assert function.is_dir()
    assert not list(function.rglob("*.pyc")), "the built function gained .pyc files: no-pyc runs were not"
    # (8) ran the generated project's own `make build`, which ships bytecode, and drew the chart.
    assert list((tmp_path / "work" / "function-generated-compiled").rglob("*.pyc"))
    chart = tmp_path / "performance-cold-start.svg"
    assert "](performance-cold-start.svg)" in report
    assert chart.read_text().startswith("<svg") and "make build" in chart.read_text()
