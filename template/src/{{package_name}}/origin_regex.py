"""Vetting ``<prefix>CORS_ORIGIN_REGEX``: a pattern that lets in origins nobody vouches for is refused.

The service allows credentials, so an origin the regex admits can read responses with
the user's cookies and pass the CSRF check. A pattern is always applied as a full
match (``re.fullmatch``, as Starlette does), and it is accepted only if it matches
none of the probes below: origins that cannot belong to this deployment. They cover
every spelling of "anything" (``.*``, ``(.*)``, ``^.*$``, ``https?://.*``, ``.*.*``...),
``null`` (sandboxed frames, ``file:``), bare localhost, and names anyone can register:
other people's ``*.vercel.app`` projects, lookalike domains. Probes built from the
pattern's own literal start and end catch the subtle cases:
``https://my-app-[a-z0-9-]+\\.vercel\\.app`` admits ``https://my-app-attacker-project.vercel.app``,
and ``https://.*example\\.com`` admits ``https://attackerexample.com``.
"""

from __future__ import annotations

import re
from itertools import pairwise

ATTACKER = "attacker"
# Origins that can never be this deployment's (.invalid is reserved: RFC 2606).
STATIC_PROBES = (
    "null",
    f"https://{ATTACKER}.invalid",
    f"http://{ATTACKER}.invalid",
    f"https://{ATTACKER}.invalid:8443",
    "http://localhost",
    "https://localhost",
    "http://127.0.0.1",
    "http://[::1]",
    f"https://{ATTACKER}.vercel.app",
    f"https://{ATTACKER}-git-main-{ATTACKER}.vercel.app",
    f"https://{ATTACKER}-1a2b3c4d5-{ATTACKER}.vercel.app",
    f"chrome-extension://{ATTACKER}",
)
_META = set(".^$*+?{}[]\\|()")
_QUANTIFIERS = set("*+?{")


def refused_probe(pattern: re.Pattern[str]) -> str | None:
    """The first origin that cannot be ours and that ``pattern`` admits, or None if it is safe."""
    derived = [probe for branch in _branches(pattern.pattern) for probe in _derived_probes(branch)]
    for probe in (*STATIC_PROBES, *derived):
        if pattern.fullmatch(probe) is not None:
            return probe
    return None


def _branches(source: str, limit: int = 32) -> list[str]:
    """The pattern with each alternation spelled out, so every branch gets its own probes.

    ``https://app\\.example\\.com|https://x\\..*`` is two patterns: the second admits
    ``https://x.attacker.invalid``, which the whole pattern's literal start and end
    would never suggest. An unquantified group is inlined, once per alternative, so
    ``(?P<scheme>https)://x\\..*`` is read as ``https://x\\..*``. ``limit`` bounds the
    work for patterns like ``(a|b)(c|d)...``, whose branches double with each group.
    """
    pending = [source]
    branches: list[str] = []
    while pending and len(branches) + len(pending) <= limit:
        current = pending.pop()
        expanded = _expand_once(current)
        if expanded is None:
            branches.append(current)
        else:
            pending.extend(expanded)
    return branches + pending


def _expand_once(source: str) -> list[str] | None:
    """``source`` with its first unquantified group inlined (once per alternative), else
    once per top-level alternative; None when it has neither."""
    in_class, index = False, 0
    opened: list[int] = []  # where each open group starts
    bars: dict[int, list[int]] = {}  # group start (-1: top level) -> its "|" positions
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            opened.append(index)
        elif char == ")" and opened:
            start = opened.pop()
            body_start = _group_body_start(source, start)
            quantified = index + 1 < len(source) and source[index + 1] in _QUANTIFIERS
            if body_start is not None and not quantified:
                cuts = [body_start - 1, *bars.get(start, []), index]
                return [
                    source[:start] + source[a + 1 : b] + source[index + 1 :]
                    for a, b in pairwise(cuts)
                ]
        elif char == "|":
            bars.setdefault(opened[-1] if opened else -1, []).append(index)
        index += 1
    if -1 in bars:
        cuts = [-1, *bars[-1], len(source)]
        return [source[a + 1 : b] for a, b in pairwise(cuts)]
    return None


def _group_body_start(source: str, start: int) -> int | None:
    """Where the body of the group opened at ``start`` begins: after ``(``, ``(?:`` or
    ``(?P<name>``; None for the other ``(?`` forms (lookarounds, flags), which do not
    match text of their own and are never inlined."""
    if source.startswith("(?:", start):
        return start + 3
    if source.startswith("(?P<", start):
        return source.index(">", start) + 1
    if source.startswith("(?", start):
        return None
    return start + 1


def _derived_probes(source: str) -> list[str]:
    """Origins an attacker can register next to the pattern's own literal text."""
    prefix, wildcard_dots = _literal_prefix(source)
    suffix = _literal_suffix(source)
    probes = []
    # A suffix that reaches back to the scheme is the whole branch: attacker + it is no
    # origin a browser could send, so it would refuse a safe pattern for a false reason.
    # (No "-" lookalike of the suffix is needed: an unescaped "." there matches the "."
    # of this probe as well as a "-".)
    if suffix and "://" not in suffix:
        # attacker + "example.com": a lookalike domain, not a subdomain of ours.
        probes.append(f"https://{ATTACKER}{suffix.lstrip('.')}")
    if "://" in prefix:
        probes += [
            f"{prefix}{ATTACKER}.invalid",
            f"{prefix}.{ATTACKER}.invalid",
            f"{prefix}x.{ATTACKER}.invalid",
            f"{prefix}{ATTACKER}-project.vercel.app",
        ]
        # An unescaped "." matches any character: app.example.com admits app-example.com.
        probes += [f"{prefix[:dot]}-{prefix[dot + 1 :]}" for dot in wildcard_dots]
    return probes


def _literal_prefix(source: str) -> tuple[str, list[int]]:
    """The text every match can start with, and where in it an unescaped "." stands.

    ``\\.`` is a plain dot; an unescaped one matches any character, so reading it
    as "." still gives a match. A quantified character ends the prefix.
    """
    text = source.removeprefix("^")
    literal: list[str] = []
    wildcard_dots: list[int] = []
    index = 0
    while index < len(text):
        char = text[index]
        quantified = index + 1 < len(text) and text[index + 1] in _QUANTIFIERS
        if char == "\\" and index + 1 < len(text) and not text[index + 1].isalnum():
            if index + 2 < len(text) and text[index + 2] in _QUANTIFIERS:
                break
            literal.append(text[index + 1])
            index += 2
            continue
        if quantified or (char in _META and char != "."):
            break
        if char == ".":
            wildcard_dots.append(len(literal))
        literal.append(char)
        index += 1
    return "".join(literal), wildcard_dots


def _literal_suffix(source: str) -> str:
    """The text every match can end with (an unescaped "." read as ".")."""
    text = source.removesuffix("$")
    reversed_chars: list[str] = []
    index = len(text) - 1
    while index >= 0:
        char = text[index]
        escaped = index > 0 and text[index - 1] == "\\"
        if escaped and not char.isalnum():
            reversed_chars.append(char)
            index -= 2
        elif escaped or (char in _META and char != "."):
            break
        else:
            reversed_chars.append(char)
            index -= 1
    return "".join(reversed(reversed_chars))
