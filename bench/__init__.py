"""Side-by-side benchmarks: the generated service against a bare FastAPI app.

Run ``make bench`` (or ``python -m bench``). Every figure is a ratio of two
things measured in the same run, interleaved, so machine noise hits both.
"""

import sys
from pathlib import Path

# The test-support helpers (render, venvs, the Vercel harness) live in tests/.
_TESTS = str(Path(__file__).resolve().parents[1] / "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
