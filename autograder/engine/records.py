"""What nbgrader records about a graded submission besides its scores, recorded as nbgrader would.

formgrader counts a submission as graded only when the gradebook's submission timestamp equals
the collected `timestamp.txt`; `nbgrader export` prints that timestamp; the late penalty is
computed from it and the assignment's due date by the penalty method the course configures
(LateSubmissionPlugin.penalty_method, or AssignLatePenalties.plugin_class); generate_feedback
delivers the course's page (tfcourse_instructor.nbgrader_plugins.CourseFeedback).
"""
import shutil
from pathlib import Path

import nbformat

from autograder.engine.files import Refused, read_below
from autograder.engine.sanitize import sanitize_notebook
from tfcourse_instructor.nbgrader_plugins import COURSE_PAGES

TIMESTAMP = "timestamp.txt"
MAX_TIMESTAMP = 100  # bytes: nbgrader writes one line like "2026-11-30 02:45:31.123456 UTC"
# Files nbgrader's autograde carries from submitted/ to autograded/: release_feedback reads the
# timestamp from there, and the exchange matches feedback to a submission by its secret.
SUBMISSION_STAMPS = (TIMESTAMP, "submission_secret.txt")


def submission_stamps(submitted, student, assignment):
    """{name: bytes} of the submission's SUBMISSION_STAMPS that are plain files, read below
    `submitted` without following any link (a submission with no notebook has them too)."""
    stamps = {}
    for name in SUBMISSION_STAMPS:
        try:
            stamps[name] = read_below(submitted, Path(student, assignment, name), 1 << 16)
        except (Refused, OSError):
            pass
    return stamps


def submission_timestamp(stamps):
    """The collected timestamp of a submission (submission_stamps) as naive UTC, or None.

    None when there is no timestamp.txt or it does not parse, exactly where formgrader would
    find no timestamp or fail to read it itself."""
    from nbgrader.utils import parse_utc
    raw = stamps.get(TIMESTAMP)
    try:
        return None if raw is None or len(raw) > MAX_TIMESTAMP else parse_utc(
            raw.decode("ascii").strip())
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


def not_graded_notebook(release_notebook, reason):
    """What autograded/ holds for a notebook that could not be run (not submitted, unreadable,
    refused): the release's notebook, unrun, under a note that says why every test scored 0.
    With it formgrader counts the submission graded and opens it like any other."""
    nb = sanitize_notebook(nbformat.read(release_notebook, as_version=4))
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**Not graded: every test scored 0.** {reason}. This is the assignment as released, "
        f"not a notebook of the student's."))
    return nb


def write_autograded(course, student, assignment, notebook, executed, page, stamps, reason):
    """Fill <course>/autograded/<student>/<assignment>/ as nbgrader's autograde would: the graded
    notebook (`executed`, a path, or `not_graded_notebook` when it is None), the submission's
    stamps, and the course's feedback page (`page`, a path) for generate_feedback."""
    dest = Path(course) / "autograded" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    if executed is not None:
        shutil.copyfile(executed, dest / f"{notebook}.ipynb")
    else:
        release = Path(course) / "release" / assignment / f"{notebook}.ipynb"
        nbformat.write(not_graded_notebook(release, reason), dest / f"{notebook}.ipynb")
    for name, data in stamps.items():
        (dest / name).write_bytes(data)
    target = course_page(dest, notebook)
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(page, target)
