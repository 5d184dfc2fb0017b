# Mistake: forgets the floor eps_min: returns k - c*i (goes negative).
import numpy as np

def linear_schedule(i, k, c, eps_min):
    return float(k - c * i)
