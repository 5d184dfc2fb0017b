# Mistake: feeds the model's own previous prediction (embedding[argmax]) instead of the true previous token.
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
        elif cell_type == "gru":
            h = gru_step(x, h, p)
        else:
            h = rnn_step(x, h, p)
        out.append(h @ p["W_y"] + p["b_y"])
        x = p["embedding"][np.argmax(out[-1])]
    return np.array(out)
