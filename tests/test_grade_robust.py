"""The grader's own processing of student data (issue 12, classes 1, 3 and 6): one notebook
never stops the run, submissions are plain files, and no student is blamed for honest oddities
or for the instructor's set-up. tests/adversarial/processing.py holds the submissions."""
import csv
import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from autograder.engine import grade, sandbox
from autograder.engine.sandbox import Limits
from tests.adversarial import ASSIGNMENT, write_class
from tests.adversarial.processing import ATTACKS

REPO = Path(__file__).resolve().parents[1]
LIMITS = Limits(timeout=30)


@pytest.fixture(scope="module")
def context(course_copy, tmp_path_factory):
    course = course_copy
    ctx = write_class(course, tmp_path_factory.mktemp("class"), REPO, ATTACKS)
    os.symlink(ctx.submitted / "honest_reference", ctx.submitted / "linked_student")
    return ctx


@pytest.fixture(scope="module")
def graded(context):
    results = grade.grade_class(context.submitted, context.out, context.course, jobs=2,
                                limits=LIMITS, quiet=True)
    return {r["unit"]["student"]: r for r in results}


def rows(out, name):
    with open(Path(out) / name, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.student for a in ATTACKS])
def test_each_submission_gets_exactly_its_score_and_flags(attack, graded, context):
    result = graded[attack.student]
    for verdict in result["verdicts"]:
        function = verdict["grade_id"].rsplit("_", 1)[0]
        want = 0.0 if function in attack.failed else verdict["max_score"]
        assert verdict["score"] == want, (verdict, result["notes"])
    assert set(result["flags"]) == set(attack.flags), result["notes"]
    summary = {r["student_id"]: r for r in rows(context.out, "summary.csv")}[attack.student]
    assert set(filter(None, summary["flags"].split(";"))) == set(attack.flags)
    assert (context.out / "feedback" / attack.student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    executed = context.out / ".results" / attack.student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for text in attack.outputs:
        assert text in executed.read_text(), f"{attack.student}: the attempt left no trace"


def test_the_run_finished_with_tables_and_gradebook_for_everyone(graded, context):
    from nbgrader.api import Gradebook
    assert set(graded) == {a.student for a in ATTACKS}
    assert {r["student_id"] for r in rows(context.out, "summary.csv")} == set(graded)
    assert len(rows(context.out, "grades.csv")) == 6 * len(ATTACKS)
    with Gradebook(f"sqlite:///{context.course / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}
    assert scores == {s: sum(v["score"] for v in r["verdicts"]) for s, r in graded.items()}


# ----------------------------------------------------------------------------- class 1

def test_a_feedback_page_that_fails_keeps_the_scores_on_a_plain_page(context, tmp_path,
                                                                     monkeypatch):
    sub = tmp_path / "submitted"
    shutil.copytree(context.submitted / "honest_reference", sub / "honest_reference")
    # the grader's self-check first, with the real page: it must not meet the fragile one
    grade.self_check(grade.Course(context.course), [(ASSIGNMENT, ASSIGNMENT)], LIMITS)
    real = grade.render_feedback

    def fragile(result, executed, *rest):  # as nbconvert's template did on odd output metadata
        if executed is not None:
            raise ValueError("the template broke")
        return real(result, executed, *rest)
    monkeypatch.setattr(grade, "render_feedback", fragile)
    [result] = grade.grade_class(sub, tmp_path / "out", context.course, jobs=1, limits=LIMITS,
                                 gradebook=False, quiet=True)
    assert result["flags"] == ["grader-error"]
    assert sum(v["score"] for v in result["verdicts"]) == 8
    assert any("could not render your notebook" in n and "the template broke" in n
               for n in result["notes"]), result["notes"]
    page = (tmp_path / "out" / "feedback" / "honest_reference" / ASSIGNMENT /
            f"{ASSIGNMENT}.html").read_text()
    assert "Score: <b>8 / 8</b>" in page


def test_a_rerun_regrades_nothing_and_gives_the_same_flags(graded, context):
    log = context.out / "grading.log"
    before = log.read_text()
    again = grade.grade_class(context.submitted, context.out, context.course, jobs=2,
                              limits=LIMITS, quiet=True)
    assert "grading 0 notebooks" in log.read_text()[len(before):]
    assert {r["unit"]["student"]: r["flags"] for r in again} == {
        s: r["flags"] for s, r in graded.items()}


def _dying_grade_unit(real):
    def grade_unit(unit, course, limits, submission=None):
        if unit.student == "killed":       # as the kernel's OOM killer would
            os.kill(os.getpid(), signal.SIGKILL)
        if unit.student == "segfault":     # as a crash in a C library would
            import ctypes
            ctypes.string_at(0)
        if unit.student == "hung":
            time.sleep(3600)
        return real(unit, course, limits, submission)
    return grade_unit


def test_a_worker_that_dies_or_hangs_costs_only_its_notebook(context, tmp_path, monkeypatch):
    sub, out = tmp_path / "submitted", tmp_path / "out"
    students = ("a", "killed", "b", "segfault", "hung", "c")
    for student in students:
        (sub / student / ASSIGNMENT).mkdir(parents=True)  # no notebook: graded without a kernel
    monkeypatch.setattr(grade, "grade_unit", _dying_grade_unit(grade.grade_unit))
    monkeypatch.setattr(grade, "WORKER_GRACE", 0)
    results = {r["unit"]["student"]: r for r in grade.grade_class(
        sub, out, context.course, jobs=2, limits=Limits(timeout=3), gradebook=False, quiet=True)}
    assert set(results) == set(students)
    for student in ("a", "b", "c"):
        assert results[student]["flags"] == ["missing"]
    for student, says in (("killed", "exit code -9"), ("segfault", "exit code -11"),
                          ("hung", "more than 9 s")):
        assert results[student]["flags"] == ["grader-error"], results[student]
        assert all(says in v["status"] and v["score"] == 0
                   for v in results[student]["verdicts"]), results[student]["verdicts"][0]
    assert {r["student_id"] for r in rows(out, "summary.csv")} == set(students)
    monkeypatch.undo()  # a rerun does not hit them again, unless asked to
    again = {r["unit"]["student"]: r for r in grade.grade_class(
        sub, out, context.course, jobs=2, limits=LIMITS, gradebook=False, quiet=True)}
    assert again["killed"]["flags"] == ["grader-error"]
    again = {r["unit"]["student"]: r for r in grade.grade_class(
        sub, out, context.course, jobs=2, limits=LIMITS, gradebook=False, quiet=True,
        retry_errors=True)}
    assert all(r["flags"] == ["missing"] for r in again.values())


# ----------------------------------------------------------------------------- class 3

@pytest.mark.parametrize("student, says", [
    ("link_to_source", "is a symbolic link"), ("link_to_classmate", "is a symbolic link"),
    ("link_to_autograded", "is a symbolic link"), ("link_to_proc_mem", "is a symbolic link"),
    ("pipe_notebook", "is a named pipe"), ("device_notebook", "is a device"),
    ("linked_folder", "the assignment folder 01_recurrent_cells is a symbolic link")])
def test_a_submission_that_is_not_a_plain_file_is_refused_saying_why(student, says, graded,
                                                                      context):
    statuses = [v["status"] for v in graded[student]["verdicts"]]
    assert all(s.startswith("failed: refused: ") and says in s for s in statuses), statuses
    page = (context.out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert context.reference["rnn_step"].splitlines()[-1].strip() not in page
    assert not (context.out / ".results" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()


def test_linked_and_special_extra_files_are_left_out_saying_why(graded):
    notes = " ".join(graded["linked_extras"]["notes"])
    for name in ("solution.py (a symbolic link", "mem (a symbolic link",
                 "answers (a symbolic link", "pipe.txt (a named pipe"):
        assert name in notes, notes


def test_a_linked_student_folder_is_logged_and_not_followed(graded, context):
    assert "linked_student" not in graded
    assert f"ignored {context.submitted / 'linked_student'}: a symbolic link" in (
        context.out / "grading.log").read_text()


# ----------------------------------------------------------------------------- class 6

def test_the_release_wins_over_files_beside_the_notebook(graded):
    notes = " ".join(graded["shadowing_files"]["notes"])
    for name in ("given/__init__.py", "tfcourse/__init__.py", "numpy.py",
                 "__pycache__/given.cpython-311.pyc"):
        assert name in notes, notes
    assert "helpers.py" not in notes


def test_a_duplicated_solution_cell_is_graded_as_its_last_copy(graded):
    assert not any("more than once" in n for n in graded["duplicate_fixed"]["notes"])


def test_reference_solutions_that_fail_in_the_sandbox_stop_grading_with_exit_2(
        context, tmp_path, monkeypatch, capsys):
    # the venv's editable tfcourse points at another checkout: the sandbox cannot import it
    monkeypatch.setattr(grade, "_tfcourse_dir", lambda: tmp_path / "elsewhere" / "tfcourse")
    real_roots = sandbox._python_roots
    monkeypatch.setattr(sandbox, "_python_roots", lambda: [
        r for r in real_roots() if not r.endswith("tfcourse")])
    sub = tmp_path / "submitted"
    shutil.copytree(context.submitted / "honest_reference", sub / "honest_reference")
    code = grade.main([str(sub), "--out", str(tmp_path / "out"), "--course",
                       str(context.course), "--jobs", "1", "--timeout", "30"])
    err = capsys.readouterr().err
    assert code == 2
    assert "self-check failed" in err and f"{ASSIGNMENT}/{ASSIGNMENT} scored 0/8" in err
    assert f"pip install -e {REPO}" in err
    assert not (tmp_path / "out" / "summary.csv").exists()


def test_folder_names_that_are_not_student_ids_are_logged_escaped_and_grading_goes_on(
        context, tmp_path):
    sub, out = tmp_path / "submitted", tmp_path / "out"
    shutil.copytree(context.submitted / "honest_reference", sub / "honest")
    undecodable = b"bad\xff".decode("utf-8", "surrogateescape")
    forged = "mallory\x1b[2K\rvictim   0/8\nzz"   # would print a fake row of the score table
    for name in (undecodable, forged, ".hidden"):
        shutil.copytree(context.submitted / "honest_reference", sub / name)
    results = grade.grade_class(sub, out, context.course, jobs=1, limits=LIMITS,
                                gradebook=False, quiet=True)
    assert [r["unit"]["student"] for r in results] == ["honest"]
    assert [r["student_id"] for r in rows(out, "summary.csv")] == ["honest"]
    log = (out / "grading.log").read_text()
    assert "\x1b" not in log and "\r" not in log and "zz:" not in log
    assert log.count("not a student id") == 3
    assert "bad\\udcff" in log and "mallory\\x1b[2K\\rvictim" in log
