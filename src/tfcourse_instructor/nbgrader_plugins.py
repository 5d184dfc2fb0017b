"""Extension points of nbgrader 0.9 that the course folder's nbgrader configuration sets.

    c.ExchangeFactory.release_assignment = "tfcourse_instructor.nbgrader_plugins.OrderedRelease"
    c.Autograde.exporter_class = "tfcourse_instructor.nbgrader_plugins.RefuseAutograde"
    c.GenerateFeedback.exporter_class = "tfcourse_instructor.nbgrader_plugins.CourseFeedback"

They act inside nbgrader itself, so they hold for `nbgrader release_assignment`, `autograde` and
`generate_feedback` on the command line and for formgrader's buttons of the same names.
"""
import os
import textwrap
from datetime import datetime, timezone
from pathlib import Path

from nbconvert.exporters import HTMLExporter, NotebookExporter
from nbconvert.exporters.exporter import ResourcesDict
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters.base import NbGraderException
from nbgrader.exchange.default import ExchangeReleaseAssignment
from traitlets import Dict, List, Unicode


class OrderedRelease(ExchangeReleaseAssignment):
    """Release an assignment only after every assignment whose answers it ships is closed.

    From the second assignment on, a release ships `given.py`: the reference answers of the
    earlier assignments. Releasing it while one of those is unreleased, or released and not yet
    past its due date, would hand students the answers they are still to write.
    """

    holds_answers_of = Dict(
        key_trait=Unicode(), value_trait=List(Unicode()),
        help="assignment -> the assignments whose reference answers its release holds (written "
             "in the course repository, for instructors, by `python -m autograder build`)"
    ).tag(config=True)

    def init_src(self):
        super().init_src()
        assignment = self.coursedir.assignment_id
        still_open = [f"{earlier} ({why})" for earlier in self.holds_answers_of.get(assignment, [])
                      if (why := self.still_open(earlier))]
        if still_open:
            self.fail(
                f"refusing to release {assignment}: its given.py holds the reference answers of "
                f"{', '.join(still_open)}. Release {assignment} only once every earlier "
                f"assignment is released and past its due date. Set a due date in formgrader's "
                f"Manage Assignments or with `nbgrader db assignment add ASSIGNMENT "
                f"--duedate='YYYY-MM-DD HH:MM UTC'` (docs/USERS.md, Instructors, in the course "
                f"repository, for instructors).")

    def still_open(self, earlier):
        """Why students may still be working on `earlier`, or '' if they can no longer be."""
        outbound = os.path.join(self.root, self.coursedir.course_id, "outbound", earlier)
        if not os.path.isdir(outbound):
            return "not released"
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                due = gb.find_assignment(earlier).duedate
            except MissingEntry:
                due = None
        if due is None:
            return "released, with no due date"
        now = datetime.now(timezone.utc).replace(tzinfo=None)  # the gradebook stores naive UTC
        if due > now:
            return f"due {due:%Y-%m-%d %H:%M} UTC, not yet past"
        return ""


class RefuseAutograde(NotebookExporter):
    """Stand in for the exporter of `nbgrader autograde`, and stop it before it touches anything.

    nbgrader builds its converter's exporter before it opens a submission, the gradebook or
    autograded/, so refusing here writes nothing. Plain autograde runs student code with the
    instructor's permissions in the kernel that runs the tests; the course grades with its own
    sandboxed grader, which fills the same gradebook.
    """

    def __init__(self, *args, parent=None, **kwargs):
        root = getattr(getattr(parent, "coursedir", None), "root", None) or "COURSE"
        message = (
            "nbgrader autograde is turned off for this course: it would run student code with "
            "your permissions, in the same kernel as the tests, outside any sandbox. Grade with "
            f"the course's sandboxed grader instead: tfcourse-grade {root}/submitted --out "
            f"{root}/graded --course {root} (docs/USERS.md, Instructors, in the course "
            "repository, for instructors). It writes this "
            "gradebook and autograded/, so formgrader shows the scores.")
        # formgrader shows the log in a <pre>: short lines, no word or command split
        message = "\n".join(textwrap.wrap(message, 88, break_on_hyphens=False,
                                           break_long_words=False))
        if parent is not None:
            parent.log.error(message)
        raise NbGraderException(message)


# Where the course's grader leaves its feedback page of each notebook, inside the submission's
# autograded/<student>/<assignment>/ folder. nbgrader never copies a folder of this name from
# there (it is in CourseDirectory.ignore), so the page reaches students only as below.
COURSE_PAGES = "feedback"
# Where the grader's page leaves room for the score of record (written by CourseFeedback).
SCORE_OF_RECORD = "<!--score-of-record-->"


def score_of_record(score, max_score, late_penalty):
    """The line a fetched page gets: the gradebook's score after the late penalty and any change
    made by hand in formgrader, which is what `nbgrader export` gives as `score`."""
    late = (f"Submitted after the due date: a late penalty of {late_penalty:g} points is taken "
            f"off. " if late_penalty else "")
    return (f"<p class='note'>{late}Score of record (the course's gradebook, after any late "
            f"penalty and the instructor's review): <b>{score:g} / {max_score:g}</b></p>")


class CourseFeedback(HTMLExporter):
    """The exporter of `nbgrader generate_feedback`: the course grader's page for each notebook.

    nbgrader's own page shows the executed notebook and its cell scores; the grader's page says,
    for each test, why it failed, with hidden values withheld. Under its score it gets the score
    of record, computed as nbgrader's GetGrades does (late penalty and grades changed in formgrader included).
    nbgrader still writes it to feedback/ and release_feedback/fetch_feedback deliver it.
    """

    def from_notebook_node(self, nb, resources=None, **kwargs):
        where = (resources or {}).get("nbgrader", {})
        coursedir = self.parent.coursedir
        page = Path(coursedir.format_path(coursedir.autograded_directory, where["student"],
                                          where["assignment"])) / COURSE_PAGES / f"{where['notebook']}.html"
        if not page.is_file() or page.is_symlink():
            message = (f"no feedback page of the course's grader for {where['student']}'s "
                       f"{where['assignment']}/{where['notebook']}: grade the submission with "
                       f"tfcourse-grade first (docs/USERS.md, Instructors, in the course "
                       f"repository, for instructors)")
            self.parent.log.error(message)
            raise NbGraderException(message)
        resources = ResourcesDict() if resources is None else resources
        resources["output_extension"] = ".html"
        with Gradebook(coursedir.db_url, coursedir.course_id) as gb:  # as nbgrader's GetGrades
            graded = gb.find_submission_notebook(where["notebook"], where["assignment"],
                                                 where["student"])
            penalty = graded.late_submission_penalty or 0.0
            record = score_of_record(graded.score - penalty, graded.max_score, penalty)
        text = page.read_text(encoding="utf-8")
        if SCORE_OF_RECORD not in text:  # a page made before the grader left room for it
            text = text.replace("<body>", "<body>" + SCORE_OF_RECORD, 1)
        return text.replace(SCORE_OF_RECORD, record, 1), resources
