# Mistake: uses np.insert(labels, 0, start)[:-1] without an axis: right for one sequence, but a batch (B, T) is flattened into one long row.
import numpy as np

def shift_right(labels, start_token_id, pad_token_id, ignore_index=-100):
    labels = np.asarray(labels)
    out = np.insert(labels, 0, start_token_id)[:-1].astype(np.int64)
    out[out == ignore_index] = pad_token_id
    return out
