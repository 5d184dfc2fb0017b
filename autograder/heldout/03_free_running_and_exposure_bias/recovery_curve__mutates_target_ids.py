# Mistake: builds the corrupted run by writing wrong_ids[i] into the caller's target_ids in place (no copy), so the function changes its input array (the returned curve itself is right because each clean run is decoded first and position k is not in the curve).
import numpy as np
from given import decoder_forward_teacher_forcing

def recovery_curve(context_vectors, target_ids, decoder_params, k, wrong_ids, cell_type='rnn'):
    emb = decoder_params["embedding"]
    N, T = target_ids.shape
    truth = target_ids.copy()
    clean = np.zeros((N, T), bool); bad = np.zeros((N, T), bool)
    for i in range(N):
        clean[i] = decoder_forward_teacher_forcing(context_vectors[i], emb[target_ids[i]], decoder_params, cell_type).argmax(1) != truth[i]
        target_ids[i, k] = wrong_ids[i]
        bad[i] = decoder_forward_teacher_forcing(context_vectors[i], emb[target_ids[i]], decoder_params, cell_type).argmax(1) != truth[i]
    real = truth != 0
    out = np.full(T - k - 1, np.nan)
    for d in range(1, T - k):
        m = real[:, k + d]
        if m.any():
            out[d - 1] = bad[m, k + d].mean() - clean[m, k + d].mean()
    return out
