# Mistake: log-sum-exp computed naively, log(sum(exp(logits))) without subtracting the max: overflows for huge logits.
import numpy as np

def masked_cross_entropy(logits, target_ids, mask):
    lse = np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    logp = logits - lse
    N = mask.sum()
    nll = -np.take_along_axis(logp, target_ids[..., None], axis=-1)[..., 0]
    loss = float((nll * mask).sum() / N)
    p = np.exp(logp)
    onehot = np.zeros_like(p)
    np.put_along_axis(onehot, target_ids[..., None], 1.0, axis=-1)
    dlogits = (p - onehot) * mask[..., None] / N
    return loss, dlogits
