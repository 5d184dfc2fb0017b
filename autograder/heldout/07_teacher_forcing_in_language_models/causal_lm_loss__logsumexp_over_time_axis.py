# Mistake: wrong axis: the max and the log-sum-exp of the log softmax are taken over the time axis (-2) instead of the vocabulary axis (-1).
import numpy as np

def causal_lm_loss(logits, labels, ignore_index=-100):
    z = np.asarray(logits, dtype=float)[..., :-1, :]
    y = np.asarray(labels)[..., 1:]
    m = z.max(axis=-2, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=-2, keepdims=True))
    mask = y != ignore_index
    nll = -np.take_along_axis(logp, np.where(mask, y, 0)[..., None], axis=-1)[..., 0]
    return float(nll[mask].sum() / mask.sum())
