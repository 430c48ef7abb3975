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
    for probe in (*STATIC_PROBES, *_derived_probes(pattern.pattern)):
        if pattern.fullmatch(probe) is not None:
            return probe
    return None


def _derived_probes(source: str) -> list[str]:
    """Origins an attacker can register next to the pattern's own literal text."""
    prefix, wildcard_dots = _literal_prefix(source)
    suffix, suffix_dots = _literal_suffix(source)
    probes = []
    if suffix:
        # attacker + "example.com": a lookalike domain, not a subdomain of ours.
        probes.append(f"https://{ATTACKER}{suffix.lstrip('.')}")
        if suffix_dots:  # an unescaped "." matches "-" too
            lookalike = "".join("-" if at in suffix_dots else c for at, c in enumerate(suffix))
            probes.append(f"https://{ATTACKER}{lookalike}")
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


def _literal_suffix(source: str) -> tuple[str, list[int]]:
    """The text every match can end with, and where in it an unescaped "." stands."""
    text = source.removesuffix("$")
    reversed_chars: list[tuple[str, bool]] = []  # (character, is an unescaped ".")
    index = len(text) - 1
    while index >= 0:
        char = text[index]
        escaped = index > 0 and text[index - 1] == "\\"
        if escaped and not char.isalnum():
            reversed_chars.append((char, False))
            index -= 2
        elif escaped or (char in _META and char != "."):
            break
        else:
            reversed_chars.append((char, char == "."))
            index -= 1
    chars = reversed_chars[::-1]
    return "".join(char for char, _ in chars), [at for at, (_, dot) in enumerate(chars) if dot]
