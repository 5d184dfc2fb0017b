"""What nbgrader records about a graded submission besides its scores, recorded as nbgrader would.

formgrader counts a submission as graded only when the gradebook's submission timestamp equals
the collected `timestamp.txt`; `nbgrader export` prints that timestamp; the late penalty is
computed from it and the assignment's due date by the penalty method the course configures
(LateSubmissionPlugin.penalty_method, or AssignLatePenalties.plugin_class); generate_feedback
delivers the course's page (tfcourse_instructor.nbgrader_plugins.CourseFeedback).
"""
from pathlib import Path

import nbformat

from tfcourse_instructor.nbgrader_plugins import COURSE_PAGES

TIMESTAMP = "timestamp.txt"
MAX_TIMESTAMP = 100  # bytes: nbgrader writes one line like "2026-11-30 02:45:31.123456 UTC"


def submission_timestamp(folder):
    """The collected timestamp of a submission folder as naive UTC, or None.

    None when there is no regular timestamp.txt (a link is not followed) or it does not parse,
    exactly where formgrader would find no timestamp or fail to read it itself."""
    from nbgrader.utils import parse_utc
    path = Path(folder) / TIMESTAMP
    if path.is_symlink() or not path.is_file():
        return None
    with open(path, "rb") as f:
        raw = f.read(MAX_TIMESTAMP + 1)
    try:
        return None if len(raw) > MAX_TIMESTAMP else parse_utc(raw.decode("ascii").strip())
    except (ValueError, OverflowError, UnicodeDecodeError):
        return None


def course_config(course):
    """The configuration nbgrader reads for `course`: the Jupyter config folders, then the
    course's own nbgrader_config.py (which loads instructor_config.py)."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader
    config = Config()
    for folder in [*reversed(jupyter_config_path()), str(course)]:
        try:
            config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
        except ConfigFileNotFound:
            pass
    return config


def assign_late_penalty(config, db_url, student, assignment, notebook):
    """Run nbgrader's own AssignLatePenalties on one graded notebook of the gradebook."""
    from nbgrader.preprocessors import AssignLatePenalties
    resources = {"nbgrader": {"student": student, "assignment": assignment,
                              "notebook": notebook, "db_url": db_url}}
    AssignLatePenalties(config=config).preprocess(nbformat.v4.new_notebook(), resources)


def course_page(autograded, notebook):
    """Where the course's feedback page of `notebook` goes in its autograded/ folder."""
    return Path(autograded) / COURSE_PAGES / f"{notebook}.html"
