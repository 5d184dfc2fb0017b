# Mistake: applies the sigmoid to all four blocks, the candidate g included (g should be tanh).
import numpy as np

def lstm_step(x, h_prev, c_prev, params):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    a = x @ params["W_x"] + h_prev @ params["W_h"] + params["b"]
    i, f, g, o = np.split(a, 4, axis=-1)
    c_next = sig(f) * c_prev + sig(i) * sig(g)
    h_next = sig(o) * np.tanh(c_next)
    return h_next, c_next
