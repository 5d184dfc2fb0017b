"""scripts/bench_grading.py compares like with like: its bare kernel run executes a notebook as
the grader's kernel does, with the release's files beside it and BLAS on one thread (the timing
itself is a script, never a test)."""
import importlib.util
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "02_teacher_forcing"
sys.path.insert(0, str(ROOT / "scripts"))


def _bench():
    spec = importlib.util.spec_from_file_location("bench_grading",
                                                  ROOT / "scripts" / "bench_grading.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_the_bare_baseline_runs_a_reference_notebook_without_an_error(built_course, tmp_path):
    """Beside the submission alone, `from given import ...` failed and every later cell with it:
    the baseline then timed errors, not the notebook."""
    bench = _bench()
    bench.synthetic_class(built_course, tmp_path, 1)  # student000: the reference answers
    path = next((tmp_path / "student000" / ASSIGNMENT).glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import os; print(os.environ['OPENBLAS_NUM_THREADS'])"))
    nbformat.write(nb, path)
    nb, seconds = bench.bare_run(built_course, path)
    errors = [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert "from given import" in "".join(c.source for c in nb.cells)
    assert errors == [] and seconds > 0
    assert sum(1 for c in nb.cells if c.cell_type == "code" and c.outputs) > 3  # it ran
    assert nb.cells[-1].outputs[0]["text"].strip() == "1"  # BLAS on one thread, as the grader's


def test_every_assignment_s_class_holds_a_wrong_answer_whose_values_the_matching_names(
        built_course, tmp_path, monkeypatch):
    """The benchmark must time the grader's matching of mutants, which runs only for an answer
    that computes wrong values (a stub raises: nothing to match). Student001 (kind 1) answers
    one graded function of each notebook with a reviewer's wrong answer: the cell, as written
    into the notebook, returns a value on every case, is wrong on a hidden one, and the mutants
    that reproduce it name a mistake."""
    import diagnosis_rate  # scripts/: judges an answer on every case as the grader does
    from autograder import build, heldout
    from autograder.build import hidden_backend
    from tfcourse import checks
    for name, module in heldout.given_modules().items():  # beside the notebook, in its kernel
        monkeypatch.setitem(sys.modules, name, module)
    bench = _bench()
    bench.synthetic_class(built_course, tmp_path, 2)
    assert set(bench.WRONG_ANSWERS) == set(build.assignments())
    for assignment, (function, slug) in bench.WRONG_ANSWERS.items():
        nb = nbformat.read(next((tmp_path / "student001" / assignment).glob("*.ipynb")),
                           as_version=4)
        cell = next(c for c in nb.cells if bench._gid(c) == function)
        impl = heldout.define(cell.source, function)
        public = diagnosis_rate._decoded(function, checks.load_reference(function)["cases"])
        hidden = [c for c in diagnosis_rate._decoded(
            function, hidden_backend(function)[0].hidden_cases(function)) if not c.get("timed")]
        with np.errstate(all="ignore"):
            got = diagnosis_rate._results(impl, function, public + hidden)
        assert all(g is not None for g in got), (assignment, "raised on a case")
        assert diagnosis_rate._wrong(function, hidden, got[len(public):]), assignment
        assert diagnosis_rate.sentences(function, public + hidden, got), assignment


@pytest.mark.parametrize("assignment", ["01_recurrent_cells", "05_training_with_teacher_forcing"])
def test_the_grader_names_the_mistake_of_the_wrong_answer_in_the_benchmark_s_class(
        assignment, course_copy, tmp_path):
    """Graded as the benchmark grades it, the kind-1 notebook loses exactly its wrong function's
    cells, each saying which known mistake it is; its other functions pass."""
    from autograder.engine import grade
    from autograder.engine.sandbox import Limits
    bench = _bench()
    bench.synthetic_class(course_copy, tmp_path, 2)
    path = next((tmp_path / "student001" / assignment).glob("*.ipynb"))
    result = grade.grade_unit(grade.Unit("student001", assignment, path.stem, str(path)),
                              grade.Course(course_copy), Limits(timeout=60))
    function = bench.WRONG_ANSWERS[assignment][0]
    failed = {v["grade_id"]: v["status"] for v in result["verdicts"] if v["status"] != "passed"}
    assert failed and all(g.startswith(function) for g in failed), failed
    assert all("Known mistake: " in status for status in failed.values()), failed
