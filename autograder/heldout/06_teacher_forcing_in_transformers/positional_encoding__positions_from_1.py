# Mistake: counts positions from 1 (t = 1..T) instead of 0.
import numpy as np
from tfcourse.caches import KVCache

def positional_encoding(T, D):
    t = np.arange(1, T + 1)[:, None]
    i2 = (np.arange(D) // 2) * 2
    ang = t / 10000 ** (i2 / D)
    pe = np.where(np.arange(D) % 2 == 0, np.sin(ang), np.cos(ang))
    return pe
