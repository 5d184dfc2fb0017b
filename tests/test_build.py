"""The build: templates + solutions/ + hidden cases -> nbgrader source -> release == notebooks/."""
import ast
import json
import re
from pathlib import Path

import nbformat
import pytest

from autograder import build, course_map, template

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def course(built_course):
    """A fresh build of this run into a temporary course folder (notebooks/ left alone)."""
    return built_course


def test_committed_notebooks_are_exactly_what_the_build_releases(course):
    for assignment in build.assignments():
        released = course / "release" / assignment
        committed = ROOT / "notebooks" / assignment
        files = build.release_files(course, assignment)
        assert files, f"the release of {assignment} is empty"
        committed_files = sorted(p.relative_to(committed) for p in committed.rglob("*")
                                 if p.is_file() and "__pycache__" not in p.parts)
        assert committed_files == files, (
            f"notebooks/{assignment} holds {committed_files}, the release {files}: "
            f"run `python -m autograder build` and commit notebooks/")
        for rel in files:
            assert (committed / rel).read_bytes() == (released / rel).read_bytes(), (
                f"notebooks/{assignment}/{rel} differs from the build: run "
                f"`python -m autograder build` and commit notebooks/")
    stray = {p.name for p in (ROOT / "notebooks").iterdir() if p.is_dir()} - set(build.assignments())
    assert not {s for s in stray if s[:2].isdigit()}, f"notebooks/ has stale assignments {stray}"


def test_building_twice_gives_identical_sources_and_releases(course, tmp_path):
    build.build(tmp_path, notebooks=None)
    for part in ("source", "release"):
        assert build.digest(tmp_path / part) == build.digest(course / part)


def test_committed_notebooks_have_no_outputs():
    for path in (ROOT / "notebooks").rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path


def test_each_assignment_id_is_its_notebook_stem_in_source_and_release(course):
    for assignment in build.assignments():
        assert (course / "source" / assignment / f"{assignment}.ipynb").is_file()
        assert (course / "release" / assignment / f"{assignment}.ipynb").is_file()


def _graded_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]


def test_solution_cells_are_named_after_their_function_and_tests_carry_points(course):
    for assignment, tpl in build.templates().items():
        meta = _graded_cells(course / "source" / assignment / f"{assignment}.ipynb")
        solution_ids = [m["grade_id"] for m in meta if m["solution"]]
        assert solution_ids == tpl.graded_functions
        tests = [m for m in meta if m["grade"]]
        for function in tpl.graded_functions:
            mine = [m for m in tests if m["grade_id"].startswith(function)]
            assert {m["grade_id"] for m in mine} == {f"{function}_visible", f"{function}_hidden"}
            assert all(m["points"] > 0 and m["locked"] for m in mine)


def test_every_solution_region_comes_from_solutions_and_every_stub_raises(course):
    for assignment in build.assignments():
        source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", 4)
        release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
        for src, rel in zip(source.cells, release.cells):
            if src.metadata.get("nbgrader", {}).get("solution"):
                name = src.metadata["nbgrader"]["grade_id"]
                assert f"# reference: solutions.{name}, inlined by the build" in src.source
                assert "### BEGIN SOLUTION" not in rel.source
                assert "raise NotImplementedError()" in rel.source


def test_hidden_regions_exist_in_source_and_vanish_from_the_release(course):
    for assignment in build.assignments():
        source = (course / "source" / assignment / f"{assignment}.ipynb").read_text()
        release = (course / "release" / assignment / f"{assignment}.ipynb").read_text()
        assert "### BEGIN HIDDEN TESTS" in source
        assert "HIDDEN TESTS" not in release and "_check_hidden" not in release


def test_given_module_ships_only_from_the_second_assignment_on(course):
    ids = build.assignments()
    assert not (course / "source" / ids[0] / build.GIVEN).exists()
    for assignment in ids[1:]:
        given = (course / "release" / assignment / build.GIVEN).read_text()
        assert "for instructors, by `python -m autograder build`" in given
        imported = {n.module for n in ast.walk(ast.parse(given)) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(ast.parse(given)) if isinstance(n, ast.Import)
                     for a in n.names}
        assert not {m for m in imported if m.split(".")[0] in ("solutions", "autograder")}


def _validate(course, *args):
    proc = build.run_nbgrader(course, "validate", *args)
    return proc.stdout


def test_the_pages_written_for_students_ship_with_the_release_not_in_docs(course):
    """A hub student receives the release, never docs/: the decoder contract is beside every
    notebook and notebook 06's rules beside 06 and later ones, as docs/ writes them."""
    for assignment in build.assignments():
        released = sorted(p.name for p in (course / "release" / assignment).glob("*.md"))
        wanted = ["contract.md"] + (["transformer.md"] if assignment >= course_map.by_key(
            "transformers").id else [])
        assert released == wanted, assignment
        for name in released:
            page = course_map.refresh((ROOT / "docs" / name).read_text())
            assert (course / "release" / assignment / name).read_text() == page


@pytest.mark.parametrize("assignment", build.assignments())
def test_nbgrader_validate_passes_every_source_notebook(course, assignment):
    out = _validate(course, f"source/{assignment}/{assignment}.ipynb")
    assert "Success! Your notebook passes all the tests." in out, out


@pytest.mark.parametrize("assignment", build.assignments())
def test_nbgrader_validate_invert_flags_every_student_notebook(course, assignment):
    out = _validate(course, "--invert", f"release/{assignment}/{assignment}.ipynb")
    assert "Success! The notebook does not pass any tests." in out, out


def test_a_stub_whose_signature_differs_from_the_solution_is_refused():
    cell = template.Cell("solution", ("rnn_step",), "def rnn_step(x, h, params):\n    ### SOLUTION")
    with pytest.raises(template.TemplateError, match=r"stub of rnn_step takes"):
        build.solution_source(cell, set())


@pytest.mark.parametrize("text, message", [
    ("stray text\n%% md\nx", "text before the first"),
    ("%% solution\nx", "expected `%% md`"),
    ("%% test a_visible many\nx", "POINTS must be a number"),
    ("%% solution f\ndef f():\n    pass", "exactly one line `### SOLUTION`"),
    ("%% solution f\ndef f():\n    ### SOLUTION\n%% hidden g 1\n# x", "does not grade"),
    ("%% test t 1\nx\n%% test t 2\ny", "grade ids used twice"),
    ("%% solution f\ndef f():\n    ### SOLUTION\n%% hidden f 1\n# more\ncheck('f', f)",
     "a hidden cell holds only comments"),
])
def test_template_errors_name_the_problem(text, message):
    with pytest.raises(template.TemplateError, match=re.escape(message)):
        template.parse(text, "bad")


def test_template_comments_never_reach_a_cell():
    tpl = template.parse("%%# note for authors\n%% md\nHello\n%%# another\nworld")
    assert [c.source for c in tpl.cells] == ["Hello\nworld"]


def test_nbgrader_config_sets_the_stub_students_see(course):
    config = (course / "nbgrader_config.py").read_text()
    assert json.dumps(build.CODE_STUB)[1:-1] in config or repr(build.CODE_STUB) in config


def _answer_first_exercise(path):
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    cell.source = cell.source.replace("raise NotImplementedError()", "return None")
    nbformat.write(nb, path)


def test_syncing_notebooks_refuses_to_overwrite_a_learners_answers_unless_forced(course, tmp_path):
    first = build.assignments()[0]
    build.sync_notebooks(course, tmp_path, [first])
    path = tmp_path / first / f"{first}.ipynb"
    assert build.student_work(tmp_path / first) == []
    _answer_first_exercise(path)
    with pytest.raises(ValueError, match=r"hold answers or outputs.*--force"):
        build.sync_notebooks(course, tmp_path, [first])
    assert "return None" in path.read_text(), "the learner's answer was overwritten"
    build.sync_notebooks(course, tmp_path, [first], force=True)
    assert path.read_bytes() == (course / "release" / first / f"{first}.ipynb").read_bytes()


def test_each_public_check_runs_once_in_a_release_and_hidden_cells_say_what_runs_at_grading(course):
    for assignment in build.assignments():
        nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        calls = [c for cell in nb.cells if cell.cell_type == "code"
                 for c in re.findall(r"^check\((['\"]\w+['\"])", cell.source, re.M)]
        assert len(calls) == len(set(calls)), (assignment, calls)
        hidden = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "")
                  .endswith("_hidden")]
        assert hidden, assignment
        for cell in hidden:
            code = [line for line in cell.source.splitlines() if not line.startswith("#")]
            function = cell.metadata["nbgrader"]["grade_id"].removesuffix("_hidden")
            assert code[0] == "from tfcourse.checks import graded_here", cell.source
            assert re.fullmatch(rf"graded_here\('{function}', {function}, hidden_cases=\d+\)",
                                code[1]), cell.source
            assert len(code) == 2 and "When your notebook is graded" in cell.source, cell.source


def test_markdown_never_puts_latex_in_backticks():
    """`x W_{x\\cdot}` shows raw; $x W_{x\\cdot}$ is typeset."""
    found = [(a, span) for a, tpl in build.templates().items() for c in tpl.cells
             if c.kind == "md" for span in re.findall(r"`([^`\n]*)`", c.source)
             if re.search(r"\\[a-zA-Z]{2,}", span)]
    assert not found, found
