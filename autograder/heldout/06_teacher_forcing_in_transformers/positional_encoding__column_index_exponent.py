# Mistake: uses the raw column index j in the exponent (10000^(j/D)), so sin and cos of a pair get different frequencies.
import numpy as np
from tfcourse.caches import KVCache

def positional_encoding(T, D):
    t = np.arange(T)[:, None]
    i2 = np.arange(D)
    ang = t / 10000 ** (i2 / D)
    pe = np.where(np.arange(D) % 2 == 0, np.sin(ang), np.cos(ang))
    return pe
