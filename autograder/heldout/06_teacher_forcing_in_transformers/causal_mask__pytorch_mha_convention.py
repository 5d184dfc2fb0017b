# Mistake: nn.MultiheadAttention's convention: True where attention is BLOCKED (j > t).
import numpy as np
from tfcourse.caches import KVCache

def causal_mask(T):
    return np.triu(np.ones((T, T), dtype=bool), k=1)
