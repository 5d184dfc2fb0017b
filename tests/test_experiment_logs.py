"""tfcourse.experiment_logs: loads the logged experiment, names bad arguments, draws and tabulates it."""
import matplotlib
import numpy as np
import pytest

from tfcourse.experiment_logs import load_experiment, plot_training_curves, results_table, smooth

matplotlib.use("Agg")


def test_the_logged_reverse_gru_run_loads_with_every_field():
    exp = load_experiment("reverse", "gru")
    assert exp["regimes"][0] == "teacher forcing" and len(exp["regimes"]) == 6
    assert exp["test_by_position"].shape == (6, 11)


def test_the_table_has_one_row_per_regime_and_the_figure_three_panels():
    exp = load_experiment()
    assert results_table(exp).count("\n") == 7
    fig = plot_training_curves(exp)
    assert len(fig.axes) == 3


def test_smooth_is_a_running_mean_shorter_at_the_start():
    np.testing.assert_allclose(smooth([1.0, 3.0, 5.0, 7.0], window=2), [1.0, 2.0, 4.0, 6.0])


def test_a_missing_log_or_bad_argument_is_a_named_value_error(tmp_path):
    (tmp_path / "experiments").mkdir()
    with pytest.raises(ValueError, match=r"no logged experiment exposure_bias_dates_lstm.npz .* available: none"):
        load_experiment("dates", "lstm", root=tmp_path)
    with pytest.raises(ValueError, match="task: expected a str, got int 3"):
        load_experiment(3)
    (tmp_path / "experiments" / "exposure_bias_dates_gru.npz").write_text("junk")
    with pytest.raises(ValueError, match="not a readable .npz file"):
        load_experiment("dates", "gru", root=tmp_path)
