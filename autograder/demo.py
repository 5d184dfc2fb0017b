"""Build the course, grade the sample class in sandboxes, print the score table.

    python -m autograder demo          # what `python3 tasks.py main` runs

Grading is `python -m autograder grade` (autograder/engine/grade.py, autograder/engine/GRADING.md): each
notebook in its own sandboxed kernel, judged outside it, in parallel. Leaves, in build/course/:
    grades.csv, summary.csv             one row per test cell / per student and assignment
    feedback/<student>/<id>/<id>.html   the feedback each student would receive
    autograded/<student>/<id>/          the graded notebooks, gradebook.db the scores
    grading.log                         the time each notebook took
"""
import argparse
import shutil
import sys
from pathlib import Path

from nbgrader.api import Gradebook

from autograder import build, sample_class
from autograder.engine import grade

GRADING_FOLDERS = ("submitted", "autograded", "feedback", ".results")


def reset(course):
    """Forget earlier submissions and grades, so that a demo always starts clean."""
    for name in GRADING_FOLDERS:
        shutil.rmtree(Path(course) / name, ignore_errors=True)
    for name in ("gradebook.db", "grades.csv", "summary.csv", "grading.log"):
        (Path(course) / name).unlink(missing_ok=True)


def autograde(course):
    """Grade every submission with the sandboxed grader, writing into the course folder."""
    course = Path(course)
    grade.grade_class(course / "submitted", course, course, force=True)


def scores(course):
    """{student: {assignment: {grade_id: score}}} as recorded in the gradebook."""
    out = {}
    with Gradebook(f"sqlite:///{Path(course).resolve() / 'gradebook.db'}") as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                cells = {}
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        cells[grade.name] = float(grade.score)
                out.setdefault(sub.student.id, {})[assignment.name] = cells
    return out


def table(got, ids):
    """The score table: one row per student, one column per assignment, then the total."""
    maxima = {a: sum(sample_class.expected_scores([a])["reference"][a].values()) for a in ids}
    points = {student: {a: sum(cells.values()) for a, cells in got[student].items()} for student in got}
    return grade.score_table(points, maxima)


def run(course=build.COURSE):
    """Build, grade, give feedback; return (scores, ids)."""
    course = Path(course)
    reset(course)
    ids = build.build(course, notebooks=None)
    sample_class.write(course, ids)
    autograde(course)
    return scores(course), ids


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m autograder demo", description=__doc__)
    parser.add_argument("--course", type=Path, default=build.COURSE, help="course folder")
    args = parser.parse_args(argv)
    print(f"Building the course in {args.course} and grading the sample class "
          f"({', '.join(sample_class.STUDENTS)}), each notebook in a sandbox; this takes about a "
          f"minute ...",
          flush=True)
    got, ids = run(args.course)
    print(table(got, ids))
    wrong = ", ".join(f"{f} ({m})" for f, m in sample_class.WRONG_ANSWERS.items())
    print(f"\nThe student 'wrong' submitted these known mistakes: {wrong}.")
    print(f"\nGrades:   {args.course / 'grades.csv'}")
    print(f"Feedback: {args.course / 'feedback'}/<student>/<assignment>/<assignment>.html")
    expected = sample_class.expected_scores(ids)
    if got != expected:
        print("UNEXPECTED SCORES: the sample class did not grade as it must", file=sys.stderr)
        return 1
    return 0
