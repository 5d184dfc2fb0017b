"""The instructor's side of the course, installed with it: no solution, no hidden test.

- `nbgrader_plugins`: what the course folder's nbgrader configuration plugs into nbgrader, so
  that plain nbgrader commands and formgrader's buttons keep the course's rules (release in
  order, never autograde unsandboxed).
- `cli`: the `tfcourse-grade` command, which runs the grader of the clone this package is
  installed from (pip install -e), from any folder.
"""
