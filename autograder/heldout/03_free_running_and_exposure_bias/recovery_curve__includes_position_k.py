# Mistake: off by one in the output positions: entry d-1 is taken at position k+d-1 (starting at the corrupted token's own position k) instead of k+d.
import numpy as np
from given import decoder_forward_teacher_forcing

def recovery_curve(context_vectors, target_ids, decoder_params, k, wrong_ids, cell_type='rnn'):
    emb = decoder_params["embedding"]
    N, T = target_ids.shape
    clean = np.zeros((N, T), bool); bad = np.zeros((N, T), bool)
    for i in range(N):
        seq = emb[target_ids[i]]
        clean[i] = decoder_forward_teacher_forcing(context_vectors[i], seq, decoder_params, cell_type).argmax(1) != target_ids[i]
        s2 = seq.copy(); s2[k] = emb[wrong_ids[i]]
        bad[i] = decoder_forward_teacher_forcing(context_vectors[i], s2, decoder_params, cell_type).argmax(1) != target_ids[i]
    real = target_ids != 0
    out = np.full(T - k - 1, np.nan)
    for d in range(1, T - k):
        pos = k + d - 1
        m = real[:, pos]
        if m.any():
            out[d - 1] = bad[m, pos].mean() - clean[m, pos].mean()
    return out
