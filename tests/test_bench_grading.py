"""scripts/bench_grading.py compares like with like: its bare kernel run executes a notebook as
the grader's kernel does, with the release's files beside it and BLAS on one thread (the timing
itself is a script, never a test)."""
import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "02_teacher_forcing"


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
