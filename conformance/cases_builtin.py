"""cases_builtin.py - (being written)."""

TESTS = []
