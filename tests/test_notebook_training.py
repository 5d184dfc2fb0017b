"""Notebook 05 from its template: the instructor's version runs, every graded cell passes
quietly and shows its plots; the student's version holds no solution and no hidden case.

The template waits in autograder/templates/pending/ until `python -m autograder build` packs
notebook 05's hidden cases (autograder/cases_training.py, run by tfcourse.checks_training);
until then this test builds it with the build's own functions, adapting hidden_source.
"""
from pathlib import Path
from unittest import mock

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from autograder import build, cases_training, template
from tfcourse import checks_training

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "autograder" / "templates"
ASSIGNMENT = "05_training_with_teacher_forcing"
TEMPLATE = next(p for p in (TEMPLATES / f"{ASSIGNMENT}.md", TEMPLATES / "pending" / f"{ASSIGNMENT}.md")
                if p.is_file())
GRADED = ["gru_step_forward", "gru_step_backward", "decoder_forward_teacher_forcing_cache",
          "decoder_backward_teacher_forcing", "masked_cross_entropy"]


def hidden_source(cell):
    """build.hidden_source with notebook 05's cases and checks."""
    with mock.patch.object(build, "hidden_cases", cases_training.hidden_cases), \
            mock.patch.object(build, "pack", checks_training.pack):
        text = build.__dict__["_original_hidden_source_05"](cell)
    return text.replace("from tfcourse.checks import", "from tfcourse.checks_training import")


build.__dict__.setdefault("_original_hidden_source_05", build.hidden_source)


def sources():
    """(source notebook, given.py text) as the build would make them for assignment 05."""
    tpls = dict(build.templates())
    tpls[ASSIGNMENT] = template.load(TEMPLATE)
    owner = build.ownership(tpls)
    given = build.given_names(ASSIGNMENT, owner)
    if hasattr(build, "HIDDEN_BACKENDS"):  # the build knows notebook 05's cases itself
        nb = build.source_notebook(tpls[ASSIGNMENT], given)
    else:
        with mock.patch.object(build, "hidden_source", hidden_source):
            nb = build.source_notebook(tpls[ASSIGNMENT], given)
    return nb, build.given_source(ASSIGNMENT, tpls, owner)


def student_notebook(nb):
    nb = nbformat.from_dict(nb)
    resources = {}
    nb, resources = ClearSolutions(code_stub={"python": build.CODE_STUB}).preprocess(nb, resources)
    nb, resources = ClearHiddenTests().preprocess(nb, resources)
    return nb


def execute(nb, given_text, folder):
    (folder / "given.py").write_text(given_text)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def graded_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def text_of(cell, name):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == name)


def test_the_template_grades_the_four_functions_with_visible_and_hidden_tests():
    tpl = template.load(TEMPLATE)
    assert tpl.graded_functions == GRADED
    assert [c.function for c in tpl.cells if c.kind == "hidden"] == GRADED


@pytest.fixture(scope="module")
def instructor_run(tmp_path_factory):
    nb, given_text = sources()
    return execute(nb, given_text, tmp_path_factory.mktemp("source"))


def test_the_instructor_version_runs_and_every_graded_cell_passes_quietly(instructor_run):
    nb = instructor_run
    errors = [(c.id, o.ename, o.evalue) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors == []
    for cell in graded_cells(nb):
        assert "\u2714" in text_of(cell, "stdout"), cell.source[:80]
        assert text_of(cell, "stderr") == "", cell.source[:80]  # nbgrader would score it 0


def test_the_notebook_shows_its_plots_and_table(instructor_run):
    """Its run time against the 60 s budget is printed by scripts/bench_notebooks.py."""
    nb = instructor_run
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                 for o in c.outputs)
    assert images >= 2
    markdown = [o["data"]["text/markdown"] for c in nb.cells if c.cell_type == "code"
                for o in c.outputs if "text/markdown" in o.get("data", {})]
    assert len(markdown) == 2 and "| teacher forcing |" in markdown[0]
    assert "Bengio et al." in markdown[1] and "He et al." in markdown[1]   # the hypotheses' marks


def test_the_fit_with_the_students_passes_logs_its_progress_and_the_loss_falls(instructor_run):
    nb = instructor_run
    log = [text_of(c, "stdout") for c in nb.cells if c.cell_type == "code" and "fit_decoder(" in c.source]
    losses = [float(line.split("loss")[1].split()[0]) for line in log[0].splitlines() if "loss" in line]
    assert len(losses) == 4 and losses[-1] < 0.5 * losses[0]
    fresh, pretrained = [float(line.split("token accuracy")[1].split(",")[0])
                         for line in log[0].splitlines() if "held-out" in line]
    assert fresh < pretrained   # what the prose after the cell says


def test_the_student_version_holds_no_solution_and_no_hidden_case():
    source, _ = sources()
    nb = student_notebook(source)
    text = "\n".join(c.source for c in nb.cells)
    assert "### BEGIN" not in text and "_check_hidden" not in text and "inlined by the build" not in text
    solution_lines = {line.strip() for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")
                      for line in c.source.split("### BEGIN SOLUTION")[1].splitlines()
                      if len(line.strip()) > 20 and not line.strip().startswith(("#", '"""', "def "))}
    assert len(solution_lines) > 20
    public = TEMPLATE.read_text()
    assert [line for line in solution_lines if line in text and line not in public] == []
    for name in GRADED:
        assert checks_training.pack(cases_training.hidden_cases(name))[:60] not in text


def test_the_student_version_says_each_exercise_is_not_implemented(tmp_path):
    source, given_text = sources()
    nb = execute(student_notebook(source), given_text, tmp_path)
    for cell in graded_cells(nb):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors and "not implemented yet" in errors[0].evalue, cell.source[:80]
