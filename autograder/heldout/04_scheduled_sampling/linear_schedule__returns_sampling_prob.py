# Mistake: returns the sampling probability 1 - eps_i instead of eps_i.
import numpy as np

def linear_schedule(i, k, c, eps_min):
    return float(1 - max(eps_min, k - c * i))
