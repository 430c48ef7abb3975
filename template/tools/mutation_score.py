"""The mutation score of the last ``mutmut run``, per module, against a threshold.

``make mutate`` runs this after ``mutmut run``. It reads mutmut's own results
(``mutmut export-cicd-stats`` and ``mutmut results --all true``), scores each
module with mutmut's formula, (killed + timeout) / (total - skipped), and exits 1
when a module that was run scores below ``--fail-under``, counting the mutants
listed as equivalent as neither caught nor missed (mutmut's own score is printed too).

A surviving mutant is either a promise no test checks (write the test) or a change
nobody can observe (write it down in ``mutmut-equivalent.toml`` with one line of
why). Listed mutants are matched by function and mutated code, not by mutmut's
number, so an edit elsewhere in the function does not invalidate the list; an entry
that matches no mutant mutmut generates any more fails the run (``--check-list``
fails on that alone).

mutmut picks the tests for a mutant by tracing which functions each test calls in
its own process, so code that only runs in another process (a forked child) looks
untested. The same file names such functions (``[[out_of_process]]``) with the
tests that reach them; each of their mutants mutmut did not catch is run here
against those tests (``MUTANT_UNDER_TEST`` in ``./mutants``, as mutmut does), and
counts as caught when they fail.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

EQUIVALENT_FILE = Path("mutmut-equivalent.toml")
KILLED_OUT_OF_PROCESS = "killed (out of process)"
CAUGHT = ("killed", "timeout", KILLED_OUT_OF_PROCESS)
# pytest's exit codes: 0 passed (the mutant survived), 1 a test failed (caught).
PYTEST_PASSED, PYTEST_FAILED = 0, 1
OUT_OF_PROCESS_TIMEOUT = 120  # seconds: a mutant that hangs the tests is caught (mutmut's rule)


@dataclass(frozen=True)
class Equivalent:
    function: str
    removed: str
    added: str
    why: str


@dataclass(frozen=True)
class OutOfProcess:
    function: str
    tests: tuple[str, ...]
    why: str


def mutmut(*args: str) -> str:
    """Run mutmut's own command line from the same venv as this script."""
    result = subprocess.run(
        [sys.executable, "-m", "mutmut", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"mutmut {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def statuses() -> dict[str, str]:
    """Every generated mutant (``module.x_function__mutmut_N``) and its status."""
    found: dict[str, str] = {}
    for line in mutmut("results", "--all", "true").splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status
    return found


def function_of(mutant: str) -> str:
    """``api.index.xǁLazyAppǁ_refuse__mutmut_7`` -> ``api.index.xǁLazyAppǁ_refuse``."""
    return mutant.rpartition("__mutmut_")[0]


def module_of(mutant: str) -> str:
    return mutant.rpartition(".")[0]


def mutation_of(mutant: str) -> tuple[str, str]:
    """The lines the mutant removes and adds, stripped: stable when other lines move."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # mutmut 3.8 (pinned)

    module = module_of(mutant).replace(".", "/")
    path = next(p for p in (Path(f"{module}.py"), Path(f"src/{module}.py")) if p.exists())
    lines = get_diff_for_mutant(mutant, path=path).splitlines()[2:]  # after ---/+++
    removed = [line[1:].strip() for line in lines if line.startswith("-")]
    added = [line[1:].strip() for line in lines if line.startswith("+")]
    return " / ".join(removed), " / ".join(added)


def load_list(path: Path) -> tuple[list[Equivalent], list[OutOfProcess]]:
    """The equivalent mutants and the out-of-process functions listed in ``path``."""
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    equivalents = [
        Equivalent(e["function"], e["removed"], e["added"], e["why"])
        for e in data.get("equivalent", [])
    ]
    out_of_process = [
        OutOfProcess(e["function"], tuple(e["tests"]), e["why"])
        for e in data.get("out_of_process", [])
    ]
    return equivalents, out_of_process


def missed(status: str) -> bool:
    """Survived, or no test reaches it: neither caught nor excluded nor still to run."""
    return status not in (*CAUGHT, "skipped", "not checked")


def run_out_of_process(mutant: str, tests: tuple[str, ...]) -> str:
    """Run ``tests`` against ``mutant`` in mutmut's working copy: its new status."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    environment = {**os.environ, "MUTANT_UNDER_TEST": mutant}
    try:
        result = subprocess.run(
            command,
            cwd="mutants",
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=OUT_OF_PROCESS_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    if result.returncode == PYTEST_FAILED:
        return KILLED_OUT_OF_PROCESS
    if result.returncode == PYTEST_PASSED:
        return "survived"
    # Collection errors, no such test: the list is wrong, not the mutant.
    sys.exit(f"{' '.join(tests)} could not run ({result.returncode}):\n{result.stdout}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fail-under", type=float, default=90.0, help="per-module minimum score")
    parser.add_argument(
        "--check-list",
        action="store_true",
        help="only check that mutmut-equivalent.toml is current",
    )
    args = parser.parse_args()

    found = statuses()
    if not found:
        sys.exit("No mutants: run `mutmut run` (make mutate) first.")
    equivalents, out_of_process = load_list(EQUIVALENT_FILE)
    by_function: dict[str, list[str]] = defaultdict(list)
    for name in found:
        by_function[function_of(name)].append(name)

    # mutmut's blind spot first: a mutant caught there may also be listed as equivalent.
    stale: list[str] = []
    for reach in out_of_process:
        mutants = by_function.get(reach.function, [])
        if not mutants:
            stale.append(f"{reach.function}: out of process (mutmut generates no mutant of it)")
        for name in mutants if not args.check_list else ():
            if missed(found[name]):
                found[name] = run_out_of_process(name, reach.tests)

    # Which listed entries still match a generated mutant, and which mutant each one explains.
    explained: dict[str, Equivalent] = {}
    for entry in equivalents:
        wanted = (entry.removed, entry.added)
        matches = [m for m in by_function.get(entry.function, []) if mutation_of(m) == wanted]
        if not matches:
            stale.append(f"{entry.function}: {entry.added!r} (mutmut no longer generates it)")
        elif all(found[m] == "killed" for m in matches):  # a timeout may be the machine
            stale.append(f"{entry.function}: {entry.added!r} (a test catches it: not equivalent)")
        # The same change can occur twice in a function: the entry explains the survivors.
        explained.update(dict.fromkeys((m for m in matches if found[m] not in CAUGHT), entry))
    for line in stale:
        print(f"STALE in {EQUIVALENT_FILE}: {line}")
    if args.check_list:
        return 1 if stale else 0

    mutmut("export-cicd-stats")  # mutmut's own totals, in mutants/mutmut-cicd-stats.json
    totals = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text(encoding="utf-8"))

    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    for name, status in found.items():
        per_module[module_of(name)][status] += 1
        if name in explained:
            per_module[module_of(name)]["equivalent"] += 1
    # A module none of whose mutants ran this time (a selective `mutmut run`) is not scored.
    ran = {m: c for m, c in per_module.items() if c["not checked"] < c.total() - c["equivalent"]}

    # "mutmut": mutmut's own score. "score": the same with the listed equivalent mutants left
    # out (no test can catch them); the threshold applies to it, per module and in all.
    print(
        f"{'module':<36} {'mutants':>7} {'caught':>6} {'missed':>6} {'equiv.':>6} "
        f"{'mutmut':>7} {'score':>7}"
    )
    failed = [
        name for name, counts in sorted(ran.items()) if report(name, counts) < args.fail_under
    ]
    pending = sum(1 for status in found.values() if status == "not checked")
    if pending:  # a selective run: mutmut's total counts the mutants it did not run
        print(f"(a partial run: {pending} of {totals['total']} mutants were not run)")
    elif report("all", sum(ran.values(), Counter())) < args.fail_under:
        failed.append("all")
    print(
        f"mutmut export-cicd-stats: {totals['killed']} killed, {totals['timeout']} timeout, "
        f"{totals['survived']} survived, {totals['no_tests']} without tests, of {totals['total']}"
    )

    unexplained = sorted(n for n, s in found.items() if missed(s) and n not in explained)
    if unexplained:
        print(
            f"\n{len(unexplained)} mutants not caught and not listed as equivalent (mutmut show NAME):"
        )
        for name in unexplained:
            print(f"  {name}: {found[name]}")
    if failed:
        print(f"\nBelow {args.fail_under:g}%: {', '.join(failed)}")
    return 1 if failed or stale else 0


def report(name: str, counts: Counter[str]) -> float:
    """Print one row of the table; return its score (equivalent mutants left out)."""
    equivalent = counts["equivalent"]
    total = counts.total() - equivalent  # "equivalent" counts mutants already counted
    caught = sum(counts[s] for s in CAUGHT)
    # Missed: survived, no test covers it, suspicious... (not checked is not yet run).
    not_caught = total - caught - counts["skipped"] - counts["not checked"] - equivalent
    tested = total - counts["skipped"]
    raw = 100.0 * caught / tested if tested else 100.0
    value = 100.0 * caught / (tested - equivalent) if tested > equivalent else 100.0
    print(
        f"{name:<36} {total:>7} {caught:>6} {not_caught:>6} {equivalent:>6} {raw:>6.1f}% {value:>6.1f}%"
    )
    return value


if __name__ == "__main__":
    sys.exit(main())
