# Mistake: only distinguishes 'lstm'; every other cell_type ('gru' too) runs rnn_step.
import numpy as np
from given import gru_step, lstm_step, rnn_step

def decoder_forward_teacher_forcing(context_vector, target_seq, decoder_params, cell_type='rnn'):
    p = decoder_params
    h = np.asarray(context_vector, dtype=float)
    c = np.zeros_like(h)
    T = len(target_seq)
    out = []
    x = p["start"]
    for t in range(T):
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, p)
        else:
            h = rnn_step(x, h, p)
        out.append(h @ p["W_y"] + p["b_y"])
        x = target_seq[t]
    return np.array(out)
