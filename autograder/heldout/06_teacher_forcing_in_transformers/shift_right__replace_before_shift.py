# Mistake: replaces ignore_index by pad in the LABELS first, then shifts (so a start token equal to ignore_index is not replaced).
import numpy as np
from tfcourse.caches import KVCache

def shift_right(labels, start_token_id, pad_token_id, ignore_index=-100):
    labels = np.asarray(labels)
    labels = np.where(labels == ignore_index, pad_token_id, labels)
    out = np.empty(labels.shape, dtype=np.int64)
    out[..., 0] = start_token_id
    out[..., 1:] = labels[..., :-1]
    return out
