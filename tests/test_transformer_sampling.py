"""Two-pass scheduled sampling (Mihaylova & Martins 2019): the mixing rule, its draws, its ends."""
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions import shift_right, transformer_decoder_forward, transformer_scheduled_sampling_two_pass
from solutions.transformer_sampling import scheduled_sampling_inputs
from tfcourse.transformer_params import random_transformer_params

PROPERTY = settings(deadline=None, max_examples=25)
V = 9


def params(seed=0):
    return random_transformer_params(V, 6, 4, 4, rng=seed, scale=2.0)


def gold(seed, shape=(7,)):
    labels = np.random.default_rng(seed).integers(0, V, size=shape)
    return shift_right(labels, 1, 0)


def message(text):
    return "^" + re.escape(text) + "$"


@PROPERTY
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.sampled_from(["greedy", "sample"]))
def test_sampling_prob_zero_is_teacher_forcing_exactly(seed, coin_seed, predictions):
    p, ids = params(seed), gold(seed)
    out = transformer_scheduled_sampling_two_pass(ids, p, 0.0, coin_seed, predictions)
    assert np.array_equal(out, transformer_decoder_forward(ids, p))


@PROPERTY
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_sampling_prob_one_feeds_every_first_pass_prediction(seed, coin_seed):
    p, ids = params(seed), gold(seed)
    first = transformer_decoder_forward(ids, p)
    fed = np.concatenate([ids[:1], first.argmax(-1)[:-1]])
    assert np.array_equal(scheduled_sampling_inputs(ids, first, 1.0, coin_seed), fed)
    out = transformer_scheduled_sampling_two_pass(ids, p, 1.0, coin_seed)
    assert np.array_equal(out, transformer_decoder_forward(fed, p))


@pytest.mark.parametrize("shape", [(8,), (3, 8)])
def test_greedy_mixing_follows_one_coin_per_position_after_the_first(shape):
    p, ids = params(1), gold(1, shape)
    first = transformer_decoder_forward(ids, p)
    rng = np.random.default_rng(42)
    mixed = scheduled_sampling_inputs(ids, first, 0.5, rng)
    reference = np.random.default_rng(42)
    coins = reference.random(shape[:-1] + (shape[-1] - 1,)) < 0.5
    expected = ids.copy()
    expected[..., 1:] = np.where(coins, first.argmax(-1)[..., :-1], ids[..., 1:])
    assert np.array_equal(mixed, expected)
    assert np.array_equal(mixed[..., 0], ids[..., 0])  # the start token is never replaced
    assert rng.random() == reference.random()  # no other draws were made


def test_sampled_predictions_draw_after_the_coins_by_the_cumulative_probabilities():
    T = 6
    ids = np.zeros(T, dtype=int)
    first = np.log(np.tile([0.1, 0.2, 0.3, 0.4], (T, 1)))  # probabilities 0.1 .. 0.4
    rng = np.random.default_rng(7)
    mixed = scheduled_sampling_inputs(ids, first, 1.0, rng, "sample")
    reference = np.random.default_rng(7)
    reference.random(T - 1)  # the coins
    r = reference.random(T - 1)
    expected = np.searchsorted(np.cumsum([0.1, 0.2, 0.3, 0.4]), r, side="right")
    assert mixed[1:].tolist() == expected.tolist()
    assert rng.random() == reference.random()


def test_sampled_predictions_follow_the_softmax_of_the_first_pass():
    T = 4001
    probs = np.array([0.5, 0.3, 0.2, 0.0])
    with np.errstate(divide="ignore"):
        first = np.tile(np.log(probs), (T, 1))
    first[np.isinf(first)] = -1e300  # finite but with probability 0
    mixed = scheduled_sampling_inputs(np.zeros(T, dtype=int), first, 1.0, 3, "sample")
    freq = np.bincount(mixed[1:], minlength=4) / (T - 1)
    assert freq[3] == 0.0
    np.testing.assert_allclose(freq, probs, atol=0.03)


def test_the_second_pass_runs_on_the_mixed_inputs():
    p, ids = params(2), gold(2)
    mixed = scheduled_sampling_inputs(ids, transformer_decoder_forward(ids, p), 0.5, 11)
    out = transformer_scheduled_sampling_two_pass(ids, p, 0.5, 11)
    assert np.array_equal(out, transformer_decoder_forward(mixed, p))


def test_one_position_needs_no_draws():
    p, rng = params(), np.random.default_rng(0)
    out = transformer_scheduled_sampling_two_pass(np.array([1]), p, 0.7, rng)
    assert out.shape == (1, V) and rng.random() == np.random.default_rng(0).random()


@pytest.mark.parametrize("kwargs, text", [
    (dict(sampling_prob=1.5), "sampling_prob: expected a number in [0.0, 1.0], got float 1.5"),
    (dict(sampling_prob=np.nan), "sampling_prob: expected a finite real number, got float nan"),
    (dict(predictions="beam"), "predictions: expected one of 'greedy', 'sample', got 'beam'"),
    (dict(rng=-3), "rng: expected a numpy.random.Generator, a non-negative int seed or None, "
                   "got int -3"),
    (dict(input_ids=np.array([1, 9])), "input_ids: expected token ids in [0, V=9), got 9"),
])
def test_two_pass_rejects_bad_input_naming_the_argument(kwargs, text):
    args = dict(input_ids=np.array([1, 2, 3]), params=params(), sampling_prob=0.5, rng=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message(text)):
        transformer_scheduled_sampling_two_pass(**args)


def test_mixing_rejects_logits_that_do_not_fit_the_inputs():
    with pytest.raises(ValueError, match=message(
            "first_pass_logits: expected shape (T=3, V), got (2, 9)")):
        scheduled_sampling_inputs(np.array([1, 2, 3]), np.zeros((2, V)), 0.5, 0)
    with pytest.raises(ValueError, match=message("input_ids: expected token ids in [0, V=2), got 3")):
        scheduled_sampling_inputs(np.array([1, 2, 3]), np.zeros((3, 2)), 0.5, 0)
