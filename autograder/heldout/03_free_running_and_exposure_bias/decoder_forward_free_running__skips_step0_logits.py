# Mistake: treats step 0 (fed start) as a warm-up: its logits only choose the first fed token and are not returned; returns the logits of steps 1..seq_len (one step too far, shifted by one).
import numpy as np
from given import gru_step, lstm_step, rnn_step

def _step(x, h, c, p, cell_type):
    if cell_type == "lstm":
        return lstm_step(x, h, c, p)
    if cell_type == "gru":
        return gru_step(x, h, p), c
    return rnn_step(x, h, p), c

def decoder_forward_free_running(context_vector, decoder_params, seq_len, cell_type='rnn'):
    p = decoder_params
    h = np.asarray(context_vector, dtype=float)
    c = np.zeros_like(h)
    h, c = _step(p["start"], h, c, p, cell_type)
    prev = h @ p["W_y"] + p["b_y"]
    out = []
    for t in range(seq_len):
        x = p["embedding"][np.argmax(prev)]
        h, c = _step(x, h, c, p, cell_type)
        prev = h @ p["W_y"] + p["b_y"]
        out.append(prev)
    return np.array(out)
