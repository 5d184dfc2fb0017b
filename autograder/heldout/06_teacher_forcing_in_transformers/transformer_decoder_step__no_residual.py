# Mistake: forgets the residual in the step: h = attention @ W_o (no + x).
import numpy as np
from tfcourse.caches import KVCache

def transformer_decoder_step(token_ids, cache, params):
    token_ids = np.asarray(token_ids)
    t = 0 if cache is None else cache.keys.shape[-2]
    D = params["embedding"].shape[1]
    x = params["embedding"][token_ids] + positional_encoding(t + 1, D)[t]
    q, k, v = x @ params["W_q"], x @ params["W_k"], x @ params["W_v"]
    if cache is None:
        keys, values = k[..., None, :], v[..., None, :]
    else:
        keys = np.concatenate([cache.keys, k[..., None, :]], axis=-2)
        values = np.concatenate([cache.values, v[..., None, :]], axis=-2)
    s = (keys @ q[..., :, None])[..., 0] / np.sqrt(params["W_q"].shape[-1])
    s = s - s.max(axis=-1, keepdims=True)
    w = np.exp(s); w = w / w.sum(axis=-1, keepdims=True)
    att = (w[..., None, :] @ values)[..., 0, :]
    h = att @ params["W_o"]
    return h @ params["W_y"] + params["b_y"], KVCache(keys, values)
