# Mistake: wrong axis: takes the guesses as logits.argmax(axis=0) (over the steps) instead of argmax over the vocabulary (axis=1).
import numpy as np
from given import decoder_forward_teacher_forcing

def recovery_curve(context_vectors, target_ids, decoder_params, k, wrong_ids, cell_type='rnn'):
    emb = decoder_params["embedding"]
    N, T = target_ids.shape
    clean = np.zeros((N, T), bool); bad = np.zeros((N, T), bool)
    for i in range(N):
        seq = emb[target_ids[i]]
        clean[i] = decoder_forward_teacher_forcing(context_vectors[i], seq, decoder_params, cell_type).argmax(0) != target_ids[i]
        s2 = seq.copy(); s2[k] = emb[wrong_ids[i]]
        bad[i] = decoder_forward_teacher_forcing(context_vectors[i], s2, decoder_params, cell_type).argmax(0) != target_ids[i]
    real = target_ids != 0
    out = np.full(T - k - 1, np.nan)
    for d in range(1, T - k):
        m = real[:, k + d]
        if m.any():
            out[d - 1] = bad[m, k + d].mean() - clean[m, k + d].mean()
    return out
