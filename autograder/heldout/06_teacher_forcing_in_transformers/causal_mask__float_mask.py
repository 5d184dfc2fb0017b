# Mistake: returns a float 0/1 lower-triangular matrix instead of booleans.
import numpy as np
from tfcourse.caches import KVCache

def causal_mask(T):
    return np.tril(np.ones((T, T)))
