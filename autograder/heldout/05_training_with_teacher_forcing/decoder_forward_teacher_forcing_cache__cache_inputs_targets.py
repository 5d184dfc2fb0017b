# Mistake: logits right, but the cache's inputs holds target_seq (what it should predict) instead of the inputs actually fed (start, y_0..y_{T-2}).
import numpy as np
from tfcourse.caches import DecoderCache

def decoder_forward_teacher_forcing_cache(context_vector, target_seq, decoder_params,
                                          cell_type='rnn'):
    if cell_type != "gru":
        raise ValueError("only 'gru' is supported")
    params = {k: np.asarray(v, dtype=np.float64) for k, v in decoder_params.items()}
    h = np.asarray(context_vector, dtype=np.float64)
    target_seq = np.asarray(target_seq, dtype=np.float64)
    T = target_seq.shape[-2]
    start = np.broadcast_to(params["start"], target_seq.shape[:-2] + params["start"].shape)
    inputs = np.concatenate([start[..., None, :], target_seq[..., :-1, :]], axis=-2)
    steps, hidden = [], []
    for t in range(T):
        h, c = gru_step_forward(inputs[..., t, :], h, params)
        steps.append(c)
        hidden.append(h)
    hidden = np.stack(hidden, axis=-2)
    logits = hidden @ params["W_y"] + params["b_y"]
    return logits, DecoderCache(inputs=target_seq, steps=steps, hidden=hidden, params=params,
                                cell_type=cell_type)
