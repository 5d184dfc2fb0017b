# Mistake: writes exp(-k*i), thinking of 'exponential decay with rate k'.
import numpy as np

def exponential_schedule(i, k):
    return float(np.exp(-k * i))
