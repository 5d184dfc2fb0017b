# Mistake: forgets the residual connection: h = attention(x) instead of x + attention(x).
import numpy as np
from tfcourse.caches import KVCache

def transformer_decoder_forward(input_ids, params):
    input_ids = np.asarray(input_ids)
    T = input_ids.shape[-1]
    D = params["embedding"].shape[1]
    x = params["embedding"][input_ids] + positional_encoding(T, D)
    out, _ = causal_self_attention(x, params["W_q"], params["W_k"], params["W_v"], params["W_o"])
    h = out
    return h @ params["W_y"] + params["b_y"]
