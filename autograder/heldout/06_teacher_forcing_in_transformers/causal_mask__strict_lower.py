# Mistake: np.tril(..., k=-1): a position may not attend to itself.
import numpy as np
from tfcourse.caches import KVCache

def causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool), k=-1)
