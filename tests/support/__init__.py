"""Helpers shared by the template's tests: finding tools, rendering, venvs."""
