"""scripts/exposure_bias.py --save: the logged run that notebook 05 plots reproduces, and the
claims the notebook's prose makes about it hold."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from solutions.experiment import SETTINGS
from tfcourse.experiment_logs import load_experiment

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def logged():
    return load_experiment(SETTINGS["task"], SETTINGS["cell_type"])


def test_rerunning_the_experiment_reproduces_every_logged_number():
    """The script's own --check (six trainings of 700 steps, about half a minute on one core),
    in a fresh process with one BLAS thread; floats must agree to 1e-12."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "exposure_bias.py"), "--check",
                           "--quiet"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "exposure_bias_reverse_gru.npz: reproduced" in proc.stdout


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
