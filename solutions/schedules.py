"""Reference decay schedules for scheduled sampling (Bengio et al., 2015).

Each returns eps_i, the probability of feeding the *true* token at training
iteration i; the decoder's `sampling_prob` (feed the model's own token) is 1 - eps_i.
"""
import math

from tfcourse.validate import check_real


def linear_schedule(i, k, c, eps_min):
    """Linear decay eps_i = max(eps_min, k - c*i), for 0 <= eps_min <= k <= 1 and c >= 0."""
    i = check_real("i", i, 0.0)
    k = check_real("k", k, 0.0, 1.0)
    c = check_real("c", c, 0.0)
    eps_min = check_real("eps_min", eps_min, 0.0, k)
    return max(eps_min, k - c * i)


def exponential_schedule(i, k):
    """Exponential decay eps_i = k**i, for 0 < k < 1."""
    i = check_real("i", i, 0.0)
    k = check_real("k", k, 0.0, 1.0, low_open=True, high_open=True)
    return k ** i


def inverse_sigmoid_schedule(i, k):
    """Inverse sigmoid decay eps_i = k / (k + exp(i / k)), for k >= 1."""
    i = check_real("i", i, 0.0)
    k = check_real("k", k, 1.0)
    # k / (k + e^(i/k)) = 1 / (1 + e^z) with z = i/k - ln k; this form never overflows.
    z = i / k - math.log(k)
    if z > 0:
        return math.exp(-z) / (1.0 + math.exp(-z))
    return 1.0 / (1.0 + math.exp(z))
