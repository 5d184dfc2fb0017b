# Mistake: column-vector habit: W_x.T @ x + W_h.T @ h_prev (right for one example, breaks for a batch).
import numpy as np

def rnn_step(x, h_prev, params):
    return np.tanh(params["W_x"].T @ x + params["W_h"].T @ h_prev + params["b"])
