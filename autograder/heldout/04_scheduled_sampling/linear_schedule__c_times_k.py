# Mistake: misreads the formula as k*(1 - c*i) (decays relative to k), floored at eps_min.
import numpy as np

def linear_schedule(i, k, c, eps_min):
    return float(max(eps_min, k * (1 - c * i)))
