"""Properties of the reference decoders: how the three input rules relate, and the coins.

Equality with PyTorch's cells is in test_cells.py; here a small loop over the public step
functions, `reference_decode`, states the contract's input rule directly and the decoders
must agree with it.
"""
import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solutions import (decoder_forward_free_running, decoder_forward_scheduled_sampling,
                       decoder_forward_teacher_forcing, gru_step, lstm_step, rnn_step)
from tfcourse.params import random_decoder_params

CELL_TYPES = ("rnn", "lstm", "gru")
PROPERTY = settings(deadline=None, max_examples=25)


def close(a, b):
    """Equal up to the float reordering a hoisted input projection may cause."""
    return a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-12)


@st.composite
def cases(draw, max_T=8):
    """(cell_type, h0, target_seq, params, seed) for a small random decoder."""
    cell_type = draw(st.sampled_from(CELL_TYPES))
    D, H, V = (draw(st.integers(1, 4)) for _ in range(3))
    T = draw(st.integers(1, max_T))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    params = random_decoder_params(cell_type, D, H, V, rng=rng, scale=1.5)
    # Arbitrary target rows (not embedding rows) so a fed prediction never equals the truth.
    return cell_type, rng.uniform(-1, 1, H), rng.normal(size=(T, D)), params, seed


def reference_decode(h0, target_seq, params, cell_type, feed_prediction):
    """The contract's decoder, step by step: step t > 0 feeds the greedy token where
    feed_prediction[t] and target_seq[t-1] elsewhere; step 0 feeds start."""
    h, c, x, logits = h0, np.zeros_like(h0), params["start"], []
    for t in range(len(feed_prediction)):
        if t > 0:
            x = (params["embedding"][np.argmax(logits[-1])] if feed_prediction[t]
                 else target_seq[t - 1])
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, params)
        else:
            h = (rnn_step if cell_type == "rnn" else gru_step)(x, h, params)
        logits.append(h @ params["W_y"] + params["b_y"])
    return np.array(logits)


@PROPERTY
@given(cases(), st.integers(0, 2**32 - 1))
def test_sampling_prob_zero_is_teacher_forcing(case, coin_seed):
    cell_type, h0, target_seq, params, _ = case
    assert close(decoder_forward_scheduled_sampling(h0, target_seq, params, 0.0, cell_type,
                                                    coin_seed),
                 decoder_forward_teacher_forcing(h0, target_seq, params, cell_type))


@PROPERTY
@given(cases(), st.integers(0, 2**32 - 1))
def test_sampling_prob_one_is_free_running_bit_for_bit(case, coin_seed):
    # Exact, not close: one ulp of difference could flip an argmax between near-tied logits.
    cell_type, h0, target_seq, params, _ = case
    np.testing.assert_array_equal(
        decoder_forward_scheduled_sampling(h0, target_seq, params, 1.0, cell_type, coin_seed),
        decoder_forward_free_running(h0, params, len(target_seq), cell_type))


@PROPERTY
@given(cases(), st.floats(0, 1))
def test_same_seed_gives_same_logits_and_an_int_seed_equals_its_generator(case, p):
    cell_type, h0, target_seq, params, seed = case
    def run(rng):
        return decoder_forward_scheduled_sampling(h0, target_seq, params, p, cell_type, rng)
    first = run(seed)
    np.testing.assert_array_equal(first, run(seed))
    np.testing.assert_array_equal(first, run(np.random.default_rng(seed)))


@PROPERTY
@given(cases(), st.sampled_from([0.0, 0.3, 0.5, 1.0]))
def test_draws_exactly_one_random_per_step_after_the_first(case, p):
    cell_type, h0, target_seq, params, seed = case
    used = np.random.default_rng(seed)
    decoder_forward_scheduled_sampling(h0, target_seq, params, p, cell_type, used)
    expected = np.random.default_rng(seed)
    for _ in range(len(target_seq) - 1):
        expected.random()
    assert used.bit_generator.state == expected.bit_generator.state


@PROPERTY
@given(cases(max_T=10), st.floats(0, 1))
def test_the_coin_drawn_for_step_t_decides_the_input_of_step_t(case, p):
    cell_type, h0, target_seq, params, seed = case
    coins = np.random.default_rng(seed).random(len(target_seq) - 1)
    feed = np.concatenate([[False], coins < p])
    got = decoder_forward_scheduled_sampling(h0, target_seq, params, p, cell_type, seed)
    assert close(got, reference_decode(h0, target_seq, params, cell_type, feed))


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_a_known_mix_of_sampled_steps_is_followed_and_a_shifted_one_is_not(cell_type):
    # Seed 0's first five coins are 0.637, 0.270, 0.041, 0.017, 0.813: with p = 0.5 steps
    # 2, 3, 4 feed the model's token and steps 1, 5 the true one.
    coins = np.random.default_rng(0).random(5)
    np.testing.assert_allclose(coins, [0.637, 0.270, 0.041, 0.017, 0.813], atol=1e-3)
    feed = np.array([False, False, True, True, True, False])
    rng = np.random.default_rng(1)
    params = random_decoder_params(cell_type, 3, 4, 5, rng=rng, scale=1.5)
    h0, target_seq = rng.uniform(-1, 1, 4), rng.normal(size=(6, 3))
    got = decoder_forward_scheduled_sampling(h0, target_seq, params, 0.5, cell_type, 0)
    assert close(got, reference_decode(h0, target_seq, params, cell_type, feed))
    for wrong in (np.roll(feed, 1), np.roll(feed, -1), ~feed):  # coin used one step off
        assert not close(got, reference_decode(h0, target_seq, params, cell_type, wrong))


def all_decoders(h0, target_seq, params, cell_type):
    """Logits of the three decoders (scheduled sampling with a mixed p) on one case."""
    return [decoder_forward_teacher_forcing(h0, target_seq, params, cell_type),
            decoder_forward_free_running(h0, params, len(target_seq), cell_type),
            decoder_forward_scheduled_sampling(h0, target_seq, params, 0.5, cell_type, 3)]


@PROPERTY
@given(cases())
def test_no_input_is_modified(case):
    cell_type, h0, target_seq, params, _ = case
    saved = copy.deepcopy((h0, target_seq, params))
    rng = np.random.default_rng(5)
    decoder_forward_teacher_forcing(h0, target_seq, params, cell_type)
    decoder_forward_free_running(h0, params, len(target_seq), cell_type)
    decoder_forward_scheduled_sampling(h0, target_seq, params, 0.5, cell_type, rng)
    assert set(params) == set(saved[2])
    for got, want in zip((h0, target_seq, *params.values()),
                         (saved[0], saved[1], *(saved[2][k] for k in params))):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("cell_type", CELL_TYPES)
def test_argmax_ties_go_to_the_lowest_token_id(cell_type):
    # Tokens 1 and 2 tie exactly at every step (zero columns of W_y, equal large bias) and
    # beat tokens 0 and 3, whose logits still depend on h and so reveal what was fed.
    rng = np.random.default_rng(2)
    params = random_decoder_params(cell_type, 3, 4, 4, rng=rng)
    params["W_y"][:, 1:3] = 0.0
    params["W_y"] *= 0.1
    params["b_y"] = np.array([0.0, 5.0, 5.0, 0.0])
    h0, target_seq = rng.uniform(-1, 1, 4), rng.normal(size=(5, 3))
    feeds_token_2 = dict(params, embedding=params["embedding"][[0, 2, 2, 3]])
    free = decoder_forward_free_running(h0, params, 5, cell_type)
    sampled = decoder_forward_scheduled_sampling(h0, target_seq, params, 1.0, cell_type, 0)
    for got in (free, sampled):
        np.testing.assert_array_equal(got.argmax(axis=1), 1)
        assert close(got, reference_decode(h0, target_seq, params, cell_type, [0, 1, 1, 1, 1]))
        assert not close(got, reference_decode(h0, target_seq, feeds_token_2, cell_type,
                                               [0, 1, 1, 1, 1]))


@PROPERTY
@given(cases(max_T=1))
def test_one_step_feeds_only_start_and_draws_no_coin(case):
    cell_type, h0, target_seq, params, seed = case
    rng = np.random.default_rng(seed)
    state = copy.deepcopy(rng.bit_generator.state)
    outputs = all_decoders(h0, target_seq, params, cell_type)
    outputs.append(decoder_forward_scheduled_sampling(h0, target_seq, params, 1.0, cell_type, rng))
    assert rng.bit_generator.state == state
    want = reference_decode(h0, target_seq, params, cell_type, [False])
    for got in outputs:
        assert got.shape == (1, len(params["b_y"])) and close(got, want)


@PROPERTY
@given(cases(), st.floats(0.5, 20) | st.floats(-20, -0.5))
def test_outputs_are_float64_logits_of_shape_T_by_V_not_probabilities(case, shift):
    # Logits move exactly with b_y; probabilities (softmax) would not move at all.
    cell_type, h0, target_seq, params, _ = case
    T, V = len(target_seq), len(params["b_y"])
    shifted = dict(params, b_y=params["b_y"] + shift)
    for got, moved in zip(all_decoders(h0, target_seq, params, cell_type),
                          all_decoders(h0, target_seq, shifted, cell_type)):
        assert got.shape == (T, V) and got.dtype == np.float64
        assert np.allclose(moved - got, shift, rtol=0, atol=1e-9)
