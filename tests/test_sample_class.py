"""The demo: the sample class, made from the release, grades exactly as it must with nbgrader."""
import csv
import html
import io
import re
import shutil

import nbformat
import pytest
from nbgrader.validator import Validator
from traitlets.config import Config

from autograder import build, demo, sample_class
from autograder.mistakes import MISTAKES
from tfcourse.checks import CheckFailed, check


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    scores, ids = demo.run(course)
    return course, scores, ids


def test_reference_full_marks_wrong_student_known_zeros_empty_submission_zero(graded):
    course, scores, ids = graded
    expected = sample_class.expected_scores(ids)
    assert scores == expected
    total = {s: sum(sum(a.values()) for a in scores[s].values()) for s in scores}
    assert total["empty"] == 0
    assert 0 < total["wrong"] < total["reference"]


def test_wrong_student_loses_exactly_the_cells_of_its_mistakes(graded):
    _, scores, _ = graded
    zeros = {cell for a in scores["wrong"].values() for cell, p in a.items() if p == 0}
    assert zeros == {f"{f}_{kind}" for f in sample_class.WRONG_ANSWERS
                     for kind in ("visible", "hidden")}


def test_submissions_are_the_release_with_only_solution_cells_changed(graded):
    course, _, ids = graded
    for assignment in ids:
        release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
        for student in sample_class.STUDENTS:
            sub = nbformat.read(course / "submitted" / student / assignment / f"{assignment}.ipynb", 4)
            assert len(sub.cells) == len(release.cells)
            for a, b in zip(release.cells, sub.cells):
                if not a.metadata.get("nbgrader", {}).get("solution"):
                    assert a.source == b.source
                elif student == "empty":
                    assert a.source == b.source
                else:
                    assert "raise NotImplementedError()" not in b.source


def test_grades_csv_and_feedback_html_are_left_for_every_student(graded):
    course, _, ids = graded
    with open(course / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["student_id"], r["assignment"]) for r in rows} == {
        (s, a) for s in sample_class.STUDENTS for a in ids}
    for student in sample_class.STUDENTS:
        for assignment in ids:
            html = course / "feedback" / student / assignment / f"{assignment}.html"
            assert html.is_file() and html.stat().st_size > 1000


def test_wrong_students_feedback_names_its_mistake(graded):
    course, _, _ = graded
    html = (course / "feedback" / "wrong" / "01_recurrent_cells" / "01_recurrent_cells.html").read_text()
    assert "CS231n" in html  # the gates_ifog hint


def test_score_table_lists_each_student_with_totals(graded):
    _, scores, ids = graded
    text = demo.table(scores, ids)
    full = sum(sum(a.values()) for a in sample_class.expected_scores(ids)["reference"].values())
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert lines["reference"].endswith(f"{full:g}/{full:g}")
    assert lines["empty"].endswith(f"0/{full:g}")


def test_fill_stub_refuses_a_cell_without_the_stub():
    with pytest.raises(ValueError, match="expected the stub"):
        sample_class.fill_stub("def f():\n    return 1", "    return 2")


# --- The message first: what the wrong student reads of each mistake, in nbgrader's Validate and
# in the grader's feedback page (tests/test_browser.py shows JupyterLab's cells). -----------------

def wrong_functions():
    """{assignment: the graded functions the wrong student got wrong there, in cell order}."""
    out = {}
    for path in sorted(build.NOTEBOOKS.glob("*/*.ipynb")):
        graded = [c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(path, 4).cells
                  if c.metadata.get("nbgrader", {}).get("solution")]
        wrong = [f for f in graded if f in sample_class.WRONG_ANSWERS]
        if wrong:
            out[path.parent.name] = wrong
    return out


WRONG = wrong_functions()


def words(text):
    return " ".join(text.split())


def check_message(function):
    """What the visible test says of the wrong student's answer, computed here, outside a kernel."""
    with pytest.raises(CheckFailed) as failure:
        check(function, MISTAKES[function][sample_class.WRONG_ANSWERS[function]])
    return str(failure.value)


def no_traceback(text):
    return not any(sign in text for sign in ("Traceback (most recent call last)", 'File "',
                                             "tfcourse/checks", "site-packages"))


def checked_function(source):
    return re.search(r'check\("(\w+)"', source).group(1)


def test_the_wrong_student_has_mistakes_to_show():
    assert "02_teacher_forcing" in WRONG  # the case: notebook 02, "fed the current target"


@pytest.mark.parametrize("assignment", WRONG)
def test_validate_shows_the_courses_message_first_and_no_traceback(assignment, graded, tmp_path,
                                                                   monkeypatch):
    course, _, _ = graded
    shutil.copytree(course / "submitted" / "wrong" / assignment, tmp_path / assignment)
    path = str(tmp_path / assignment / f"{assignment}.ipynb")
    validator = Validator(config=Config())
    results = validator.validate(path)  # what the Validate button asks the server for
    failed = results["failed"]
    assert [checked_function(c["source"]) for c in failed] == WRONG[assignment], \
        "the visible tests of the wrong answers, and only they, fail"
    # The dialog shows each cell's source, then its error as HTML (ansi2html of the kernel's lines).
    for cell in failed:
        dialog = html.unescape(re.sub(r"<[^>]+>", "", cell["error"])).strip()
        assert dialog.startswith("CheckFailed: "), dialog[:300]
        assert words(dialog) == words(f"CheckFailed: {check_message(checked_function(cell['source']))}")
        assert no_traceback(dialog)
    # `nbgrader validate` in a terminal prints the same results (nbgrader's own printing).
    monkeypatch.setattr(validator, "validate", lambda filename: results)
    monkeypatch.setattr(validator, "stream", io.StringIO())
    validator.validate_and_print(path)
    printed = validator.stream.getvalue().split("The error was:")[1:]
    assert len(printed) == len(failed)
    for cell, error in zip(failed, printed):
        error = error.split("=" * 20)[0].strip()
        assert error.startswith("CheckFailed: "), error[:300]
        assert words(error) == words(f"CheckFailed: {check_message(checked_function(cell['source']))}")
        assert no_traceback(error)


@pytest.mark.parametrize("assignment", WRONG)
def test_feedback_page_shows_the_courses_message_first_and_no_traceback(assignment, graded):
    course, _, _ = graded
    page = (course / "feedback" / "wrong" / assignment / f"{assignment}.html").read_text()
    grader, frame = page.split("<iframe", 1)
    doc = html.unescape(frame.split("srcdoc=", 1)[1].split(">", 1)[0])
    text = html.unescape(re.sub(r"<[^>]+>", "", doc))
    assert no_traceback(text)
    for function in WRONG[assignment]:
        message = check_message(function)
        # The score table: the visible test's result is the judge's sentence, the check's own
        # words (the judge counts the visible cell's cases as its own, hence no "public"; it
        # leaves out what only the kernel can see, such as how often the answer drew from rng).
        head, problem = message.split("\n", 1)
        head = "failed: " + head.replace(", public case ", ", case ", 1)
        status = html.unescape(re.search(rf"<td>{function}_visible</td><td>[^<]*</td><td><pre>"
                                         rf"(.*?)</pre>", grader, re.S).group(1))
        assert status.startswith(head), status[:300]
        judged = words(status[len(head):])
        assert judged and words(problem).startswith(judged) and no_traceback(status)
        # The notebook as graded: the failing cell's output starts with the course's message.
        after = text.split(f'check("{function}", {function})', 1)[1]
        output = re.split(r"In\s\[", after)[0].strip()
        assert output.startswith("CheckFailed: "), output[:300]
        assert words(output) == words(f"CheckFailed: {message}")
