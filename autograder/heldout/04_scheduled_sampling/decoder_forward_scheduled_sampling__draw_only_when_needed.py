# Mistake: skips the draw when sampling_prob is 0 or 1 (no randomness needed), so the generator is not advanced at those values.
import numpy as np
from given import gru_step, lstm_step, rnn_step

def decoder_forward_scheduled_sampling(context_vector, target_seq, decoder_params, sampling_prob,
                                       cell_type='rnn', rng=None):
    rng = np.random.default_rng(rng)
    p = decoder_params
    h = np.asarray(context_vector, dtype=float)
    c = np.zeros_like(h)
    T = len(target_seq)
    out = []
    x = p["start"]
    for t in range(T):
        if t >= 1:
            u = rng.random() if 0 < sampling_prob < 1 else (0.0 if sampling_prob == 1 else 1.0)
            x = p["embedding"][np.argmax(out[-1])] if u < sampling_prob else target_seq[t - 1]
        if cell_type == "lstm":
            h, c = lstm_step(x, h, c, p)
        elif cell_type == "gru":
            h = gru_step(x, h, p)
        else:
            h = rnn_step(x, h, p)
        out.append(h @ p["W_y"] + p["b_y"])
    return np.array(out)
