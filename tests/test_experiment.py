"""solutions/experiment.py: the six regimes, the schedules' shapes, a seeded reproducible run."""
import numpy as np
import pytest

from solutions.experiment import SETTINGS, regimes, run, schedules, table


def test_the_six_regimes_of_the_issue_are_run():
    assert list(regimes(100)) == ["teacher forcing", "always sampling", "uniform 0.5",
                                  "scheduled (linear)", "scheduled (exponential)",
                                  "scheduled (inverse sigmoid)"]


@pytest.mark.parametrize("n_steps", [100, 700])
def test_every_schedule_starts_at_the_truth_and_passes_one_half_halfway(n_steps):
    for name, eps in schedules(n_steps).items():
        assert eps(0) >= 0.9, name   # the inverse sigmoid starts at k / (k + 1)
        assert eps(n_steps / 2) == pytest.approx(0.5, abs=1e-9), name
        values = [eps(i) for i in range(n_steps)]
        assert all(a >= b for a, b in zip(values, values[1:])), name


def test_scheduled_regimes_feed_more_model_tokens_as_training_goes_on():
    probs = regimes(200)
    assert probs["teacher forcing"] == 0.0 and probs["always sampling"] == 1.0
    for name in ("scheduled (linear)", "scheduled (exponential)", "scheduled (inverse sigmoid)"):
        assert probs[name](0) < 0.05 and probs[name](199) > 0.7


def test_a_short_run_is_reproducible_and_tabulated():
    settings = dict(SETTINGS, n_steps=6, eval_every=3, H=8, D=4)
    first = run(**settings, only=["teacher forcing", "uniform 0.5"], print_fn=None)
    second = run(**settings, only=["teacher forcing", "uniform 0.5"], print_fn=None)
    assert list(first) == ["teacher forcing", "uniform 0.5"]
    for name in first:
        np.testing.assert_array_equal(first[name].log.loss, second[name].log.loss)
        assert first[name].test_exact == second[name].test_exact
        assert first[name].test_by_position.shape == (11,)
    # Every regime starts from the same model: the same validation score before training.
    assert first["teacher forcing"].log.val_exact[0] == first["uniform 0.5"].log.val_exact[0]
    text = table(first)
    assert text.count("\n") == 3 and "| uniform 0.5 |" in text
