# Mistake: all sines in the first half of the columns, all cosines in the second (the tensor2tensor layout), not interleaved.
import numpy as np
from tfcourse.caches import KVCache

def positional_encoding(T, D):
    t = np.arange(T)[:, None]
    half = (D + 1) // 2
    freq = 10000 ** (2 * np.arange(half) / D)
    pe = np.concatenate([np.sin(t / freq), np.cos(t / freq)[:, :D - half]], axis=1)
    return pe
