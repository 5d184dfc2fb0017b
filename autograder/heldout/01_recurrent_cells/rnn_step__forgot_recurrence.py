# Mistake: forgets the recurrent term: h_next = tanh(x W_x + b), h_prev unused.
import numpy as np

def rnn_step(x, h_prev, params):
    return np.tanh(x @ params["W_x"] + params["b"])
