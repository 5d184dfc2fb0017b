"""Reference recurrent cells: one step of an RNN, LSTM or GRU, PyTorch's equations.

D is the input size, H the hidden size, B an optional batch size. Every step takes
row vectors (`x @ W_x`): x is (D,) or (B, D), the states (H,) or (B, H). Gate blocks
sit side by side along the last axis of W_x (D, G*H) and W_h (H, G*H):
G = 1 for rnn, 4 for lstm (i, f, g, o), 3 for gru (r, z, n).

Each cell is written once, as a function of its input projection `xw = x @ W_x + b`
(b_x for the GRU). The public steps compute xw for one input; the teacher-forced
decoder computes it for all its known inputs in one matrix product and calls the same
code (scripts/bench_teacher_forcing.py prints what that saves).
"""
from typing import NamedTuple

import numpy as np

from tfcourse.validate import GATES, _describe, as_float_array, check_cell_type, check_params


def sigmoid(a):
    """Logistic sigmoid, computed without overflow for any finite input."""
    return np.exp(-np.logaddexp(0.0, -a))


def cell_param_shapes(cell_type, D, H):
    """Return the shape spec of each parameter `cell_type` needs (key -> shape)."""
    G = GATES[check_cell_type(cell_type)]
    shapes = {"W_x": (("D", D), ("G*H", G * H)), "W_h": (("H", H), ("G*H", G * H))}
    if cell_type == "gru":
        shapes.update(b_x=(("3H", 3 * H),), b_h=(("3H", 3 * H),))
    else:
        shapes["b"] = (("G*H", G * H),)
    return shapes


def check_cell_params(name, params, cell_type, D=None, H=None):
    """Validate the parameters of a `cell_type` cell; return them as float64 arrays.

    D and H are taken from W_x and W_h when not given.
    """
    G = GATES[check_cell_type(cell_type)]
    probe = check_params(name, params, {"W_x": (("D", D), ("G*H", None)),
                                        "W_h": (("H", H), ("G*H", None))})
    D = probe["W_x"].shape[0]
    H = probe["W_h"].shape[0]
    if probe["W_h"].shape[1] != G * H:
        raise ValueError(f"{name}['W_h']: expected shape (H={H}, G*H={G * H}) for a {cell_type} "
                         f"cell (G={G}), got {probe['W_h'].shape}")
    return check_params(name, params, cell_param_shapes(cell_type, D, H))


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
    """Advance an LSTM one step from xw (..., 4H); return (h_next, c_next, LSTMGates).

    The gates are what backpropagation needs; lstm_cell is this without them.
    """
    a = xw + h_prev @ params["W_h"]
    i, f, g, o = np.split(a, 4, axis=-1)
    gates = LSTMGates(sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o))
    c_next = gates.f * c_prev + gates.i * gates.g
    h_next = gates.o * np.tanh(c_next)
    return h_next, c_next, gates


def lstm_cell(xw, h_prev, c_prev, params):
    """Advance an LSTM one step from its input projection xw (..., 4H); return (h_next, c_next)."""
    h_next, c_next, _ = lstm_cell_gates(xw, h_prev, c_prev, params)
    return h_next, c_next


def gru_cell(xw, h_prev, params):
    """Advance a GRU one step from its input projection xw (..., 3H); return h_next.

    The reset gate scales the hidden side's candidate term *after* W_hn and b_hn are
    applied, as PyTorch's GRUCell does (not before, as in Cho et al. 2014).
    """
    return gru_cell_gates(xw, h_prev, params)[0]


class GRUGates(NamedTuple):
    """A GRU step's gates, each (..., H): reset r, update z, candidate n, and
    h_n = h_prev @ W_hn + b_hn, the hidden-side term that r scales."""
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    h_n: np.ndarray


def gru_cell_gates(xw, h_prev, params):
    """Advance a GRU one step from xw (..., 3H); return (h_next, GRUGates).

    The gates are what backpropagation needs; gru_cell is this without them.
    """
    hw = h_prev @ params["W_h"] + params["b_h"]
    x_r, x_z, x_n = np.split(xw, 3, axis=-1)
    h_r, h_z, h_n = np.split(hw, 3, axis=-1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1.0 - z) * n + z * h_prev, GRUGates(r, z, n, h_n)


def _check_step(x, states, params, cell_type):
    """Validate one step's input, states and parameters; return them as float64 arrays."""
    params = check_cell_params("params", params, cell_type)
    D, H = params["W_x"].shape[0], params["W_h"].shape[0]
    try:
        ndim = np.ndim(x)
    except ValueError:  # ragged nested lists
        raise ValueError(f"x: expected a real-valued array of shape (D={D},) or (B, D={D}), "
                         f"got {_describe(x)}") from None
    if ndim not in (1, 2):
        raise ValueError(f"x: expected shape (D={D},) or (B, D={D}), got {np.shape(x)}")
    batch = (("B", None),) if ndim == 2 else ()
    x = as_float_array("x", x, batch + (("D", D),))
    B = (("B", x.shape[0]),) if batch else ()
    states = [as_float_array(name, value, B + (("H", H),)) for name, value in states.items()]
    return x, states, params


def rnn_step(x, h_prev, params):
    """Run one step of a tanh RNN: h_next = tanh(x @ W_x + h_prev @ W_h + b).

    x: (D,) or (B, D); h_prev: (H,) or (B, H); params: W_x (D, H), W_h (H, H), b (H,).
    Returns h_next, shaped like h_prev.
    """
    x, (h_prev,), params = _check_step(x, {"h_prev": h_prev}, params, "rnn")
    return rnn_cell(input_projection(x, params, "rnn"), h_prev, params)


def lstm_step(x, h_prev, c_prev, params):
    """Run one step of an LSTM (gate blocks i, f, g, o).

    x: (D,) or (B, D); h_prev, c_prev: (H,) or (B, H);
    params: W_x (D, 4H), W_h (H, 4H), b (4H,). Returns (h_next, c_next), shaped like h_prev.
    """
    x, (h_prev, c_prev), params = _check_step(x, {"h_prev": h_prev, "c_prev": c_prev},
                                              params, "lstm")
    return lstm_cell(input_projection(x, params, "lstm"), h_prev, c_prev, params)


def gru_step(x, h_prev, params):
    """Run one step of a GRU (gate blocks r, z, n), PyTorch's GRUCell.

    x: (D,) or (B, D); h_prev: (H,) or (B, H);
    params: W_x (D, 3H), W_h (H, 3H), b_x (3H,), b_h (3H,). Returns h_next, shaped like h_prev.
    """
    x, (h_prev,), params = _check_step(x, {"h_prev": h_prev}, params, "gru")
    return gru_cell(input_projection(x, params, "gru"), h_prev, params)


def initial_state(h0, cell_type):
    """The recurrent state a decoder starts from: h0, or (h0, zeros) for an LSTM."""
    return (h0, np.zeros_like(h0)) if cell_type == "lstm" else h0


def advance(xw, state, params, cell_type):
    """Advance any cell one step from its input projection; return (h_next, state_next)."""
    if cell_type == "lstm":
        state = lstm_cell(xw, *state, params)
        return state[0], state
    cell = rnn_cell if cell_type == "rnn" else gru_cell
    h_next = cell(xw, state, params)
    return h_next, h_next
