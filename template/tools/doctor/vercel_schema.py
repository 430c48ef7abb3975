"""What the Vercel CLI accepts in vercel.json: the one module to change when Vercel changes.

Read from Vercel CLI 64.0.2 (it bundles @vercel/build-utils 14.21.0): the schema
``vercel build`` validates vercel.json with (``getConfigValidator()`` in the
CLI's ``dist/chunks/config-validator.mjs``) and the ``functions`` schema of
build-utils (``getFunctionsSchema()``, ``getMaxDurationSchema()``). To follow a
new CLI, install it and read those two again; vercel_json.py only applies what
is written here.

Plan limits (how long a Hobby or Pro function may run) are not checked by
``vercel build``: a deployment above the plan's limit fails at deploy time.
Set ``max_duration_limit`` in ``[tool.<package>.doctor]`` to check yours here.
"""

from __future__ import annotations

from typing import TypeGuard

CLI_VERSION = "64.0.2"
DOCS = "https://vercel.com/docs/project-configuration"

# Top-level keys. The build validates these and lets any other key through,
# so an unknown key is a warning (a typo, or a key newer than this list)...
VALIDATED_KEYS = frozenset(
    {"builds", "bunVersion", "cleanUrls", "crons", "daemons", "experimentalServiceGroups"}
    | {"experimentalServices", "experimentalServicesV2", "functions", "headers", "images"}
    | {"proxy", "redirects", "rewrites", "routes", "schedules", "services", "trailingSlash"}
)
# ...and these are the project settings and documented keys the CLI reads besides.
OTHER_KEYS = frozenset(
    {"$schema", "alias", "build", "buildCommand", "devCommand", "env", "fluid", "framework"}
    | {"functionFailoverRegions", "git", "github", "ignoreCommand", "installCommand", "name"}
    | {"outputDirectory", "public", "regions", "scope", "version"}
)
TOP_LEVEL_KEYS = VALIDATED_KEYS | OTHER_KEYS

# Settings of one `functions` entry: any other key fails the build.
FUNCTION_KEYS = frozenset(
    {"affinity", "architecture", "excludeFiles", "experimentalTriggers", "functionFailoverRegions"}
    | {"includeFiles", "maxConcurrency", "maxDuration", "memory", "regions", "runtime"}
    | {"supportsCancellation"}
)
MAX_FUNCTION_PATTERNS = 50
MAX_DURATION_SECONDS = 3600  # the build's bound; "max" means the plan's own maximum
MEMORY_MB = (128, 10240)
FILES_GLOB_MAX_LENGTH = 256  # includeFiles / excludeFiles


def _whole_number(value: object) -> TypeGuard[int | float]:
    # JSON has one number type: 60 and 60.0 are the same integer to the CLI; true is not.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def max_duration_problem(value: object, plan_limit: int | None = None) -> str | None:
    """Why ``value`` is not a maxDuration to deploy (None when it is fine)."""
    rule = f'a whole number of seconds in 1..{MAX_DURATION_SECONDS}, or "max"'
    if value == "max":
        return None
    if not _whole_number(value):
        return rule
    if not 1 <= value <= MAX_DURATION_SECONDS:
        return rule
    if plan_limit is not None and value > plan_limit:
        return f"at most {plan_limit} seconds, the max_duration_limit you set for your plan"
    return None


def memory_problem(value: object) -> str | None:
    low, high = MEMORY_MB
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        return f"a number of MB in {low}..{high}"
    return None


def files_glob_problem(value: object) -> str | None:
    """includeFiles / excludeFiles: one glob string of at most 256 characters."""
    if not isinstance(value, str):
        return "one glob string, e.g. {a/**,b/**}"
    if len(value) > FILES_GLOB_MAX_LENGTH:
        return f"at most {FILES_GLOB_MAX_LENGTH} characters (it has {len(value)}): use wider globs"
    return None
