"""Development tools of this project: run from a checkout, never deployed.

Nothing here is part of the service: the wheel packages only ``src/<package>``
and ``vercel.json`` excludes ``tools/`` from every function.
"""
