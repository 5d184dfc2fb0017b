"""The instructor's grading command checked before anything is written.

`python -m autograder grade` and `tfcourse-grade` (src/tfcourse_instructor/cli.py) grade into a
course's gradebook and autograded/. Each mistake an instructor makes on that command line, if
it went through, would write into the wrong place: so each one stops here, before anything is
written, with a message that names the fix.
"""
from pathlib import Path

# What only a course folder holds; a submissions folder holds <student>/<assignment>/.
COURSE_MARKS = ("nbgrader_config.py", "source", "release", "gradebook.db")
BUILD = "python -m autograder build --course"


class UsageError(ValueError):
    """A command line that would grade the wrong thing or into the wrong place."""


def check_course(course):
    """The built course folder `course` as a Path; UsageError naming the fix if it is not one."""
    if course is None:
        raise UsageError(
            "--course is required: give the course folder you built with "
            f"`{BUILD} DIR` and collect into (the demo's own is build/course). Nothing was "
            "graded.")
    path = Path(course).expanduser()
    if not path.is_dir():
        raise UsageError(f"--course {course}: no such folder. Give the folder you built the "
                         f"course in, or build it in a folder of its own (not inside the "
                         f"repository: it holds the answers): {BUILD} {course}")
    if not (path / "source").is_dir() or not (path / "release").is_dir():
        raise UsageError(f"--course {course} is not a built course (it has no source/ and "
                         f"release/ folders). Give the folder you built the course in, or build "
                         f"it there if it is a new folder of its own (not inside the repository: "
                         f"the course holds the answers): {BUILD} {course}")
    return path


def check_submitted(submitted):
    """UsageError naming the fix unless `submitted` is a folder of <student>/<assignment>/."""
    path = Path(submitted).expanduser()
    if not path.is_dir():
        raise UsageError(f"{submitted}: no such folder of submissions. Collect them first "
                         f"(cd COURSE && nbgrader collect ASSIGNMENT), then grade COURSE/submitted.")
    marks = [m for m in COURSE_MARKS if (path / m).exists()]
    if marks:
        raise UsageError(f"{submitted} is a course folder (it holds {', '.join(marks)}), not its "
                         f"submissions: grade {path / 'submitted'} instead. Nothing was graded.")


def check_holds_submissions(submitted, course):
    """UsageError naming the fix unless some folder of `submitted` holds one of the course's
    assignments (<student>/<assignment>/): else the run would grade nothing and say so only in
    its log."""
    path = Path(submitted).expanduser()
    assignments = {p.name for p in (course / "release").iterdir() if p.is_dir()}
    children = [c for c in path.iterdir() if c.is_dir() and not c.is_symlink()]
    if any((c / a).is_dir() for c in children for a in assignments):
        return
    if any(c.name in assignments for c in children):
        hint = (f"it holds assignment folders itself, so it is one student's folder or the "
                f"course's release/ or source/: give the folder above the students' folders")
    elif any(path.glob("*.ipynb")):
        hint = "it holds notebooks itself, so it is one student's assignment folder"
    elif not children:
        hint = "it is empty: collect the submissions first (cd COURSE && nbgrader collect ASSIGNMENT)"
    else:
        hint = f"none of its {len(children)} folders holds an assignment of the course"
    raise UsageError(f"{submitted} holds no submissions to grade ({hint}). Give the folder that "
                     f"holds one folder per student, each with assignment folders "
                     f"(<student>/<assignment>/<notebook>.ipynb), e.g. COURSE/submitted. "
                     f"Nothing was graded.")


def check_grade_args(submitted, course):
    """Check the grade command's folders; return the course folder as a Path."""
    course = check_course(course)
    check_submitted(submitted)
    check_holds_submissions(submitted, course)
    return course
