"""Notebook 06 from its template: the instructor's version runs and passes every test cell; the
student's version holds no solution and no hidden case, and its test cells say "not implemented".

The template waits in autograder/templates/pending/ until `python -m autograder build` packs
hidden tests of notebook 06 (autograder/cases_transformer.py, checked by
tfcourse.checks_transformer; the build then has HIDDEN_BACKENDS); until then
`source_notebook` below adapts the build's own hidden_source to them.
"""
from pathlib import Path
from unittest import mock

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from autograder import build, cases_transformer, template
from tfcourse import checks_transformer

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "autograder" / "templates"
# The template moves up from pending/ once the build packs notebook 06's hidden cases.
TEMPLATE = next(p for p in (TEMPLATES / "06_teacher_forcing_in_transformers.md",
                            TEMPLATES / "pending" / "06_teacher_forcing_in_transformers.md")
                if p.is_file())
GRADED = ["shift_right", "causal_mask", "causal_self_attention", "positional_encoding",
          "transformer_decoder_forward", "transformer_decoder_step",
          "transformer_scheduled_sampling_two_pass"]


def hidden_source(cell):
    """build.hidden_source with notebook 06's cases and checks."""
    with mock.patch.object(build, "hidden_cases", cases_transformer.hidden_cases), \
            mock.patch.object(build, "pack", checks_transformer.pack):
        text = build.__dict__["_original_hidden_source"](cell)
    return text.replace("from tfcourse.checks import", "from tfcourse.checks_transformer import")


build.__dict__.setdefault("_original_hidden_source", build.hidden_source)


def source_notebook():
    if hasattr(build, "HIDDEN_BACKENDS"):  # the build knows notebook 06's cases itself
        return build.source_notebook(template.load(TEMPLATE), set())
    with mock.patch.object(build, "hidden_source", hidden_source):
        return build.source_notebook(template.load(TEMPLATE), set())


def student_notebook(nb):
    nb = nbformat.from_dict(nb)
    resources = {}
    nb, resources = ClearSolutions(code_stub={"python": build.CODE_STUB}).preprocess(nb, resources)
    nb, resources = ClearHiddenTests().preprocess(nb, resources)
    return nb


def execute(nb, tmp_path):
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def graded_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def text_of(cell, name):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == name)


def test_the_template_grades_the_issues_seven_functions_with_visible_and_hidden_tests():
    tpl = template.load(TEMPLATE)
    assert tpl.graded_functions == GRADED
    hidden = [c.function for c in tpl.cells if c.kind == "hidden"]
    assert hidden == GRADED


@pytest.fixture(scope="module")
def instructor_run(tmp_path_factory):
    return execute(source_notebook(), tmp_path_factory.mktemp("source"))


def test_the_instructor_version_runs_and_every_graded_cell_passes_quietly(instructor_run):
    errors = [(c.id, o.ename, o.evalue) for c in instructor_run.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors == []
    for cell in graded_cells(instructor_run):
        assert "\u2714" in text_of(cell, "stdout"), cell.source[:80]
        assert text_of(cell, "stderr") == "", cell.source[:80]  # nbgrader would score it 0


def test_the_benchmark_cell_prints_its_table_live(instructor_run):
    table = [text_of(c, "stdout") for c in instructor_run.cells if c.cell_type == "code"
             and "time_decoding(" in c.source]
    assert len(table) == 1 and "KV cache / one pass" in table[0] and "prefixes / one pass" in table[0]
    assert [line.split()[0] for line in table[0].splitlines()[1:]] == ["4", "8", "16", "32", "64", "128"]


def test_the_student_version_holds_no_solution_and_no_hidden_case(tmp_path):
    source = source_notebook()
    nb = student_notebook(source)
    text = "\n".join(c.source for c in nb.cells)
    assert "### BEGIN" not in text and "_check_hidden" not in text and "inlined by the build" not in text
    solution_lines = {line.strip() for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")
                      for line in c.source.split("### BEGIN SOLUTION")[1].splitlines()
                      if len(line.strip()) > 20 and not line.strip().startswith(("#", '"""', "def "))}
    assert len(solution_lines) > 30
    public = TEMPLATE.read_text()  # stubs and prose: public by construction
    leaked = [line for line in solution_lines if line in text and line not in public]
    assert leaked == []
    for name in GRADED:
        packed = checks_transformer.pack(cases_transformer.hidden_cases(name))
        assert packed[:60] not in text


def test_the_student_version_says_each_exercise_is_not_implemented(tmp_path):
    nb = execute(student_notebook(source_notebook()), tmp_path)
    for cell in graded_cells(nb):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors and "not implemented yet" in errors[0].evalue, cell.source[:80]


def test_no_helper_inlined_into_notebook_06_shares_a_name_with_another_solutions_definition():
    # The build imports a helper from an earlier assignment's `given` module by NAME: a helper
    # of another module with the same name would silently replace ours in the release.
    import pkgutil

    import solutions
    from autograder import inline
    roots = [inline.definition(getattr(solutions, f)) for f in GRADED]
    ours = {d.name: d.module for d in inline.closure(roots)[0]}
    for info in pkgutil.iter_modules(solutions.__path__):
        module = f"solutions.{info.name}"
        if module in ("solutions.transformer", "solutions.transformer_sampling"):
            continue
        theirs = {name for name, entry in inline._module_table(module).items()
                  if isinstance(entry, inline.Definition)}
        assert not (set(ours) & theirs), (module, sorted(set(ours) & theirs))
