# Mistake: CS231n's block order i, f, o, g instead of PyTorch's i, f, g, o.
import numpy as np

def lstm_step(x, h_prev, c_prev, params):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    a = x @ params["W_x"] + h_prev @ params["W_h"] + params["b"]
    i, f, o, g = np.split(a, 4, axis=-1)
    c_next = sig(f) * c_prev + sig(i) * np.tanh(g)
    h_next = sig(o) * np.tanh(c_next)
    return h_next, c_next
