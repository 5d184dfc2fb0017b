# Mistake: computes log softmax naively as z - log(sum(exp(z))) without subtracting the max, which overflows on large logits.
import numpy as np

def causal_lm_loss(logits, labels, ignore_index=-100):
    z = np.asarray(logits, dtype=float)[..., :-1, :]
    y = np.asarray(labels)[..., 1:]
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    mask = y != ignore_index
    nll = -np.take_along_axis(logp, np.where(mask, y, 0)[..., None], axis=-1)[..., 0]
    return float(nll[mask].sum() / mask.sum())
