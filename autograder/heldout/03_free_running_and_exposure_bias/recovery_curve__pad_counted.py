# Mistake: forgets to leave out PAD positions: the rate at each position is over all N sequences, and a guess at a PAD position that is not 0 counts as an error.
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
    return bad[:, k + 1:].mean(0) - clean[:, k + 1:].mean(0)
