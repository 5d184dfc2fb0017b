"""tfcourse.training (student-safe): fit_decoder trains with the passes and loss it is given, deterministically;
Adam works on flat and nested dicts. (The loss and Adam are also checked against torch in
tests/test_training.py.)"""
import numpy as np
import pytest

import solutions
from tfcourse.params import random_decoder_params
from tfcourse.training import Adam, fit_decoder


def _data(seed=0, N=12, T=4, H=5, V=6):
    rng = np.random.default_rng(seed)
    ids = rng.integers(3, V, size=(N, T))
    ids[:, -1] = 2
    ids[: N // 2, -1] = 0          # half the rows are one token shorter: PAD at the end
    ids[: N // 2, -2] = 2
    return rng.normal(size=(N, H)), ids


def test_fit_decoder_lowers_the_loss_with_the_reference_passes_and_is_reproducible():
    contexts, ids = _data()
    runs = []
    for _ in range(2):
        params = random_decoder_params("gru", 3, 5, 6, rng=1)
        runs.append(fit_decoder(solutions.decoder_forward_teacher_forcing_cache,
                                solutions.decoder_backward_teacher_forcing,
                                solutions.masked_cross_entropy, params, contexts, ids,
                                n_steps=60, batch_size=6, lr=0.05, print_fn=None))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert runs[0][-10:].mean() < 0.5 * runs[0][:10].mean()


def test_fit_decoder_logs_compactly(capsys):
    contexts, ids = _data()
    params = random_decoder_params("gru", 3, 5, 6, rng=1)
    fit_decoder(solutions.decoder_forward_teacher_forcing_cache, solutions.decoder_backward_teacher_forcing,
                solutions.masked_cross_entropy, params, contexts, ids, n_steps=10, batch_size=4,
                log_every=5)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[-1].startswith("step   10/10  loss")


def test_fit_decoder_names_bad_targets():
    contexts, ids = _data()
    with pytest.raises(ValueError, match=r"target_ids: expected an int array \(N=12, T\)"):
        fit_decoder(None, None, None, {}, contexts, ids[:5], print_fn=None)
    with pytest.raises(ValueError, match="loss: expected a function, got dict"):
        fit_decoder(solutions.decoder_forward_teacher_forcing_cache,
                    solutions.decoder_backward_teacher_forcing, {}, {}, contexts, ids)


def test_fit_decoder_trains_on_the_loss_it_is_given():
    """tfcourse holds no loss of its own: a loss whose gradient is zero moves nothing."""
    contexts, ids = _data()
    params = random_decoder_params("gru", 3, 5, 6, rng=1)
    before = {k: v.copy() for k, v in params.items()}

    def flat(logits, target_ids, mask):
        return 1.5, np.zeros_like(logits)
    losses = fit_decoder(solutions.decoder_forward_teacher_forcing_cache,
                         solutions.decoder_backward_teacher_forcing, flat, params, contexts, ids,
                         n_steps=3, batch_size=4, print_fn=None)
    assert losses.tolist() == [1.5, 1.5, 1.5]
    assert all(np.array_equal(params[k], before[k]) for k in params)


def test_adam_updates_a_flat_dict_in_place_against_the_gradient():
    params = {"w": np.array([1.0, -1.0])}
    Adam(params, lr=0.1).step(params, {"w": np.array([2.0, -3.0])})
    np.testing.assert_allclose(params["w"], [0.9, -0.9])
