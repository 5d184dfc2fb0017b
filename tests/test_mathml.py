"""Formulas on the feedback page: the course's typeset as MathML, the student's left as text,
and no MathML that is not rebuilt from an allow-list ever reaches the page."""
import html
from pathlib import Path

import nbformat
import pytest

from autograder.engine import feedback, mathml

ROOT = Path(__file__).resolve().parents[1]
RELEASES = sorted((ROOT / "notebooks").glob("*/*.ipynb"))
RESULT = {"unit": {"student": "s", "assignment": "01", "notebook": "01"}, "verdicts": [], "notes": []}
REFUSED = [r"\text{<script>alert(1)</script>}", r"\href{javascript:alert(1)}{x}",
           r"\style{background:url(http://x)}{x}", r"\class{x}{y}"]
ATTACKS = REFUSED + [r"\operatorname{<img src=x>}"]


def _frame(page):
    return html.unescape(page.split('srcdoc="', 1)[1].split('"></iframe>', 1)[0])


def _course_text(nb):
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def test_latex2mathml_is_installed_with_the_course():
    import latex2mathml.converter  # noqa: F401  (pyproject.toml's dependencies)


@pytest.mark.parametrize("path", RELEASES, ids=[p.parent.name for p in RELEASES])
def test_every_formula_of_the_course_is_typeset_on_the_page(path):
    nb = nbformat.read(path, as_version=4)
    formulas = sum(len(mathml.MATH.findall(c.source)) for c in nb.cells if c.cell_type == "markdown")
    shown = _frame(feedback.render_feedback(RESULT, nb, _course_text(nb)))
    assert shown.count("<math") == formulas and "$$" not in shown
    assert "TFMATH" not in shown and "<script" not in shown


def test_a_students_own_formulas_stay_text_whatever_they_hold():
    nb = nbformat.read(RELEASES[0], as_version=4)
    course = _course_text(nb)
    mine = "MINE: " + " and ".join(f"$${tex}$$" for tex in ATTACKS) + r" and $x^2$"
    nb.cells.append(nbformat.v4.new_markdown_cell(mine))
    edited = next(c for c in course if "$$" in c) + " "  # course text the student edited: theirs
    nb.cells.append(nbformat.v4.new_markdown_cell(edited))
    shown = _frame(feedback.render_feedback(RESULT, nb, course))
    students = shown.split("MINE: ", 1)[1].split("</p>", 1)[0]
    assert "<" not in students and "$x^2$" in students and students.count("$$") == 2 * len(ATTACKS)
    assert shown.count("<math") == sum(len(mathml.MATH.findall(c)) for c in course)


@pytest.mark.parametrize("tex", REFUSED)
def test_mathml_with_anything_outside_the_allow_list_is_refused_even_from_course_text(tex):
    assert mathml.to_mathml(tex, display=False) is None


def test_safe_mathml_rebuilds_text_escaped_and_refuses_unbalanced_or_foreign_markup():
    assert mathml.safe_mathml('<math display="inline"><mi>&#x0003C;</mi></math>') == \
        '<math display="inline"><mi>&lt;</mi></math>'
    for bad in ('<math><mi>x</mi>', '<math><mi>x</math>', '<svg></svg>', '<math onclick="x"></math>',
                '<math xmlns="http://evil"></math>', '<math><!-- --></math>', 'plain'):
        assert mathml.safe_mathml(bad) is None, bad


def test_a_token_a_student_writes_gets_nothing():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$$x$$"),
                                         nbformat.v4.new_markdown_cell("TFMATH0000000000000000X0X")])
    typed, formulas = mathml.typeset(nb, {"$$x$$"})
    assert len(formulas) == 1 and "TFMATH0000000000000000X0X" not in formulas
    assert mathml.put_formulas("TFMATH0000000000000000X0X", formulas) == "TFMATH0000000000000000X0X"
