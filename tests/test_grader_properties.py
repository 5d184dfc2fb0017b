"""Properties of the grader's own steps on random valid-but-odd notebooks (hypothesis): reading,
assembling, sanitising and the feedback page never raise, and what they make stays in
proportion to what the student sent. (Random kernel messages: tests/test_capped.py.)"""
import json
from pathlib import Path

import nbformat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.engine import feedback
from autograder.engine.grade import _parse_student
from autograder.engine.judge import Spec, assemble
from autograder.engine.sanitize import sanitize_notebook

RELEASE = nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_markdown_cell("# Exercise"),
    nbformat.v4.new_code_cell("def f(x):\n    raise NotImplementedError()", metadata={"nbgrader": {
        "grade_id": "f", "solution": True, "grade": False, "locked": False, "schema_version": 3}}),
    nbformat.v4.new_code_cell("check('f', f)", metadata={"nbgrader": {
        "grade_id": "f_visible", "solution": False, "grade": True, "locked": True, "points": 1,
        "schema_version": 3}})])
SPEC = Spec("a", "a", RELEASE, ["f"], [], Path("."))

TEXT = st.text(max_size=40) | st.sampled_from(["<script>alert(1)</script>", "\x1b[31m" * 50,
                                               "](javascript:x)", "def f(x):\n    return x"])
JUNK = st.none() | st.booleans() | st.integers() | st.floats() | TEXT | st.lists(TEXT, max_size=3)
NBGRADER = st.fixed_dictionaries({"grade_id": st.sampled_from(["f", "f_visible", "g", 3]),
                                  "solution": JUNK, "grade": JUNK, "points": JUNK})
OUTPUT = st.fixed_dictionaries({"output_type": st.sampled_from(
    ["stream", "display_data", "execute_result", "error", "odd"]) | JUNK}, optional={
    "text": JUNK, "name": JUNK, "data": st.dictionaries(st.sampled_from(
        ["text/plain", "text/html", "image/png", "application/javascript"]), JUNK, max_size=3) | JUNK,
    "traceback": JUNK, "ename": JUNK, "evalue": JUNK, "metadata": JUNK, "execution_count": JUNK})
CELL = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw"]) | JUNK},
                             optional={"source": JUNK, "outputs": st.lists(OUTPUT, max_size=3) | JUNK,
                                       "metadata": st.fixed_dictionaries({}, optional={
                                           "nbgrader": NBGRADER | JUNK}) | JUNK,
                                       "id": JUNK, "execution_count": JUNK, "attachments": JUNK})
NOTEBOOK = st.fixed_dictionaries({"cells": st.lists(CELL | JUNK, max_size=6), "nbformat": st.just(4),
                                  "nbformat_minor": st.sampled_from([0, 4, 5, 99]),
                                  "metadata": st.dictionaries(TEXT, JUNK, max_size=2) | JUNK})
RESULT = {"unit": {"student": "s", "assignment": "a", "notebook": "a"},
          "verdicts": [{"grade_id": "f_visible", "score": 0.0, "max_score": 1.0,
                        "status": "failed: x"}], "notes": []}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(student=NOTEBOOK)
def test_odd_notebooks_are_read_assembled_sanitised_and_shown_without_raising(student, tmp_path_factory):
    path = tmp_path_factory.mktemp("nb") / "a.ipynb"
    raw = json.dumps(student)
    path.write_text(raw)
    read = _parse_student(path.read_bytes(), path.name)  # valid JSON with cells: as it is
    nb, notes = assemble(read, SPEC)
    graded = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")]
    assert [c.metadata.nbgrader["grade_id"] for c in graded] == ["f", "f_visible"]
    for cell in nb.cells:  # the student's outputs, as if the kernel had made them
        if cell.cell_type == "code":
            cell.outputs = [o for c in student["cells"] if isinstance(c, dict)
                            for o in (c.get("outputs") if isinstance(c.get("outputs"), list) else [])]
    safe = sanitize_notebook(nb)
    nbformat.validate(safe)
    stored = nbformat.writes(safe)
    page = feedback.render_feedback(RESULT, nb)
    assert "<iframe" in page and "Score: <b>0 / 1</b>" in page
    bound = 20 * (len(raw) + len(json.dumps(RELEASE))) + 200_000
    assert len(stored) < bound and len(page) < bound


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=200) | st.builds(lambda v: json.dumps(v).encode(), JUNK | NOTEBOOK))
def test_any_file_is_read_as_a_notebook_or_refused_with_a_reason(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("nb") / "a.ipynb"
    path.write_bytes(data)
    try:
        read = _parse_student(path.read_bytes(), path.name)
    except ValueError as exc:
        assert "a.ipynb" in str(exc)
    else:
        assert isinstance(read, dict) and isinstance(read.get("cells"), list)
