"""Mistakes on the grading command line fail loudly: non-zero exit, a message that names the fix,
and nothing written (autograder/instructor.py, through the installed `tfcourse-grade`)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import sample_class
from tests.course_folders import snapshot

ROOT = Path(__file__).resolve().parents[1]
TFCOURSE_GRADE = Path(sys.executable).parent / "tfcourse-grade"


def words(text):
    return " ".join(text.split())


@pytest.fixture
def course(sample_course):
    return sample_course[0]


def grade(*args, cwd):
    assert TFCOURSE_GRADE.is_file(), "pip install -e . declares the tfcourse-grade script"
    return subprocess.run([str(TFCOURSE_GRADE), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True)


def assert_refused(run, *messages):
    assert run.returncode == 2, run.stdout + run.stderr
    for message in messages:
        assert message in words(run.stderr), run.stderr


def test_grading_the_course_folder_instead_of_its_submissions_refuses(course, tmp_path):
    before = snapshot(course)
    run = grade(course, "--out", tmp_path / "graded", "--course", course, cwd=tmp_path)
    assert_refused(run, f"{course} is a course folder", f"grade {course / 'submitted'} instead")
    assert snapshot(course) == before and not (tmp_path / "graded").exists()


def test_grading_without_course_refuses_instead_of_grading_into_the_demo(course, tmp_path):
    demo_gradebook = ROOT / "build" / "course" / "gradebook.db"
    demo_before = demo_gradebook.read_bytes() if demo_gradebook.exists() else None
    before = snapshot(course)
    run = grade(course / "submitted", "--out", tmp_path / "graded", cwd=tmp_path)
    assert_refused(run, "--course is required", "python -m autograder build --course DIR")
    assert snapshot(course) == before and not (tmp_path / "graded").exists()
    assert (demo_gradebook.read_bytes() if demo_gradebook.exists() else None) == demo_before


@pytest.mark.parametrize("wrong", ["missing", "empty"])
def test_a_wrong_course_names_the_command_that_builds_it_there(course, tmp_path, wrong):
    target = tmp_path / "not-a-course"
    if wrong == "empty":
        target.mkdir()
    before = snapshot(course)
    run = grade(course / "submitted", "--out", tmp_path / "graded", "--course", target, cwd=tmp_path)
    assert_refused(run, f"python -m autograder build --course {target}")
    assert "build the course first" not in run.stderr
    assert snapshot(course) == before and not (tmp_path / "graded").exists()
    assert (not target.exists()) if wrong == "missing" else not any(target.iterdir())


@pytest.mark.parametrize("where", ["one student's folder", "the release", "an empty folder"])
def test_a_folder_without_submissions_refuses_instead_of_grading_nothing(course, tmp_path, where):
    folder = {"one student's folder": next((course / "submitted").iterdir()),
              "the release": course / "release", "an empty folder": tmp_path / "empty"}[where]
    folder.mkdir(exist_ok=True)
    before = snapshot(course)
    run = grade(folder, "--out", tmp_path / "graded", "--course", course, cwd=tmp_path)
    assert_refused(run, "holds no submissions to grade", "e.g. COURSE/submitted",
                   "Nothing was graded")
    assert snapshot(course) == before and not (tmp_path / "graded").exists()


def test_grade_runs_from_the_course_folder_itself(sample_course):
    """`cd $C` then grading works: the command does not depend on the current folder."""
    course, ids = sample_course
    for student in ("wrong", "empty"):
        shutil.rmtree(course / "submitted" / student)
    for assignment in ids[1:]:
        shutil.rmtree(course / "submitted" / "reference" / assignment)
    run = grade("submitted", "--out", "graded", "--course", ".", cwd=course)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = (course / "graded" / "summary.csv").read_text().splitlines()
    top = sum(sample_class.expected_scores([ids[0]])["reference"][ids[0]].values())
    assert summary[1].startswith(f"reference,{ids[0]},{top:g},{top:g},"), summary
    table = {line.split()[0]: line.split() for line in run.stdout.splitlines() if line.strip()}
    assert table["student"] == ["student", ids[0][:2], "total"], "grade prints the score table"
    assert table["reference"] == ["reference", f"{top:g}/{top:g}", f"{top:g}/{top:g}"]


def test_an_install_without_the_clone_says_where_the_grader_is(tmp_path):
    copy = tmp_path / "site-packages" / "tfcourse_instructor"
    shutil.copytree(ROOT / "src" / "tfcourse_instructor", copy)
    run = subprocess.run([sys.executable, "-c", "import sys; from tfcourse_instructor import cli; "
                          "sys.exit(cli.grade(['x', '--out', 'y', '--course', 'z']))"],
                         cwd=tmp_path, env={"PYTHONPATH": str(copy.parent)}, capture_output=True, text=True)
    assert run.returncode == 2 and "has no grader" in run.stderr and "pip install -e" in run.stderr
