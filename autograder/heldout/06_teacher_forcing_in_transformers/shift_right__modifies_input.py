# Mistake: writes into labels in place (labels[labels == ignore_index] = pad) before shifting: right result but the caller's labels are changed.
import numpy as np
from tfcourse.caches import KVCache

def shift_right(labels, start_token_id, pad_token_id, ignore_index=-100):
    labels = np.asarray(labels)
    labels[labels == ignore_index] = pad_token_id
    out = np.empty(labels.shape, dtype=np.int64)
    out[..., 0] = start_token_id
    out[..., 1:] = labels[..., :-1]
    out[out == ignore_index] = pad_token_id
    return out
