# Mistake: exp(i*k) instead of exp(i/k).
import math
import numpy as np

def inverse_sigmoid_schedule(i, k):
    if i * k > 709:
        return 0.0
    return float(k / (k + math.exp(i * k)))
