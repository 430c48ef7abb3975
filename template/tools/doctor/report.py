"""One result per check, and the two ways to print them (a line per check, or JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: where the problem is and how to fix it.

    ``family`` is the checklist line the check belongs to (the generated tests
    assert one family each); ``name`` says what exactly was checked. A
    ``warning`` passes (``ok`` is true) but names something to look at, such as
    a ``vercel.json`` key this doctor does not know yet.
    """

    family: str
    name: str
    ok: bool
    file: str = ""
    line: int = 0
    message: str = ""
    fix: str = ""
    warning: bool = False

    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def describe(self) -> str:
        """``file:line: message — fix: ...`` (the form editors and CI logs link)."""
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} — fix: {self.fix}" if self.fix else text


def passed(family: str, name: str, message: str = "") -> CheckResult:
    return CheckResult(family=family, name=name, ok=True, message=message)


def format_line(result: CheckResult) -> str:
    if result.warning:
        return f"WARN {result.name}: {result.describe()}"
    if result.ok:
        suffix = f" ({result.message})" if result.message else ""
        return f"PASS {result.name}{suffix}"
    return f"FAIL {result.name}: {result.describe()}"


def format_report(results: Iterable[CheckResult]) -> str:
    results = list(results)
    failed = sum(not result.ok for result in results)
    warned = sum(result.warning for result in results)
    lines = [format_line(result) for result in results]
    summary = f"doctor: {len(results) - failed} passed, {failed} failed"
    lines.append(f"{summary}, {warned} warning(s)" if warned else summary)
    return "\n".join(lines)


def to_json(results: Iterable[CheckResult]) -> str:
    items = [asdict(result) for result in results]
    return json.dumps({"ok": all(item["ok"] for item in items), "checks": items}, indent=2)


def failure_report(results: Iterable[CheckResult]) -> str:
    """The failures, one per line, for an assertion message."""
    return "\n".join(result.describe() for result in results if not result.ok)


def warning_report(results: Iterable[CheckResult]) -> str:
    """The warnings, one per line."""
    return "\n".join(result.describe() for result in results if result.warning)
