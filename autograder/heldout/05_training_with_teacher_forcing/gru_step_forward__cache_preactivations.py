# Mistake: h_next is right, but the cache stores the gates' PRE-activations (before sigmoid/tanh) as r, z, n.
import numpy as np
from tfcourse.caches import GRUCache

def gru_step_forward(x, h_prev, params):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ params["W_h"] + params["b_h"], 3, axis=-1)
    r_pre = x_r + h_r
    z_pre = x_z + h_z
    r, z = sig(r_pre), sig(z_pre)
    n_pre = x_n + r * h_n
    n = np.tanh(n_pre)
    h_next = (1 - z) * n + z * h_prev
    return h_next, GRUCache(x=x, h_prev=h_prev, r=r_pre, z=z_pre, n=n_pre, h_n=h_n, params=params)
