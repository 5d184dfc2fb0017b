# Mistake: for i/k > 709 returns 1.0 instead of 0.0 (gets the limit of the inverse sigmoid backwards).
import math
import numpy as np

def inverse_sigmoid_schedule(i, k):
    if i / k > 709:
        return 1.0
    return float(k / (k + math.exp(i / k)))
