# Mistake: the reset gate scales the whole candidate pre-activation: n = tanh(r * (xw_n + hw_n)).
import numpy as np

def gru_step(x, h_prev, params):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    x_r, x_z, x_n = np.split(x @ params["W_x"] + params["b_x"], 3, axis=-1)
    h_r, h_z, h_n = np.split(h_prev @ params["W_h"] + params["b_h"], 3, axis=-1)
    r = sig(x_r + h_r)
    z = sig(x_z + h_z)
    n = np.tanh(r * (x_n + h_n))
    return (1 - z) * n + z * h_prev
