"""A sample class made from the release: what `python -m autograder demo` grades.

Every submission starts as a copy of the student release (notebook and given.py), never as
a hand-written notebook; only the bodies of the solution cells change:

    reference   every stub filled with the reference solution (inlined from solutions/)
    wrong       some stubs filled with a known mistake (autograder/mistakes.py), the rest right
    empty       the release as it is: every stub still raises NotImplementedError

EXPECTED_ZEROS says which graded functions each student gets wrong; expected_scores turns
that into the exact score of every test cell.
"""
import shutil
from pathlib import Path

import nbformat

import solutions
from autograder import build, inline, template
from autograder.mistakes import MISTAKES

# student -> {graded function: known mistake id}; the functions not named are answered right.
WRONG_ANSWERS = {
    "lstm_step": "gates_ifog",
    "gru_step": "reset_before_matmul",
    "decoder_forward_teacher_forcing": "fed_current_target",
    "decoder_forward_scheduled_sampling": "coin_at_step_0",
    "inverse_sigmoid_schedule": "returned_sampling_prob",
}
STUDENTS = ("reference", "wrong", "empty")
STUB_LINES = build.CODE_STUB.splitlines()


def answer(student, function):
    """The function whose body `student` submits for `function`, or None (leave the stub)."""
    if student == "empty":
        return None
    if student == "wrong" and function in WRONG_ANSWERS:
        return MISTAKES[function][WRONG_ANSWERS[function]]
    return getattr(solutions, function)


def fill_stub(source, body):
    """Replace the nbgrader stub (two lines, at any indent) in a cell's source with `body`."""
    lines = source.splitlines()
    for n in range(len(lines) - 1):
        if [line.strip() for line in lines[n:n + 2]] == STUB_LINES:
            indent = lines[n][:len(lines[n]) - len(lines[n].lstrip())]
            body_lines = [indent + line[4:] if line.strip() else "" for line in body.splitlines()]
            return "\n".join(lines[:n] + body_lines + lines[n + 2:])
    raise ValueError("source: expected the stub `# YOUR CODE HERE` / `raise NotImplementedError()`"
                     f", found none in:\n{source}")


def submission(release_notebook, student, given):
    """One student's notebook: the released notebook with that student's answers filled in."""
    nb = nbformat.read(release_notebook, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            func = answer(student, meta["grade_id"])
            if func is not None:
                cell.source = fill_stub(cell.source, inline.function_body(func, given))
    return nb


def write(course, ids=None):
    """Write submitted/<student>/<id>/ for every student from the course's release."""
    course = Path(course)
    ids = ids or build.assignments()
    owner = build.ownership(build.templates())
    for student in STUDENTS:
        for assignment in ids:
            release = course / "release" / assignment
            folder = course / "submitted" / student / assignment
            if folder.exists():
                shutil.rmtree(folder)
            shutil.copytree(release, folder)
            nb = submission(release / f"{assignment}.ipynb", student,
                            build.given_names(assignment, owner))
            nbformat.write(nb, folder / f"{assignment}.ipynb")
    return list(STUDENTS)


def expected_scores(ids=None):
    """{student: {assignment: {grade_id: points}}}: what autograding the sample class must give."""
    tpls = build.templates()
    out = {}
    for student in STUDENTS:
        out[student] = {}
        for assignment in ids or build.assignments():
            cells = {}
            for cell in tpls[assignment].cells:
                if cell.kind not in ("test", "hidden"):
                    continue
                grade_id = cell.args[0] if cell.kind == "test" else f"{cell.function}_hidden"
                function = cell.function or grade_id.rsplit("_visible", 1)[0]
                right = student == "reference" or (
                    student == "wrong" and function not in WRONG_ANSWERS)
                cells[grade_id] = float(cell.args[1]) if right else 0.0
            out[student][assignment] = cells
    return out


def _check_template_names():
    """Every wrong answer names a graded function and a mistake that exists."""
    graded = {f for t in build.templates().values() for f in t.graded_functions}
    for function, mistake in WRONG_ANSWERS.items():
        if function not in graded or mistake not in MISTAKES.get(function, {}):
            raise template.TemplateError(f"WRONG_ANSWERS: {function}: {mistake} is not a known "
                                         f"mistake of a graded function")
