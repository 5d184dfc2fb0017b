# Mistake: for the LSTM, keeps only the hidden state from lstm_step and throws away the new cell state, so c stays zeros at every step.
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
            h = lstm_step(x, h, c, p)[0]
        elif cell_type == "gru":
            h = gru_step(x, h, p)
        else:
            h = rnn_step(x, h, p)
        logits[t] = h @ p["W_y"] + p["b_y"]
        x = p["embedding"][np.argmax(logits[t])]
    return logits
