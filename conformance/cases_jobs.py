"""cases_jobs.py - (being written)."""

TESTS = []
