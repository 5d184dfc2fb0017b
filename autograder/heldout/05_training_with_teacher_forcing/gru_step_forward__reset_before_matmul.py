# Mistake: Cho et al.'s variant: applies the reset gate to h_prev BEFORE W_hn (n = tanh(xw_n + (r*h_prev) @ W_hn + b_hn)) instead of scaling h_prev @ W_hn + b_hn.
import numpy as np
from tfcourse.caches import GRUCache

def gru_step_forward(x, h_prev, params):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    H = h_prev.shape[-1]
    W_h, b_h = params["W_h"], params["b_h"]
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ W_h + b_h, 3, axis=-1)
    r = sig(x_r + h_r)
    z = sig(x_z + h_z)
    n = np.tanh(x_n + (r * h_prev) @ W_h[:, 2 * H:] + b_h[2 * H:])
    h_next = (1 - z) * n + z * h_prev
    return h_next, GRUCache(x=x, h_prev=h_prev, r=r, z=z, n=n, h_n=h_n, params=params)
