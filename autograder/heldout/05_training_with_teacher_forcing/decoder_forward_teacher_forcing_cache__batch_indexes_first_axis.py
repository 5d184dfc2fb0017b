# Mistake: written for one sequence only: T = len(target_seq) and x_t = target_seq[t-1], so with a batch (B, T, D) it loops over the batch axis and feeds whole sequences.
import numpy as np
from tfcourse.caches import DecoderCache

def decoder_forward_teacher_forcing_cache(context_vector, target_seq, decoder_params,
                                          cell_type='rnn'):
    if cell_type != "gru":
        raise ValueError("only 'gru' is supported")
    params = {k: np.asarray(v, dtype=np.float64) for k, v in decoder_params.items()}
    h = np.asarray(context_vector, dtype=np.float64)
    T = len(target_seq)
    xs, steps, hidden = [], [], []
    for t in range(T):
        x = params["start"] if t == 0 else target_seq[t - 1]
        h, c = gru_step_forward(x, h, params)
        xs.append(x)
        steps.append(c)
        hidden.append(h)
    hidden = np.array(hidden)
    logits = hidden @ params["W_y"] + params["b_y"]
    return logits, DecoderCache(inputs=np.array(xs), steps=steps, hidden=hidden, params=params,
                                cell_type=cell_type)
