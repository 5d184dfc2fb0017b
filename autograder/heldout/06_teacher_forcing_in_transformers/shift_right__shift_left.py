# Mistake: shifts the wrong way: [y_1, ..., y_{T-1}, start] (drops y_0, appends the start token).
import numpy as np
from tfcourse.caches import KVCache

def shift_right(labels, start_token_id, pad_token_id, ignore_index=-100):
    labels = np.asarray(labels)
    out = np.empty(labels.shape, dtype=np.int64)
    out[..., -1] = start_token_id
    out[..., :-1] = labels[..., 1:]
    out[out == ignore_index] = pad_token_id
    return out
