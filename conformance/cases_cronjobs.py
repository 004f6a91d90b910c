"""cases_cronjobs.py - (being written)."""

TESTS = []
