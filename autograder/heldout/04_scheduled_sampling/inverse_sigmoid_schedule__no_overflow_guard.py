# Mistake: no guard for huge i: np.exp overflows to inf (with a RuntimeWarning), result 0.0 but a warning.
import math
import numpy as np

def inverse_sigmoid_schedule(i, k):
    return float(k / (k + np.exp(i / k)))
