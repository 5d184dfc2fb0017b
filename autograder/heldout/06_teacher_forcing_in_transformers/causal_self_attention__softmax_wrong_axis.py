# Mistake: softmax over the query axis (axis=-2, columns) instead of over the keys (last axis).
import numpy as np
from tfcourse.caches import KVCache


def causal_self_attention(x, W_q, W_k, W_v, W_o=None):
    q, k, v = x @ W_q, x @ W_k, x @ W_v
    T = x.shape[-2]
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(W_q.shape[-1])
    s = np.where(causal_mask(T), s, -np.inf)
    s = s - s.max(axis=-2, keepdims=True)
    w = np.exp(s)
    w = w / w.sum(axis=-2, keepdims=True)
    out = w @ v
    if W_o is not None:
        out = out @ W_o
    return out, w
