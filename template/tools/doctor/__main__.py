"""``python -m tools.doctor [--json] [--root DIR] [--only NAME]``: exit 1 when a check fails.

Run from the project root (``make doctor`` does). It checks the working tree
with ``src/`` and the root on sys.path, so the project need not be installed.
Warnings are printed but do not change the exit code.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .report import format_report, to_json
from .runner import FAMILIES, run_checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.doctor", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--root", type=Path, default=None, help="project root (default: this doctor's project)"
    )
    parser.add_argument(
        "--only", action="append", choices=sorted(FAMILIES), help="run only this checklist line"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    results = run_checks(args.root, set(args.only) if args.only else None)
    if args.json:
        print(to_json(results))
    else:
        print(format_report(results))
        print(f"doctor: done in {time.monotonic() - started:.1f}s")
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
