"""tfcourse.plots: the figures read as drawn (no overlapping text, no raw subscripts)."""
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tfcourse.plots import plot_shift_table  # noqa: E402


def test_the_shift_table_title_clears_the_step_labels_and_its_subscripts_are_typeset():
    target = ["I", "am", "learning", "<eos>"]
    fig = plot_shift_table(["<sos>"] + target[:-1], target,
                           title="teacher forcing: step $t$ is fed $y_{t-1}$ and scored on $y_t$")
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
