# Mistake: logits right, but cache.hidden holds the states each step STARTED from (h_0..h_{T-1}) instead of the new states h_1..h_T.
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
    steps, hidden, logits = [], [], []
    for t in range(T):
        hidden.append(h)
        h, c = gru_step_forward(inputs[..., t, :], h, params)
        steps.append(c)
        logits.append(h @ params["W_y"] + params["b_y"])
    hidden = np.stack(hidden, axis=-2)
    logits = np.stack(logits, axis=-2)
    return logits, DecoderCache(inputs=inputs, steps=steps, hidden=hidden, params=params,
                                cell_type=cell_type)
