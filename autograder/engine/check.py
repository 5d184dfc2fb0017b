"""`python -m autograder check NOTEBOOK`: grade one notebook with the class grader's engine.

For a self-study learner: prints each test's score and, for a failed one, what is wrong.
See grade.py and GRADING.md beside this file.
"""
from autograder.engine.grade import check_main as main

__all__ = ["main"]
