"""scripts/exposure_bias.py --save: the logged run that notebook 05 plots reproduces, and the
claims the notebook's prose makes about it hold."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from solutions.experiment import SETTINGS, run
from tfcourse.experiment_logs import load_experiment

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("exposure_bias", ROOT / "scripts" / "exposure_bias.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def logged():
    return load_experiment(SETTINGS["task"], SETTINGS["cell_type"])


def test_rerunning_the_experiment_reproduces_every_logged_number():
    """Six trainings of 700 steps (about half a minute on one core): 1e-12 allows another CPU's BLAS."""
    script = _script()
    fresh = script.arrays_of(run(**SETTINGS, print_fn=None), SETTINGS)
    with np.load(script.path_of(SETTINGS)) as stored:
        assert sorted(stored.files) == sorted(fresh)
        for key, value in fresh.items():
            if value.dtype.kind == "f":
                np.testing.assert_allclose(stored[key], value, rtol=0, atol=1e-12, err_msg=key)
            else:
                np.testing.assert_array_equal(stored[key], value, err_msg=key)


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
