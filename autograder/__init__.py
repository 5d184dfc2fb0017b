"""Instructor side of the course: the nbgrader build, hidden tests, known mistakes, the demo.

Never shipped to students (tests/test_leaks.py checks that nothing they receive imports it).
"""
