# Mistake: records each step's state BEFORE the update (h_0..h_{T-1}) in hidden, and computes the logits from it.
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
        hidden.append(h)
        h, c = gru_step_forward(inputs[..., t, :], h, params)
        steps.append(c)
    hidden = np.stack(hidden, axis=-2)
    logits = hidden @ params["W_y"] + params["b_y"]
    return logits, DecoderCache(inputs=inputs, steps=steps, hidden=hidden, params=params,
                                cell_type=cell_type)
