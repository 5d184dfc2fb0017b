"""Every nbgrader source notebook (reference answers inlined) runs top to bottom, without an
error or a byte on stderr, and shows a plot. How long it takes is a figure, printed by
scripts/bench_notebooks.py against each issue's budget, not a test: a wall clock on a shared
machine measures the machine."""
import pytest

from autograder import build
from autograder.execute import error_outputs, execute, stderr_outputs

# Only a guard against a notebook that hangs: per cell, far above any budget.
HANG_SECONDS = 600


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    build.write_sources(folder)
    return folder


@pytest.mark.parametrize("assignment", build.assignments())
def test_source_notebook_runs_cleanly_and_shows_a_plot(course, assignment):
    nb, _ = execute(course / "source" / assignment / f"{assignment}.ipynb",
                    timeout=HANG_SECONDS, allow_errors=True)
    assert error_outputs(nb) == []
    assert stderr_outputs(nb) == []
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert images, f"{assignment} shows no plot"
