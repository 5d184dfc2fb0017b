# Mistake: h_next right, but the cached h_n is recomputed as h_prev @ W_hn without b_hn (the docstring's h_n = h_prev @ W_hn + b_hn misread).
import numpy as np
from tfcourse.caches import GRUCache

def gru_step_forward(x, h_prev, params):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    H = h_prev.shape[-1]
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ params["W_h"] + params["b_h"], 3, axis=-1)
    r = sig(x_r + h_r)
    z = sig(x_z + h_z)
    n = np.tanh(x_n + r * h_n)
    h_next = (1 - z) * n + z * h_prev
    return h_next, GRUCache(x=x, h_prev=h_prev, r=r, z=z, n=n, h_n=h_prev @ params["W_h"][:, 2 * H:], params=params)
