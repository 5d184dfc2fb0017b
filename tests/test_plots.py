"""tfcourse.plots: the figures read as drawn (no overlapping text, no raw subscripts)."""
import ast
import re
from pathlib import Path

import nbformat
import pytest

import pytest

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tfcourse.plots import plot_position_errors, plot_shift_table  # noqa: E402


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def shift_table_titles():
    """The titles the notebooks give plot_shift_table: the figures students see."""
    titles = []
    for path in sorted(NOTEBOOKS.glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code" or "plot_shift_table(" not in cell.source:
                continue
            titles += [k.value.value for node in ast.walk(ast.parse(cell.source))
                       if isinstance(node, ast.Call) and getattr(node.func, "id", "") ==
                       "plot_shift_table" for k in node.keywords if k.arg == "title"]
    return titles


def test_a_notebook_draws_the_shift_table():
    assert shift_table_titles()


@pytest.mark.parametrize("title", shift_table_titles())
def test_the_shift_table_title_clears_the_step_labels_and_its_subscripts_are_typeset(title):
    target = ["I", "am", "learning", "<eos>"]
    fig = plot_shift_table(["<sos>"] + target[:-1], target, title=title)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    title = ax.title.get_window_extent(renderer)
    steps = [t for t in ax.texts if t.get_text().startswith("step ")]
    assert len(steps) == len(target)
    assert not any(title.overlaps(t.get_window_extent(renderer)) for t in steps)
    assert title.y1 <= fig.bbox.y1, "the title stays inside the figure"
    for text in [t.get_text() for t in ax.texts] + [ax.get_title()]:
        assert "_" not in re.sub(r"\$[^$]*\$", "", text), f"a raw subscript outside $...$: {text!r}"
    plt.close(fig)


def test_position_errors_draw_a_band_only_around_the_curves_given_one():
    fig = plot_position_errors({"a": [0.1, 0.2, 0.3], "b": [0.2, 0.2, 0.2]},
                               bands={"a": [0.05, 0.05, float("nan")]})
    bands = fig.axes[0].collections
    assert len(bands) == 1
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(0.05) and ys.max() == pytest.approx(0.3)  # NaN: no width
    plt.close(fig)
