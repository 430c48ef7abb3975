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
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

EQUIVALENT_FILE = Path("mutmut-equivalent.toml")
CAUGHT = ("killed", "timeout")


@dataclass(frozen=True)
class Equivalent:
    function: str
    removed: str
    added: str
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


def load_equivalents(path: Path) -> list[Equivalent]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Equivalent(e["function"], e["removed"], e["added"], e["why"])
        for e in data.get("equivalent", [])
    ]


def score(counts: Counter[str]) -> float:
    tested = sum(counts.values()) - counts["skipped"]
    return 100.0 * sum(counts[s] for s in CAUGHT) / tested if tested else 100.0


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
    equivalents = load_equivalents(EQUIVALENT_FILE)
    by_function: dict[str, list[str]] = defaultdict(list)
    for name in found:
        by_function[function_of(name)].append(name)

    # Which listed entries still match a generated mutant, and which mutant each one explains.
    explained: dict[str, Equivalent] = {}
    stale: list[str] = []
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
    # A module none of whose mutants ran this time (a selective `mutmut run`) is not scored.
    ran = {m: c for m, c in per_module.items() if c["not checked"] < sum(c.values())}

    # "mutmut": mutmut's own score. "score": the same with the listed equivalent mutants left
    # out (no test can catch them); the threshold applies to it.
    print(
        f"{'module':<36} {'mutants':>7} {'caught':>6} {'missed':>6} {'equiv.':>6} "
        f"{'mutmut':>7} {'score':>7}"
    )
    failed = []
    for module in sorted(ran):
        counts = ran[module]
        equivalent = sum(
            1
            for n, s in found.items()
            if module_of(n) == module and n in explained and s not in CAUGHT
        )
        caught = sum(counts[s] for s in CAUGHT)
        # Missed: survived, no test covers it, suspicious... (not checked is not yet run).
        missed = sum(counts.values()) - caught - counts["skipped"] - counts["not checked"]
        raw = score(counts)
        tested = sum(counts.values()) - counts["skipped"] - equivalent
        value = 100.0 * caught / tested if tested else 100.0
        print(
            f"{module:<36} {sum(counts.values()):>7} {caught:>6} {missed:>6} {equivalent:>6} "
            f"{raw:>6.1f}% {value:>6.1f}%"
        )
        if value < args.fail_under:
            failed.append(module)
    tested = totals["total"] - totals["skipped"]
    overall = 100.0 * (totals["killed"] + totals["timeout"]) / tested if tested else 100.0
    pending = sum(1 for status in found.values() if status == "not checked")
    if pending:  # a selective run: mutmut's total counts the mutants it did not run
        print(f"(a partial run: {pending} of {totals['total']} mutants were not run)")
    else:
        print(f"{'all (mutmut export-cicd-stats)':<36} {totals['total']:>7} {overall:>29.1f}%")

    unexplained = sorted(
        n
        for n, s in found.items()
        if s not in (*CAUGHT, "skipped", "not checked") and n not in explained
    )
    if unexplained:
        print(
            f"\n{len(unexplained)} mutants not caught and not listed as equivalent (mutmut show NAME):"
        )
        for name in unexplained:
            print(f"  {name}: {found[name]}")
    if failed:
        print(f"\nBelow {args.fail_under:g}%: {', '.join(failed)}")
    return 1 if failed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
