# Mistake: np.triu instead of np.tril (position t sees the future, not the past).
import numpy as np
from tfcourse.caches import KVCache

def causal_mask(T):
    return np.triu(np.ones((T, T), dtype=bool))
