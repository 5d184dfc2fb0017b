"""scripts/exposure_bias.py --save: the logged run that notebook 05 plots reproduces, and the
claims the notebook's prose makes about it hold."""
import numpy as np
import pytest

from solutions.experiment import SETTINGS
from tests.reproduction import check_twice, load_script
from tfcourse import reproduce
from tfcourse.experiment_logs import load_experiment


@pytest.fixture(scope="module")
def logged():
    return load_experiment(SETTINGS["task"], SETTINGS["cell_type"])


def test_two_reruns_here_are_identical_and_reproduce_the_logged_run():
    """The script's own --check (six trainings of 700 steps, about half a minute on one core)
    twice at once: to 1e-12 where the log was made, else as tfcourse.reproduce says."""
    assert "exposure_bias_reverse_gru.npz: reproduced" in check_twice("exposure_bias.py", "--quiet")


def test_the_log_records_its_environment_and_elsewhere_only_what_reproduces_is_compared():
    script = load_script("exposure_bias.py")
    path = script.path_of(SETTINGS)
    assert set(reproduce.recorded(path)) == set(reproduce.environment())
    with np.load(path) as stored:
        arrays = dict(stored)
    elsewhere = dict(reproduce.environment(), numpy="0.0")
    later = dict(arrays, loss=arrays["loss"] + np.where(np.arange(arrays["loss"].shape[1]) < 50, 0, 0.1))
    assert script.problems(arrays, later, elsewhere) == []
    assert script.problems(arrays, later, reproduce.environment()) != []  # made here: 1e-12
    early = dict(arrays, loss=arrays["loss"] + 1e-6)
    assert script.problems(arrays, early, elsewhere) == [
        f"the first 50 training losses differ by {1e-6:.3g} > {script.LOSS_ATOL}"]
    worse = dict(arrays, test_exact=arrays["test_exact"] - np.eye(len(arrays["regimes"]))[0] * 0.5)
    assert [line.split(":")[0] for line in script.problems(arrays, worse, elsewhere)] == [
        f"{arrays['regimes'][0]} test exact"]


def test_the_notebooks_reading_of_the_run_is_true(logged):
    exact = dict(zip(logged["regimes"], logged["test_exact"]))
    schedules = [name for name in exact if name.startswith("scheduled")]
    # Teacher forcing first; always sampling worse; no schedule beats teacher forcing.
    assert max(exact, key=exact.get) == "teacher forcing"
    assert exact["always sampling"] < exact["teacher forcing"]
    assert all(exact[name] < exact["teacher forcing"] for name in schedules)
    # The exponential decay (most true tokens at the end) is the best schedule.
    assert max(schedules, key=exact.get) == "scheduled (exponential)"
    # Errors compound: every regime is wrong more often late in the digits than early.
    errors = 1 - logged["test_by_position"]
    assert np.all(errors[:, 5:10].mean(axis=1) > errors[:, :3].mean(axis=1))
    # At the last digit of the longest outputs, teacher forcing is wrong most often.
    assert np.argmax(errors[:, 9]) == logged["regimes"].index("teacher forcing")


def test_the_log_holds_the_curves_the_notebook_plots(logged):
    R, n = len(logged["regimes"]), int(logged["n_steps"])
    assert logged["loss"].shape == logged["sampling_prob"].shape == (R, n)
    assert logged["val_exact"].shape == (R, len(logged["eval_steps"]))
    k = logged["regimes"].index("scheduled (linear)")
    assert logged["sampling_prob"][k][0] == 0.0 and logged["sampling_prob"][k][-1] > 0.99
