# Mistake: uses min instead of max (clips from above at eps_min).
import numpy as np

def linear_schedule(i, k, c, eps_min):
    return float(min(eps_min, k - c * i))
