"""The course's nbgrader settings: the instructor's own survive a rebuild; plain nbgrader keeps
the course's rules (release in order, never autograde unsandboxed), with nothing written when it
refuses."""
import re
from pathlib import Path

import pytest
from traitlets.config.loader import PyFileConfigLoader

from autograder import build
from tests.course_folders import snapshot


def load_config(course):
    """The configuration nbgrader reads in `course` (the same loader, the same file)."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


@pytest.fixture
def course(sample_course, tmp_path):
    """A private copy of the sample course, its ids, and the flag of an empty exchange."""
    (tmp_path / "exchange").mkdir()
    return (*sample_course, f"--Exchange.root={tmp_path / 'exchange'}")


# --- instructor_config.py: the instructor's settings, which the build never overwrites. ---------

def test_instructor_settings_survive_a_rebuild_and_override_the_generated_ones(tmp_path):
    build.write_sources(tmp_path)
    mine = tmp_path / build.INSTRUCTOR_CONFIG
    assert "get_config()" in mine.read_text(), "the build creates the file, with examples"
    text = mine.read_text() + 'c.LateSubmissionPlugin.penalty_method = "zero"\nc.Execute.timeout = 300\n'
    mine.write_text(text)
    build.write_sources(tmp_path)
    assert mine.read_text() == text
    config = load_config(tmp_path)
    assert config.LateSubmissionPlugin.penalty_method == "zero"
    assert config.Execute.timeout == 300, "the instructor's file is read last"
    assert config.CourseDirectory.course_id == build.COURSE_ID


def test_release_order_setting_names_exactly_the_assignments_each_given_py_answers(built_sample_course):
    course, ids = built_sample_course
    holds = load_config(course).OrderedRelease.holds_answers_of
    tpls = build.templates()
    for assignment in ids:
        given = course / "release" / assignment / build.GIVEN
        defined = set(re.findall(r"^def (\w+)\(", given.read_text(), re.M)) if given.exists() else set()
        answered = {a for a in ids if defined & set(tpls[a].graded_functions)}
        assert set(holds.get(assignment, [])) >= answered, assignment
        assert all(a < assignment for a in holds.get(assignment, [])), assignment


# --- Releasing out of order refuses. --------------------------------------------------------------

def outbound(exchange_flag, assignment):
    return Path(exchange_flag.split("=", 1)[1]) / build.COURSE_ID / "outbound" / assignment


def test_release_refuses_while_an_earlier_assignment_is_unreleased(course):
    folder, ids, exchange = course
    run = build.run_nbgrader(folder, "release_assignment", ids[1], exchange, check=False)
    assert run.returncode != 0
    said = run.stdout + run.stderr
    assert f"refusing to release {ids[1]}" in said and f"{ids[0]} (not released)" in said
    assert "--duedate" in said, "the message names the fix"
    assert not outbound(exchange, ids[1]).exists()


def test_release_refuses_until_the_earlier_due_date_has_passed(course):
    folder, ids, exchange = course
    build.run_nbgrader(folder, "release_assignment", ids[0], exchange)
    refused = build.run_nbgrader(folder, "release_assignment", ids[1], exchange, check=False)
    assert refused.returncode != 0 and "released, with no due date" in refused.stdout + refused.stderr
    build.run_nbgrader(folder, "db", "assignment", "add", ids[0], "--duedate=2999-01-01 00:00 UTC")
    refused = build.run_nbgrader(folder, "release_assignment", ids[1], exchange, check=False)
    assert refused.returncode != 0 and "due 2999-01-01 00:00 UTC, not yet past" in refused.stdout + refused.stderr
    assert not outbound(exchange, ids[1]).exists()
    build.run_nbgrader(folder, "db", "assignment", "add", ids[0], "--duedate=2020-01-01 00:00 UTC")
    build.run_nbgrader(folder, "release_assignment", ids[1], exchange)
    assert (outbound(exchange, ids[1]) / build.GIVEN).is_file()


# --- Plain autograde refuses, before it writes anything. ------------------------------------------

def test_plain_autograde_refuses_and_names_the_courses_grader_writing_nothing(course):
    folder, ids, _ = course
    before = snapshot(folder)
    run = build.run_nbgrader(folder, "autograde", ids[0], "--force", check=False)
    assert run.returncode != 0
    said = " ".join((run.stdout + run.stderr).split())
    assert "nbgrader autograde is turned off for this course" in said
    assert f"tfcourse-grade {folder}/submitted" in said
    assert snapshot(folder) == before
    assert not (folder / "autograded").exists()
