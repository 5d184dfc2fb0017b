# Mistake: uses i/D in the exponent (column index // 2 without doubling), i.e. 10000^(i/D) instead of 10000^(2i/D).
import numpy as np
from tfcourse.caches import KVCache

def positional_encoding(T, D):
    t = np.arange(T)[:, None]
    i2 = np.arange(D) // 2
    ang = t / 10000 ** (i2 / D)
    pe = np.where(np.arange(D) % 2 == 0, np.sin(ang), np.cos(ang))
    return pe
