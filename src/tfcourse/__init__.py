"""Student-safe helpers of the course Teacher Forcing in Sequence Models.

Notebooks import data loading, checks and plots from here. This package never imports
`solutions` (in the course repository, for instructors, tests/test_leaks.py checks it), so it
can ship with every student release.
"""
