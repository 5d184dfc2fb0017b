"""Reference building blocks of earlier assignments: rnn_step, lstm_step, gru_step.

Released with 02_teacher_forcing after the deadlines of 01_recurrent_cells. Generated in
the course repository, for instructors, by `python -m autograder build` from
solutions/. Do not edit: rebuild instead.
"""


import numpy as np
from tfcourse.contract import check_step


__all__ = ['rnn_step', 'lstm_step', 'gru_step']


def sigmoid(a):
    """Logistic sigmoid, computed without overflow for any finite input."""
    return np.exp(-np.logaddexp(0.0, -a))


def rnn_step(x, h_prev, params):
    """Run one step of a tanh RNN: h_next = tanh(x @ W_x + h_prev @ W_h + b).

    x: (D,) or (B, D); h_prev: (H,) or (B, H); params: W_x (D, H), W_h (H, H), b (H,).
    Returns h_next, shaped like h_prev.
    """
    x, (h_prev,), params = check_step(x, {"h_prev": h_prev}, params, "rnn")
    return np.tanh(x @ params["W_x"] + params["b"] + h_prev @ params["W_h"])


def lstm_step(x, h_prev, c_prev, params):
    """Run one step of an LSTM (gate blocks i, f, g, o).

    x: (D,) or (B, D); h_prev, c_prev: (H,) or (B, H);
    params: W_x (D, 4H), W_h (H, 4H), b (4H,). Returns (h_next, c_next), shaped like h_prev.
    """
    x, (h_prev, c_prev), params = check_step(x, {"h_prev": h_prev, "c_prev": c_prev},
                                             params, "lstm")
    a = x @ params["W_x"] + params["b"] + h_prev @ params["W_h"]
    i, f, g, o = np.split(a, 4, axis=-1)
    c_next = sigmoid(f) * c_prev + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_next), c_next


def gru_step(x, h_prev, params):
    """Run one step of a GRU (gate blocks r, z, n), PyTorch's GRUCell.

    x: (D,) or (B, D); h_prev: (H,) or (B, H);
    params: W_x (D, 3H), W_h (H, 3H), b_x (3H,), b_h (3H,). Returns h_next, shaped like h_prev.
    The reset gate scales the hidden side's candidate term *after* W_hn and b_hn are
    applied, as PyTorch's GRUCell does (not before, as in Cho et al. 2014).
    """
    x, (h_prev,), params = check_step(x, {"h_prev": h_prev}, params, "gru")
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ params["W_h"] + params["b_h"], 3, axis=-1)
    r = sigmoid(x_r + h_r)
    z = sigmoid(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    return (1.0 - z) * n + z * h_prev
