# Mistake: swaps base and exponent: i**k.
import numpy as np

def exponential_schedule(i, k):
    return float(i ** k)
