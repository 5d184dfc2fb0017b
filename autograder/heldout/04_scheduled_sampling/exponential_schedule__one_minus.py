# Mistake: returns 1 - k**i (the sampling probability instead of eps).
import numpy as np

def exponential_schedule(i, k):
    return float(1 - k ** i)
