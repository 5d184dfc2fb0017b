# Mistake (two slips): feeds target_seq[t] at step t AND returns softmax probabilities instead of logits.
import numpy as np
from given import gru_step, lstm_step, rnn_step

def decoder_forward_teacher_forcing(context_vector, target_seq, decoder_params, cell_type='rnn'):
    p = decoder_params
    h = np.asarray(context_vector, dtype=float)
    c = np.zeros_like(h)
    T = len(target_seq)
    out = []
    for t in range(T):
        x = target_seq[t]
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, p)
        elif cell_type == "gru":
            h = gru_step(x, h, p)
        else:
            h = rnn_step(x, h, p)
        out.append(h @ p["W_y"] + p["b_y"])
    out = np.array(out)
    e = np.exp(out - out.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
