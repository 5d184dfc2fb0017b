# Mistake: writes the plain (increasing) sigmoid form exp(i/k)/(k + exp(i/k)).
import math
import numpy as np

def inverse_sigmoid_schedule(i, k):
    if i / k > 709:
        return 1.0
    return float(math.exp(i / k) / (k + math.exp(i / k)))
