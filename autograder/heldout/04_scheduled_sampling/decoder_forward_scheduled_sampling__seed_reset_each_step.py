# Mistake: builds the generator inside the loop (np.random.default_rng(rng) each step), so with an int seed every step draws the same number.
import numpy as np
from given import gru_step, lstm_step, rnn_step

def decoder_forward_scheduled_sampling(context_vector, target_seq, decoder_params, sampling_prob,
                                       cell_type='rnn', rng=None):
    seed = rng
    p = decoder_params
    h = np.asarray(context_vector, dtype=float)
    c = np.zeros_like(h)
    T = len(target_seq)
    out = []
    x = p["start"]
    for t in range(T):
        if t >= 1:
            u = np.random.default_rng(seed).random()
            x = p["embedding"][np.argmax(out[-1])] if u < sampling_prob else target_seq[t - 1]
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, p)
        elif cell_type == "gru":
            h = gru_step(x, h, p)
        else:
            h = rnn_step(x, h, p)
        out.append(h @ p["W_y"] + p["b_y"])
    return np.array(out)
