# Mistake: returns (c_next, h_next) instead of (h_next, c_next).
import numpy as np

def lstm_step(x, h_prev, c_prev, params):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    a = x @ params["W_x"] + h_prev @ params["W_h"] + params["b"]
    i, f, g, o = np.split(a, 4, axis=-1)
    c_next = sig(f) * c_prev + sig(i) * np.tanh(g)
    h_next = sig(o) * np.tanh(c_next)
    return c_next, h_next
