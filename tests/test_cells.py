"""The reference cells and decoders equal PyTorch's RNNCell (tanh), LSTMCell and GRUCell.

PyTorch is the independent implementation: its cells hold weight_ih (G*H, D), weight_hh
(G*H, H), bias_ih and bias_hh, and the contract maps them to W_x = weight_ih.T,
W_h = weight_hh.T, b = bias_ih + bias_hh (rnn, lstm), b_x = bias_ih, b_h = bias_hh (gru).
Everything runs in float64, so agreement is to rounding (atol 1e-12).
"""
import copy

import numpy as np
import pytest

from solutions import (decoder_forward_free_running, decoder_forward_teacher_forcing, gru_step,
                       lstm_step, rnn_step)
from tests.torch_reference import needs_torch, torch

pytestmark = needs_torch  # every test here compares with PyTorch

CELL_TYPES = ("rnn", "lstm", "gru")
SIZES = [(1, 1), (1, 4), (5, 1), (3, 2), (6, 5)]  # (D, H), H=1 and D=1 included
BATCHES = [None, 1, 4]  # None is a single row: x (D,), h (H,)
ATOL = 1e-12


def torch_cell(cell_type, D, H, seed):
    """A float64 PyTorch cell whose every weight and bias (bias_hh too) is random and nonzero."""
    make = {"rnn": lambda: torch.nn.RNNCell(D, H, nonlinearity="tanh"),
            "lstm": lambda: torch.nn.LSTMCell(D, H), "gru": lambda: torch.nn.GRUCell(D, H)}
    cell = make[cell_type]().double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for weight in cell.parameters():
            weight.copy_(torch.rand(weight.shape, generator=gen, dtype=torch.float64) * 2 - 1)
    assert torch.all(cell.bias_hh != 0) and torch.all(cell.bias_ih != 0)
    return cell


def contract_params(cell, cell_type):
    """The torch cell's weights in the contract's layout, as fresh numpy arrays."""
    def arr(t):
        return t.detach().numpy().copy()
    params = {"W_x": arr(cell.weight_ih.T), "W_h": arr(cell.weight_hh.T)}
    if cell_type == "gru":
        params.update(b_x=arr(cell.bias_ih), b_h=arr(cell.bias_hh))
    else:
        params["b"] = arr(cell.bias_ih + cell.bias_hh)
    return params


def our_step(cell_type, x, h, c, params):
    """One step of our cell; returns (h_next, c_next or None)."""
    if cell_type == "lstm":
        return lstm_step(x, h, c, params)
    step = rnn_step if cell_type == "rnn" else gru_step
    return step(x, h, params), None


def torch_step(cell, cell_type, x, h, c):
    """One step of the torch cell on numpy inputs; returns numpy (h_next, c_next or None)."""
    with torch.no_grad():
        x, h, c = (None if a is None else torch.from_numpy(a) for a in (x, h, c))
        if cell_type == "lstm":
            h_next, c_next = cell(x, (h, c))
            return h_next.numpy(), c_next.numpy()
        return cell(x, h).numpy(), None


def random_inputs(rng, D, H, batch):
    lead = () if batch is None else (batch,)
    return (rng.normal(size=lead + (D,)), rng.uniform(-1, 1, size=lead + (H,)),
            rng.normal(size=lead + (H,)))


@pytest.mark.parametrize("cell_type", CELL_TYPES)
@pytest.mark.parametrize("D,H", SIZES)
@pytest.mark.parametrize("batch", BATCHES)
def test_step_equals_torch_cell(cell_type, D, H, batch):
    cell = torch_cell(cell_type, D, H, seed=100 * D + H)
    params = contract_params(cell, cell_type)
    rng = np.random.default_rng([D, H, batch or 0])
    for _ in range(3):  # a few states, including saturated ones from large inputs
        x, h, c = random_inputs(rng, D, H, batch)
        ours_h, ours_c = our_step(cell_type, 3 * x, h, c, params)
        want_h, want_c = torch_step(cell, cell_type, 3 * x, h, c)
        assert ours_h.shape == want_h.shape == h.shape and ours_h.dtype == np.float64
        np.testing.assert_allclose(ours_h, want_h, rtol=0, atol=ATOL)
        if cell_type == "lstm":
            assert ours_c.shape == c.shape
            np.testing.assert_allclose(ours_c, want_c, rtol=0, atol=ATOL)


@pytest.mark.parametrize("cell_type", CELL_TYPES)
@pytest.mark.parametrize("D,H", SIZES)
def test_batched_step_equals_single_row_steps(cell_type, D, H):
    params = contract_params(torch_cell(cell_type, D, H, seed=D + 10 * H), cell_type)
    x, h, c = random_inputs(np.random.default_rng([D, H]), D, H, batch=5)
    batch_h, batch_c = our_step(cell_type, x, h, c, params)
    for row in range(5):
        row_h, row_c = our_step(cell_type, x[row], h[row], c[row], params)
        np.testing.assert_allclose(batch_h[row], row_h, rtol=0, atol=ATOL)
        if cell_type == "lstm":
            np.testing.assert_allclose(batch_c[row], row_c, rtol=0, atol=ATOL)


def decoder_case(cell_type, D, H, V, T, seed):
    """A torch cell, our decoder_params holding its weights, h0 and a target sequence."""
    cell = torch_cell(cell_type, D, H, seed)
    rng = np.random.default_rng(seed)
    params = contract_params(cell, cell_type)
    params.update(W_y=rng.normal(size=(H, V)), b_y=rng.normal(size=V),
                  embedding=rng.normal(size=(V, D)), start=rng.normal(size=D))
    h0 = rng.uniform(-1, 1, size=H)
    target_seq = params["embedding"][rng.integers(V, size=T)]
    return cell, params, h0, target_seq


def torch_decode(cell, cell_type, params, h0, inputs=None, seq_len=None):
    """PyTorch's decoder loop: teacher-forced on `inputs` rows, or greedy for seq_len steps.

    Returns (logits (T, V), the token ids argmax picked at each step) as numpy arrays.
    """
    W_y, b_y, embedding = (torch.from_numpy(params[k]) for k in ("W_y", "b_y", "embedding"))
    h = torch.from_numpy(h0)
    c = torch.zeros_like(h)
    x = torch.from_numpy(params["start"])
    n_steps = len(inputs) if inputs is not None else seq_len
    logits, tokens = [], []
    with torch.no_grad():
        for t in range(n_steps):
            if cell_type == "lstm":
                h, c = cell(x, (h, c))
            else:
                h = cell(x, h)
            logits.append(h @ W_y + b_y)
            tokens.append(int(torch.argmax(logits[-1])))
            if t + 1 < n_steps:
                x = torch.from_numpy(inputs[t + 1]) if inputs is not None else embedding[tokens[-1]]
    return torch.stack(logits).numpy(), np.array(tokens)


@pytest.mark.parametrize("cell_type", CELL_TYPES)
@pytest.mark.parametrize("D,H,V,T", [(1, 1, 2, 1), (3, 4, 5, 1), (1, 3, 4, 6), (4, 1, 3, 9),
                                     (5, 6, 7, 30)])
def test_teacher_forced_decoder_equals_torch_loop(cell_type, D, H, V, T):
    cell, params, h0, target_seq = decoder_case(cell_type, D, H, V, T, seed=D * H * V + T)
    inputs = np.vstack([params["start"], target_seq[:-1]])  # [start, target[:-1]]
    want, _ = torch_decode(cell, cell_type, params, h0, inputs=inputs)
    got = decoder_forward_teacher_forcing(h0, target_seq, params, cell_type)
    assert got.shape == (T, V) and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)


@pytest.mark.parametrize("cell_type", CELL_TYPES)
@pytest.mark.parametrize("D,H,V,T", [(1, 1, 2, 1), (3, 4, 5, 1), (1, 3, 4, 6), (4, 1, 3, 9),
                                     (5, 6, 7, 30)])
def test_free_running_decoder_equals_torch_greedy_loop(cell_type, D, H, V, T):
    cell, params, h0, _ = decoder_case(cell_type, D, H, V, T, seed=D * H * V + T + 1)
    want, want_tokens = torch_decode(cell, cell_type, params, h0, seq_len=T)
    got = decoder_forward_free_running(h0, params, T, cell_type)
    assert got.shape == (T, V) and got.dtype == np.float64
    np.testing.assert_array_equal(got.argmax(axis=1), want_tokens)
    np.testing.assert_allclose(got, want, rtol=0, atol=ATOL)


@pytest.mark.parametrize("cell_type", CELL_TYPES)
@pytest.mark.parametrize("batch", BATCHES)
def test_steps_do_not_modify_their_inputs(cell_type, batch):
    params = contract_params(torch_cell(cell_type, 3, 2, seed=1), cell_type)
    x, h, c = random_inputs(np.random.default_rng(1), 3, 2, batch)
    saved = copy.deepcopy((x, h, c, params))
    our_step(cell_type, x, h, c, params)
    for got, want in zip((x, h, c, *params.values()), (*saved[:3], *saved[3].values())):
        np.testing.assert_array_equal(got, want)
