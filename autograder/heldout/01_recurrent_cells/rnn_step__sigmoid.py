# Mistake: uses the logistic sigmoid instead of tanh as the activation.
import numpy as np

def rnn_step(x, h_prev, params):
    return 1 / (1 + np.exp(-(x @ params["W_x"] + h_prev @ params["W_h"] + params["b"])))
