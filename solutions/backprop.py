"""Reference forward/backward pairs for one step of an RNN, LSTM or GRU cell.

D is the input size, H the hidden size, B an optional batch size: x is (D,) or (B, D),
the states (H,) or (B, H), as for the plain steps of notebook 01 (solutions/cells.py).
The cells are written again here, as functions of their input projection that also return
the gates: notebook 05 asks for exactly that, and its `given.py` holds notebook 01's steps,
so those may not share a helper with this module (autograder/README.md). Every sequence
function of solutions/seq2seq.py runs these cells (tests/test_backprop.py proves they equal
the plain steps).

Each `*_step_forward` returns what the plain step returns plus a cache (a NamedTuple of
tfcourse.caches); each `*_step_backward` takes the gradient of the loss with respect to the
step's outputs and the cache, and returns the gradients with respect to the forward's
arguments, in their order: dx, dh_prev, (dc_prev,) and dparams, a dict with one
gradient per parameter key, shaped like the parameter.

Every backward is split in two, so that a sequence can hoist the matrix products out
of its time loop (as the teacher-forced forward hoists x @ W_x):
  * `cell_backward` goes from the gradient of the new state to the gradients of the two
    pre-activations, dxw of xw = x @ W_x + b(_x) and dhw of hw = h_prev @ W_h (+ b_h);
  * `projection_backward` turns dxw and dhw into dx, dh_prev and the parameter gradients.
Both accept any number of leading axes ((B,), (B, T), or none).
"""
from typing import NamedTuple

import numpy as np

from tfcourse.caches import GRUCache, LSTMCache, RNNCache
from tfcourse.contract import check_step
from tfcourse.validate import as_float_array


def logistic(a):
    """Logistic sigmoid, computed without overflow for any finite input."""
    return np.exp(-np.logaddexp(0.0, -a))


def input_projection(x, params, cell_type):
    """Project inputs onto the gate pre-activations: x @ W_x plus the input-side bias.

    x: (..., D). Returns (..., G*H). Rows are independent, so any number of inputs
    (one step, a batch, or all T steps of a sequence) is one matrix product.
    """
    bias = params["b_x"] if cell_type == "gru" else params["b"]
    return x @ params["W_x"] + bias


def rnn_cell(xw, h_prev, params):
    """Advance a tanh RNN one step from its input projection xw (..., H); return h_next."""
    return np.tanh(xw + h_prev @ params["W_h"])


class LSTMGates(NamedTuple):
    """An LSTM step's activated gates, each (..., H): input i, forget f, candidate g, output o."""
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray


def lstm_cell_gates(xw, h_prev, c_prev, params):
    """Advance an LSTM one step from xw (..., 4H); return (h_next, c_next, LSTMGates)."""
    a = xw + h_prev @ params["W_h"]
    i, f, g, o = np.split(a, 4, axis=-1)
    gates = LSTMGates(logistic(i), logistic(f), np.tanh(g), logistic(o))
    c_next = gates.f * c_prev + gates.i * gates.g
    h_next = gates.o * np.tanh(c_next)
    return h_next, c_next, gates


class GRUGates(NamedTuple):
    """A GRU step's gates, each (..., H): reset r, update z, candidate n, and
    h_n = h_prev @ W_hn + b_hn, the hidden-side term that r scales."""
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    h_n: np.ndarray


def gru_cell_gates(xw, h_prev, params):
    """Advance a GRU one step from xw (..., 3H); return (h_next, GRUGates).

    The reset gate scales h_prev @ W_hn + b_hn, after the product, as PyTorch's GRUCell does.
    """
    hw = h_prev @ params["W_h"] + params["b_h"]
    x_r, x_z, x_n = np.split(xw, 3, axis=-1)
    h_r, h_z, h_n = np.split(hw, 3, axis=-1)
    r = logistic(x_r + h_r)
    z = logistic(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1.0 - z) * n + z * h_prev, GRUGates(r, z, n, h_n)


def cell_forward(xw, x, state, params, cell_type):
    """Advance any cell one step from its input projection xw, keeping the cache.

    x is the input whose projection xw is (kept for dW_x); state is h_prev, or
    (h_prev, c_prev) for the LSTM. Returns (h_next, state_next, cache).
    """
    if cell_type == "rnn":
        h_next = rnn_cell(xw, state, params)
        return h_next, h_next, RNNCache(x, state, h_next, params)
    if cell_type == "lstm":
        h_prev, c_prev = state
        h_next, c_next, gates = lstm_cell_gates(xw, h_prev, c_prev, params)
        return h_next, (h_next, c_next), LSTMCache(x, h_prev, c_prev, *gates, c_next, params)
    h_next, gates = gru_cell_gates(xw, state, params)
    return h_next, h_next, GRUCache(x, state, *gates, params)


def cell_backward(dh_next, dc_next, cache):
    """Backpropagate one cell from its new state to its two pre-activations.

    dh_next (..., H) and, for the LSTM, dc_next (..., H) (None elsewhere) are the loss's
    gradients with respect to the step's outputs. Returns (dxw, dhw, dh_direct, dc_prev):
    dxw and dhw (..., G*H) for xw and hw; dh_direct, the part of dh_prev that bypasses
    W_h (the GRU's z * h_prev term; zero for the others); dc_prev (None unless LSTM).
    """
    if isinstance(cache, RNNCache):
        da = dh_next * (1.0 - cache.h_next ** 2)
        return da, da, 0.0, None
    if isinstance(cache, LSTMCache):
        tanh_c = np.tanh(cache.c_next)
        dc = dc_next + dh_next * cache.o * (1.0 - tanh_c ** 2)
        da = np.concatenate([dc * cache.g * cache.i * (1.0 - cache.i),
                             dc * cache.c_prev * cache.f * (1.0 - cache.f),
                             dc * cache.i * (1.0 - cache.g ** 2),
                             dh_next * tanh_c * cache.o * (1.0 - cache.o)], axis=-1)
        return da, da, 0.0, dc * cache.f
    dn = dh_next * (1.0 - cache.z) * (1.0 - cache.n ** 2)       # through tanh
    dr = dn * cache.h_n * cache.r * (1.0 - cache.r)               # through sigmoid
    dz = dh_next * (cache.h_prev - cache.n) * cache.z * (1.0 - cache.z)
    dxw = np.concatenate([dr, dz, dn], axis=-1)
    dhw = np.concatenate([dr, dz, dn * cache.r], axis=-1)
    return dxw, dhw, dh_next * cache.z, None


def outer_sum(a, b):
    """Sum of outer products a_k^T b_k over all leading axes: a (..., M), b (..., N) -> (M, N)."""
    return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])


def projection_backward(x, h_prev, dxw, dhw, params, cell_type):
    """Backpropagate xw = x @ W_x + b(_x) and hw = h_prev @ W_h (+ b_h).

    x (..., D), h_prev (..., H), dxw and dhw (..., G*H). Returns (dx, dh_prev, dparams),
    dh_prev being the part that flows through W_h.
    """
    return dxw @ params["W_x"].T, dhw @ params["W_h"].T, param_grads(x, h_prev, dxw, dhw, cell_type)


def param_grads(x, h_prev, dxw, dhw, cell_type):
    """The cell parameters' gradients from the pre-activations' (shapes as projection_backward)."""
    dparams = {"W_x": outer_sum(x, dxw), "W_h": outer_sum(h_prev, dhw)}
    if cell_type == "gru":
        dparams["b_x"] = dxw.reshape(-1, dxw.shape[-1]).sum(axis=0)
        dparams["b_h"] = dhw.reshape(-1, dhw.shape[-1]).sum(axis=0)
    else:  # one bias b sits inside xw; hw has none (dhw is dxw for these cells)
        dparams["b"] = dxw.reshape(-1, dxw.shape[-1]).sum(axis=0)
    return dparams


def step_backward(dh_next, dc_next, cache, cell_type):
    """Backpropagate one step of any cell; return (dx, dh_prev, dc_prev, dparams)."""
    dxw, dhw, dh_direct, dc_prev = cell_backward(dh_next, dc_next, cache)
    dx, dh_prev, dparams = projection_backward(cache.x, cache.h_prev, dxw, dhw, cache.params,
                                               cell_type)
    return dx, dh_prev + dh_direct, dc_prev, dparams


def _check_grad(name, value, like):
    """Return the gradient `value` as a float array shaped like the state `like`."""
    letters = ("B", "H")[-like.ndim:]
    return as_float_array(name, value, tuple(zip(letters, like.shape)))


def _check_cache(cache, kind):
    if not isinstance(cache, kind):
        raise ValueError(f"cache: expected the {kind.__name__} a matching *_step_forward returned, "
                         f"got {type(cache).__name__}")


def rnn_step_forward(x, h_prev, params):
    """Run one tanh RNN step and keep what its backward needs.

    x: (D,) or (B, D); h_prev: (H,) or (B, H); params: W_x (D, H), W_h (H, H), b (H,).
    Returns (h_next, cache): h_next shaped like h_prev, cache an RNNCache.
    """
    x, (h_prev,), params = check_step(x, {"h_prev": h_prev}, params, "rnn")
    h_next, _, cache = cell_forward(input_projection(x, params, "rnn"), x, h_prev, params, "rnn")
    return h_next, cache


def rnn_step_backward(dh_next, cache):
    """Backpropagate one tanh RNN step.

    dh_next: (H,) or (B, H), the loss's gradient with respect to h_next; cache: the RNNCache
    of rnn_step_forward. Returns (dx, dh_prev, dparams): dx like x, dh_prev like h_prev,
    dparams {'W_x', 'W_h', 'b'} shaped like the parameters.
    """
    _check_cache(cache, RNNCache)
    dh_next = _check_grad("dh_next", dh_next, cache.h_prev)
    dx, dh_prev, _, dparams = step_backward(dh_next, None, cache, "rnn")
    return dx, dh_prev, dparams


def lstm_step_forward(x, h_prev, c_prev, params):
    """Run one LSTM step (gates i, f, g, o) and keep what its backward needs.

    x: (D,) or (B, D); h_prev, c_prev: (H,) or (B, H); params: W_x (D, 4H), W_h (H, 4H),
    b (4H,). Returns (h_next, c_next, cache): states shaped like h_prev, cache an LSTMCache.
    """
    x, (h_prev, c_prev), params = check_step(x, {"h_prev": h_prev, "c_prev": c_prev},
                                              params, "lstm")
    _, (h_next, c_next), cache = cell_forward(input_projection(x, params, "lstm"), x,
                                              (h_prev, c_prev), params, "lstm")
    return h_next, c_next, cache


def lstm_step_backward(dh_next, dc_next, cache):
    """Backpropagate one LSTM step.

    dh_next, dc_next: (H,) or (B, H), the loss's gradients with respect to h_next and c_next;
    cache: the LSTMCache of lstm_step_forward. Returns (dx, dh_prev, dc_prev, dparams):
    dx like x, dh_prev and dc_prev like h_prev, dparams {'W_x', 'W_h', 'b'}.
    """
    _check_cache(cache, LSTMCache)
    dh_next = _check_grad("dh_next", dh_next, cache.h_prev)
    dc_next = _check_grad("dc_next", dc_next, cache.h_prev)
    return step_backward(dh_next, dc_next, cache, "lstm")


def gru_step_forward(x, h_prev, params):
    """Run one GRU step (gates r, z, n) and keep what its backward needs.

    x: (D,) or (B, D); h_prev: (H,) or (B, H); params: W_x (D, 3H), W_h (H, 3H),
    b_x (3H,), b_h (3H,). Returns (h_next, cache): h_next like h_prev, cache a GRUCache.
    """
    x, (h_prev,), params = check_step(x, {"h_prev": h_prev}, params, "gru")
    h_next, _, cache = cell_forward(input_projection(x, params, "gru"), x, h_prev, params, "gru")
    return h_next, cache


def gru_step_backward(dh_next, cache):
    """Backpropagate one GRU step.

    dh_next: (H,) or (B, H), the loss's gradient with respect to h_next; cache: the GRUCache
    of gru_step_forward. Returns (dx, dh_prev, dparams): dx like x, dh_prev like h_prev,
    dparams {'W_x', 'W_h', 'b_x', 'b_h'} shaped like the parameters.
    """
    _check_cache(cache, GRUCache)
    dh_next = _check_grad("dh_next", dh_next, cache.h_prev)
    dx, dh_prev, _, dparams = step_backward(dh_next, None, cache, "gru")
    return dx, dh_prev, dparams


STEP_FORWARD = {"rnn": rnn_step_forward, "lstm": lstm_step_forward, "gru": gru_step_forward}
STEP_BACKWARD = {"rnn": rnn_step_backward, "lstm": lstm_step_backward, "gru": gru_step_backward}

