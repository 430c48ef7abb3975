"""``python -m bench``: measure the generated service against a bare FastAPI app.

Usage: python -m bench [--smoke] [--output docs/performance.md] [--workdir DIR] [--no-vercel]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import measure_items
from .chart import cold_start_svg
from .common import REPO_ROOT, Series
from .measure_startup import BUILT_FUNCTIONS, Condition, built_cold_start, cold_start, entry_import, import_profile
from .measure_throughput import ITEM, in_process, loopback
from .measure_tooling import copier_copy
from .report import Report, machine, relative_command, render_markdown
from .subjects import Setup, attempt, prepare


@dataclass(frozen=True)
class Counts:
    imports: int
    cold: int
    loopback_rounds: int
    loopback_requests: int
    asgi_rounds: int
    asgi_requests: int
    audit_requests: int
    copier: int
    built_cold: int  # rounds of (8), each running all four built functions
    warmup: bool = True  # one untimed run of each side before the timed rounds


FULL = Counts(
    imports=15,
    cold=7,
    loopback_rounds=5,
    loopback_requests=3000,
    asgi_rounds=5,
    asgi_requests=3000,
    audit_requests=1000,
    copier=5,
    built_cold=11,
)
SMOKE = Counts(
    imports=1,
    cold=1,
    loopback_rounds=1,
    loopback_requests=40,
    asgi_rounds=1,
    asgi_requests=20,
    audit_requests=20,
    copier=1,
    built_cold=1,
    warmup=False,
)


def phase(title: str) -> None:
    print(f"[bench] {title}...", flush=True)


def measure_built_functions(setup: Setup, counts: Counts, report: Report, chart: Path) -> None:
    """(8) The four built functions side by side; writes ``chart`` (SVG) and its section."""
    phase("(8) cold start of the built functions (vercel build, laid out, vc__handler__python)")
    series = (
        attempt(
            "cold start of built functions",
            report.notes,
            lambda: built_cold_start(setup, counts.built_cold, warmup=counts.warmup),
        )
        or {}
    )
    deployed, bare_default, bare_compiled = (
        series.get(label)
        for label in ("generated, `make build` (bytecode)", "bare, default build", "bare, bytecode build")
    )
    what = "cold start of the built function, generated `make build` vs bare"
    report.ratio("8", f"{what} default build", deployed, bare_default, at_most=0.60)
    report.ratio("8", f"{what} bytecode build", deployed, bare_compiled, at_most=1.15)
    everything = {label: series.get(label) or Series("ms") for label in BUILT_FUNCTIONS}
    title = "Cold start of the built function (ms, lower is better)"
    chart.write_text(cold_start_svg(everything, title=title, highlight="generated, `make build` (bytecode)"))
    lines = [
        "Each subject is built by the real `vercel build` (the CLI and builder versions are under",
        "Machine), laid out from its `.vc-config.json` `filePathMap`, and started as the platform",
        "starts it: a bare python3.12 importing `vc__handler__python` with the function's own",
        "environment plus `VERCEL=1`. Timed from process start to the first `GET /health` 200,",
        f"all four interleaved, {counts.built_cold} rounds. The generated project is built by its own",
        "`make build` (`VERCEL_PYTHON_COMPILEALL=1`); the bytecode build of the bare app sets the",
        "same variable.",
        "",
        f"![{title}]({chart.name})",
        "",
        "| built function | cold start, median (min-max, n) |",
        "|---|---|",
        *[f"| {label} | {values.describe()} |" for label, values in everything.items()],
    ]
    report.sections.append(("Cold start of the built functions", lines))


def measure_all(setup: Setup, counts: Counts, report: Report) -> None:
    subjects = setup.subjects
    pyc, nopyc = Condition("pyc", setup), Condition("no-pyc", setup)

    # (1) entry import
    for condition in (pyc, nopyc):
        phase(f"(1) entry import, {condition.name}")
        series = (
            attempt(
                f"entry import ({condition.name})",
                report.notes,
                lambda c=condition: entry_import(setup, c, counts.imports, warmup=counts.warmup),
            )
            or {}
        )
        report.difference(
            "1",
            f"entry import over `python -c pass`, {condition.name}",
            series.get("generated"),
            series.get("python -c pass"),
            below=50,
        )
        if series.get("bare"):
            report.notes.append(
                f"bare app module import ({condition.name}, builds FastAPI at import): {series['bare'].describe()}"
            )
    profile = attempt("import profile", report.notes, lambda: import_profile(setup))
    if profile:
        lines = [
            "`python -X importtime -c 'import api.index'` (warm bytecode), slowest modules by self time:",
            "",
            "| module | self (us) | cumulative (us) |",
            "|---|---|---|",
        ]
        lines += [f"| `{name}` | {own} | {cumulative} |" for name, own, cumulative in profile]
        report.sections.append(("Profile of the entry import", lines))

    # (2) cold start and (4) peak RSS
    rss_rows: list[tuple[str, dict[str, Series]]] = []
    for server in ("uvicorn", "vercel"):
        for condition in (pyc, nopyc):
            label = f"{'uvicorn' if server == 'uvicorn' else 'Vercel runtime'}, {condition.name}"
            phase(f"(2) cold start to first GET /health, {label}")
            result = attempt(
                f"cold start ({label})",
                report.notes,
                lambda s=server, c=condition: cold_start(setup, c, s, counts.cold, warmup=counts.warmup),
            )
            times, rss = result or ({}, {})
            report.ratio(
                "2",
                f"cold start to first `GET /health`, {label}",
                times.get("generated"),
                times.get("bare"),
                at_most=1.10,
            )
            rss_rows.append((label, rss))
    for label, rss in rss_rows:
        report.ratio(
            "4", f"peak RSS after the first request, {label}", rss.get("generated"), rss.get("bare"), at_most=1.15
        )

    # (3) warm throughput
    phase("(3) warm throughput over loopback")
    result = attempt(
        "loopback throughput",
        report.notes,
        lambda: loopback(setup, ["generated", "bare"], counts.loopback_rounds, counts.loopback_requests),
    )
    series, client = result or ({}, "")
    report.ratio(
        "3",
        "warm throughput `GET /health`, loopback (uvicorn)",
        series.get("generated"),
        series.get("bare"),
        at_least=0.85,
    )
    if client:
        report.notes.append(f"loopback client: {client}, {counts.loopback_requests} requests per round")
    phase("(3) warm throughput in-process (ASGI)")
    result2 = attempt(
        "in-process throughput",
        report.notes,
        lambda: in_process(setup, ["generated", "bare"], counts.asgi_rounds, counts.asgi_requests),
    )
    series = result2[0] if result2 else {}
    report.ratio(
        "3",
        "warm throughput `GET /health`, in-process ASGI",
        series.get("generated"),
        series.get("bare"),
        at_least=0.85,
    )

    # (5) audit cost: POST /api/items with the audit log on vs a project without it
    audited = [name for name in ("generated", "generated-pg") if name in subjects]
    labels = ["generated-noaudit", *audited]
    post = {"method": "POST", "path": "/api/items", "body": ITEM}
    phase("(5) audit cost, in-process (ASGI)")
    result3 = attempt(
        "audit in-process",
        report.notes,
        lambda: in_process(setup, labels, counts.asgi_rounds, counts.audit_requests, **post),
    )
    asgi_series, health = result3 or ({}, {})
    phase("(5) audit cost over loopback")
    result4 = attempt(
        "audit loopback",
        report.notes,
        lambda: loopback(setup, labels, counts.loopback_rounds, counts.audit_requests, **post),
    )
    loop_series = result4[0] if result4 else {}
    for name in audited:
        backend = "PostgreSQL" if name.endswith("pg") else "SQLite"
        report.ratio(
            "5",
            f"`POST /api/items` audit on ({backend}) vs off, in-process ASGI",
            asgi_series.get(name),
            asgi_series.get("generated-noaudit"),
            at_least=0.80,
        )
        report.ratio(
            "5",
            f"`POST /api/items` audit on ({backend}) vs off, loopback",
            loop_series.get(name),
            loop_series.get("generated-noaudit"),
            at_least=0.80,
        )
        state = health.get(name)
        if isinstance(state, dict) and state.get("status") != "ok":
            report.notes.append(f"{name}: /health after the audit run was not ok: {state}")

    # (6) generation
    phase("(6) copier copy --defaults")
    copies = attempt("copier copy", report.notes, lambda: copier_copy(setup, counts.copier, warmup=counts.warmup)) or {}
    report.ratio(
        "6",
        "`copier copy --defaults` wall time vs a one-file template",
        copies.get("generated"),
        copies.get("one-file"),
        at_most=2.0,
    )

    # (7) bundle size
    generated, bare = subjects["generated"], subjects["bare"]
    sizes = {
        name: Series("MB", [s.bundle_bytes / 1e6]) if s.bundle_bytes else None
        for name, s in (("generated", generated), ("bare", bare))
    }
    report.ratio(
        "7", "bundle size of `api/index.func` (`vercel build`)", sizes["generated"], sizes["bare"], at_most=1.20
    )
    if generated.bundle_files and bare.bundle_files:
        report.notes.append(f"bundle files: generated {generated.bundle_files}, bare {bare.bundle_files}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts: checks that it runs, figures meaningless")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "docs" / "performance.md")
    parser.add_argument("--workdir", type=Path, help="keep the projects, builds and logs here")
    parser.add_argument("--no-vercel", action="store_true", help="skip `vercel build` and the Vercel runtime")
    args = parser.parse_args(argv)
    counts = SMOKE if args.smoke else FULL
    started = time.monotonic()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        phase(f"preparing projects in {workdir}")
        setup = prepare(workdir, with_builds=not args.no_vercel, with_runtime=not args.no_vercel)
        report = Report(notes=list(setup.notes))
        # (9) data layer (issue 17): migrated databases first (the item routes answer 503
        # without them, (5) included), then the first GET /api/items cold start.
        databases = measure_items.migrate_subjects(setup, report.notes)
        try:
            measure_all(setup, counts, report)
            measure_built_functions(setup, counts, report, args.output.with_name(f"{args.output.stem}-cold-start.svg"))
            phase("(9) cold start to the first GET /api/items")
            measure_items.measure(setup, report, counts.cold, warmup=counts.warmup)
        finally:
            measure_items.drop_databases(setup, databases)
        report.notes.append(f"benchmark wall time: {time.monotonic() - started:.0f} s")
        text = render_markdown(
            report,
            machine_lines=machine(setup.versions, setup.python312),
            command=relative_command(args.output, args.smoke),
            smoke=args.smoke,
        )
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print("\n".join(report.table()))
    for note in report.notes:
        print(f"note: {note}")
    print(f"[bench] wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
