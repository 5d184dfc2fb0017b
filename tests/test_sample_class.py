"""The demo: the sample class, made from the release, grades exactly as it must with nbgrader."""
import csv

import nbformat
import pytest

from autograder import build, demo, sample_class


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
