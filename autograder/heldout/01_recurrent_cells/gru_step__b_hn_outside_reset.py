# Mistake: puts b_hn outside the reset gate: n = tanh(x W_xn + b_xn + r*(h W_hn) + b_hn).
import numpy as np

def gru_step(x, h_prev, params):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ params["W_h"] + params["b_h"], 3, axis=-1)
    H = h_prev.shape[-1]
    h_n = h_n - params["b_h"][2 * H:]
    r = sig(x_r + h_r)
    z = sig(x_z + h_z)
    n = np.tanh(x_n + r * h_n + params["b_h"][2 * H:])
    return (1 - z) * n + z * h_prev
