# Mistake: writes its own attention inline without the causal mask (full bidirectional attention).
import numpy as np
from tfcourse.caches import KVCache

def transformer_decoder_forward(input_ids, params):
    input_ids = np.asarray(input_ids)
    T = input_ids.shape[-1]
    D = params["embedding"].shape[1]
    x = params["embedding"][input_ids] + positional_encoding(T, D)
    q, k, v = x @ params["W_q"], x @ params["W_k"], x @ params["W_v"]
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    a = np.exp(s - s.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
    out = a @ v @ params["W_o"]
    h = x + out
    return h @ params["W_y"] + params["b_y"]
