# Mistake: feeds back the probability-weighted average embedding (softmax(logits) @ embedding) instead of the embedding of the argmax token.
import numpy as np
from given import gru_step, lstm_step, rnn_step

def decoder_forward_free_running(context_vector, decoder_params, seq_len, cell_type='rnn'):
    p = decoder_params
    h = np.asarray(context_vector, dtype=float)
    c = np.zeros_like(h)
    logits = np.empty((seq_len, p["W_y"].shape[1]))
    x = p["start"]
    for t in range(seq_len):
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, p)
        elif cell_type == "gru":
            h = gru_step(x, h, p)
        else:
            h = rnn_step(x, h, p)
        logits[t] = h @ p["W_y"] + p["b_y"]
        e = np.exp(logits[t] - logits[t].max())
        x = (e / e.sum()) @ p["embedding"]
    return logits
