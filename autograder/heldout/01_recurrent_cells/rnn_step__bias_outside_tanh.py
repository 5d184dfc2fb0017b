# Mistake: adds the bias after the activation: tanh(x W_x + h W_h) + b.
import numpy as np

def rnn_step(x, h_prev, params):
    return np.tanh(x @ params["W_x"] + h_prev @ params["W_h"]) + params["b"]
